import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.text import (
    APOSTROPHES,
    OKINA,
    TUTUQ,
    clean_text,
    cyrillic_to_latin,
    has_visible_char,
    is_valid_email,
    normalize_apostrophes,
    normalize_phone,
    search_key,
)

AGENCIES_PATH = Path(__file__).resolve().parent.parent / "chalicelib" / "data" / "agencies.json"
LANGUAGES = ("uz", "uz-Cyrl", "ru", "en")

TYPED_APOSTROPHES = ["'", "\u2018", "\u2019", "`", "\u02bc", "\u02bb", "\u00b4"]


# --- normalize_apostrophes -------------------------------------------------------------

@pytest.mark.parametrize("typed", TYPED_APOSTROPHES)
def test_okina_after_o_each_apostrophe(typed):
    assert normalize_apostrophes(f"O{typed}zbekiston") == "Oʻzbekiston"


@pytest.mark.parametrize("typed", TYPED_APOSTROPHES)
def test_okina_after_g_each_apostrophe(typed):
    assert normalize_apostrophes(f"sog{typed}liq") == "sogʻliq"


@pytest.mark.parametrize("typed", TYPED_APOSTROPHES)
def test_tutuq_after_other_letters(typed):
    assert normalize_apostrophes(f"ma{typed}lumot") == "maʼlumot"


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("O'ZBEKISTON", "OʻZBEKISTON"),
        ("G'ulom", "Gʻulom"),
        ("tog'", "togʻ"),
        ("bog' va tog'", "bogʻ va togʻ"),
        ("Ta'lim va ma'rifat", "Taʼlim va maʼrifat"),
        ("san'at", "sanʼat"),
        ("O'zbekiston Respublikasi Sog'liqni saqlash vazirligi",
         "Oʻzbekiston Respublikasi Sogʻliqni saqlash vazirligi"),
        ("Mening o'g'lim", "Mening oʻgʻlim"),
        # A tutuq typed as ʻ (or ʻ typed as ʼ) is corrected by the letter before it.
        ("ta\u02bblim", "taʼlim"),
        ("o\u02bcrta", "oʻrta"),
        # Only the first character of a doubled apostrophe is the letter's mark.
        ("o''rta", "oʻ'rta"),
        # Line breaks and tabs do not change the rule.
        ("birinchi\nqo'l\tto'rt", "birinchi\nqoʻl\ttoʻrt"),
        ("", ""),
    ],
)
def test_apostrophes_in_words(typed, expected):
    assert normalize_apostrophes(typed) == expected


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("'Toshkent'", "'Toshkent'"),
        ("\u2018Toshkent\u2019", "\u2018Toshkent\u2019"),
        ("U 'Men' dedi", "U 'Men' dedi"),
        ("'O'zbekiston' gazetasi", "'Oʻzbekiston' gazetasi"),
        ("'ma'lumot' va 'tog''", "'maʼlumot' va 'togʻ'"),
        # A single closing apostrophe after o or g is read as the closing quote.
        ("'bog'", "'bog'"),
        # A quotation does not carry over to the next line.
        ("'Salom\nbog'", "'Salom\nbogʻ"),
    ],
)
def test_apostrophes_as_quotation_marks(typed, expected):
    assert normalize_apostrophes(typed) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Ўзбекистон Республикаси",
        "Ма'лумот",
        "'Тошкент'",
        "Тошкент'да",
        "5' 10\"",
        "' ",
        "a ' b",
        "12'34",
    ],
)
def test_apostrophes_outside_latin_words_untouched(text):
    assert normalize_apostrophes(text) == text


@given(st.text(alphabet=st.sampled_from(list("oOgGaAmnZ Тшў5-\n") + TYPED_APOSTROPHES)))
def test_normalize_apostrophes_idempotent(text):
    once = normalize_apostrophes(text)
    assert normalize_apostrophes(once) == once


@given(st.text())
def test_normalize_apostrophes_changes_only_apostrophes(text):
    result = normalize_apostrophes(text)
    assert len(result) == len(text)
    for before, after in zip(text, result):
        if before != after:
            assert before in APOSTROPHES
            assert after in (OKINA, TUTUQ)


# --- clean_text ----------------------------------------------------------------------

@pytest.mark.parametrize(
    "raw, expected",
    [
        ("  O'zbekiston  ", "Oʻzbekiston"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("a\x00b\x07c\x1b\x7fd\x85e", "abcde"),
        ("keep\ttabs\nand lines", "keep\ttabs\nand lines"),
        ("\t\n  \r\n", ""),
        # NFC: o followed by a combining acute accent becomes the single letter ó.
        ("o\u0301", "\u00f3"),
        ("ma`lumot\r\n", "maʼlumot"),
    ],
)
def test_clean_text(raw, expected):
    assert clean_text(raw) == expected


@given(st.text())
def test_clean_text_idempotent(text):
    once = clean_text(text)
    assert clean_text(once) == once


@given(st.text())
def test_clean_text_removes_control_characters(text):
    for char in clean_text(text):
        assert char in "\n\t" or not (ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F)


# --- cyrillic_to_latin -----------------------------------------------------------------

@pytest.mark.parametrize(
    "cyrillic, latin",
    [
        ("Тошкент", "Toshkent"),
        ("Ўзбекистон", "Oʻzbekiston"),
        ("ЎЗБЕКИСТОН", "OʻZBEKISTON"),
        ("ғалаба", "gʻalaba"),
        ("Ғалаба", "Gʻalaba"),
        ("қишлоқ", "qishloq"),
        ("ҳоким", "hokim"),
        ("Шаҳар", "Shahar"),
        ("ШАҲАР", "SHAHAR"),
        ("ШАХАР", "SHAXAR"),
        ("ТОШ", "TOSH"),
        ("Ш.", "Sh."),
        ("чой", "choy"),
        ("Чорсу", "Chorsu"),
        ("таълим", "taʼlim"),
        ("маъно", "maʼno"),
        ("меъёр", "meʼyor"),
        ("ёз", "yoz"),
        ("Юнусобод", "Yunusobod"),
        ("Янгийўл", "Yangiyoʻl"),
        ("ЯНГИЙЎЛ", "YANGIYOʻL"),
        ("Ер", "Yer"),
        ("ер", "yer"),
        ("ЕР", "YER"),
        ("кенгаш", "kengash"),
        ("поезд", "poyezd"),
        ("объект", "obyekt"),
        ("ОБЪЕКТ", "OBYEKT"),
        ("милиция", "militsiya"),
        ("акция", "aksiya"),
        ("цирк", "sirk"),
        ("Щука", "Shchuka"),
        ("фильм", "film"),
        ("эшик", "eshik"),
        ("жавоб", "javob"),
        ("Ҳокимият", "Hokimiyat"),
        ("Давлат солиқ қўмитаси", "Davlat soliq qoʻmitasi"),
        ("Oʻzbek 2024, №5", "Oʻzbek 2024, №5"),
        ("Toshkent va Тошкент", "Toshkent va Toshkent"),
        ("", ""),
    ],
)
def test_cyrillic_to_latin(cyrillic, latin):
    assert cyrillic_to_latin(cyrillic) == latin


def test_cyrillic_to_latin_covers_alphabet():
    alphabet = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяўқғҳ"
    for letter in alphabet + alphabet.upper():
        result = cyrillic_to_latin(f"а{letter}а")
        assert all(not ("\u0400" <= char <= "\u04ff") for char in result), letter


# --- search_key ------------------------------------------------------------------------

@pytest.mark.parametrize(
    "first, second",
    [
        ("Тошкент", "Toshkent"),
        ("Oʻzbekiston", "O'zbekiston"),
        ("Oʻzbekiston", "Ўзбекистон"),
        ("O`ZBEKISTON", "ўзбекистон"),
        ("G‘ijduvon", "Ғиждувон"),
        ("Xalq ta'limi", "Халқ таълими"),
        ("  Toshkent \n  shahar\thokimligi ", "Тошкент шаҳар ҳокимлиги"),
        ("Sog’liqni saqlash", "СОҒЛИҚНИ САҚЛАШ"),
    ],
)
def test_search_key_matches_across_scripts(first, second):
    assert search_key(first) == search_key(second)


@pytest.mark.parametrize(
    "text, key",
    [
        ("Ўзбекистон", "ozbekiston"),
        ("  Toshkent   SHAHAR ", "toshkent shahar"),
        ("Straße", "strasse"),
        ("", ""),
    ],
)
def test_search_key_value(text, key):
    assert search_key(text) == key


def test_search_key_distinguishes_words():
    assert search_key("Toshkent") != search_key("Samarqand")
    assert search_key("Тошкент") != search_key("Toshkent shahar")


# --- normalize_phone and is_valid_email ------------------------------------------------

@pytest.mark.parametrize(
    "typed, expected",
    [
        ("+998 90 123-45-67", "+998901234567"),
        ("998901234567", "+998901234567"),
        ("90 123 45 67", "+998901234567"),
        ("901234567", "+998901234567"),
        ("+998 (71) 239-10-10", "+998712391010"),
        ("(90) 123.45.67", "+998901234567"),
        ("00998901234567", "+998901234567"),
        ("  +998901234567 ", "+998901234567"),
        ("+7 495 123-45-67", "+74951234567"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+1 (212) 555-0100", "+12125550100"),
        ("+6834002", "+6834002"),
    ],
)
def test_normalize_phone_valid(typed, expected):
    assert normalize_phone(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        None,
        "",
        "   ",
        "+",
        "12345",
        "+998 90 123 45 6",
        "+998 90 123 45 678",
        "+998 09 123 45 67",
        "012345678",
        "74951234567",
        "+0 123 456 789",
        "+1234567890123456",
        "+12345",
        "+998 90 12x 45 67",
        "+998 90 123 45 67 ext 1",
        "++998901234567",
        "998+901234567",
        "９０１２３４５６７",
        12345678,
    ],
)
def test_normalize_phone_invalid(typed):
    assert normalize_phone(typed) is None


@pytest.mark.parametrize(
    "address",
    [
        "user@example.org",
        "first.last+tag@mail.example.uz",
        "a@b.co",
        "o_zbek-1@sub.domain.example.org",
        "xat@xn--80ak6aa92e.com",
        "пользователь@пример.рф",
        "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 61,
    ],
)
def test_is_valid_email_accepts(address):
    assert len(address) <= 254
    assert is_valid_email(address)


@pytest.mark.parametrize(
    "address",
    [
        None,
        "",
        "plain",
        "@example.org",
        "user@",
        "user@localhost",
        "user@@example.org",
        "a@b@example.org",
        "user name@example.org",
        "user@exa mple.org",
        "user@example.org ",
        "user\t@example.org",
        "user@example..org",
        "user@.example.org",
        "user@example.org.",
        "user@-example.org",
        "user@example-.org",
        "user@example.c",
        "user@127.0.0.1",
        ".user@example.org",
        "user.@example.org",
        "us..er@example.org",
        "a" * 65 + "@example.org",
        "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 62,
        "<user@example.org>",
        "user,other@example.org",
        '"user"@example.org',
        "user@example.org\r\nBcc: x@example.org",
    ],
)
def test_is_valid_email_rejects(address):
    assert not is_valid_email(address)


# --- agencies.json -----------------------------------------------------------------------

def load_agencies() -> list[dict]:
    with AGENCIES_PATH.open(encoding="utf-8") as file:
        return json.load(file)


AGENCIES = load_agencies()
AGENCY_IDS = [agency["id"] for agency in AGENCIES]


def test_agencies_ids_unique():
    assert len(AGENCY_IDS) == len(set(AGENCY_IDS))


def test_agencies_include_required_ids():
    required = {
        "tashkent-city-khokimiyat", "mvd", "minjust", "uzedu", "edu", "minzdrav", "soliq",
        "xalqbank", "cbu", "raqobat", "namangan-khokimiyat", "navoi-khokimiyat",
        "uzavtosanoat", "uzstandard", "uzkommunkhizmat", "uzbekkino",
        "sanoatgeokontekhnazorat", "goskomzemgeodezkadastr", "gosarkhitektstroy",
        "uzavtoyul", "test-agency",
    }
    assert required <= set(AGENCY_IDS)


def test_agencies_exactly_one_test_agency():
    test_ids = [agency["id"] for agency in AGENCIES if agency["is_test"]]
    assert test_ids == ["test-agency"]


@pytest.mark.parametrize("agency", AGENCIES, ids=AGENCY_IDS)
def test_agency_record_shape(agency):
    assert set(agency) == {"id", "name", "contact_email", "head_email", "language", "is_test"}
    assert agency["id"] == agency["id"].lower()
    assert all(char.isalnum() or char == "-" for char in agency["id"])
    assert set(agency["name"]) == set(LANGUAGES)
    for language in LANGUAGES:
        name = agency["name"][language]
        assert isinstance(name, str)
        assert name.strip() == name
        assert name
    assert agency["language"] == "uz"
    assert isinstance(agency["is_test"], bool)


@pytest.mark.parametrize("agency", AGENCIES, ids=AGENCY_IDS)
def test_agency_emails_use_reserved_domain(agency):
    for key in ("contact_email", "head_email"):
        address = agency[key]
        assert is_valid_email(address), key
        assert address.endswith(".example.org"), key


@pytest.mark.parametrize("agency", AGENCIES, ids=AGENCY_IDS)
def test_agency_uzbek_latin_apostrophes(agency):
    latin = agency["name"]["uz"]
    assert not any(char in APOSTROPHES and char not in (OKINA, TUTUQ) for char in latin)
    assert normalize_apostrophes(latin) == latin
    assert clean_text(latin) == latin


@pytest.mark.parametrize("agency", AGENCIES, ids=AGENCY_IDS)
def test_agency_scripts_match(agency):
    latin = agency["name"]["uz"]
    cyrillic = agency["name"]["uz-Cyrl"]
    assert all(not ("a" <= char.lower() <= "z") for char in cyrillic)
    assert cyrillic_to_latin(cyrillic) == latin
    assert search_key(cyrillic) == search_key(latin)


@pytest.mark.parametrize("agency", AGENCIES, ids=AGENCY_IDS)
def test_agency_found_by_any_word(agency):
    latin_words = search_key(agency["name"]["uz"]).split()
    cyrillic_words = agency["name"]["uz-Cyrl"].split()
    assert len(latin_words) == len(cyrillic_words)
    for word in cyrillic_words:
        assert search_key(word) in latin_words, word


def test_agency_found_by_toshkent():
    matches = [
        agency["id"]
        for agency in AGENCIES
        if search_key("Тошкент") in search_key(agency["name"]["uz"]).split()
    ]
    assert matches == ["tashkent-city-khokimiyat"]


@pytest.mark.parametrize("text", ["\u200b\u200b\u200b", "\ufeff\u200d", "\u202e", "\u0301\u0301", "\u3164", " \u2060 "])
def test_invisible_text_has_no_visible_char(text):
    assert not has_visible_char(text)


@pytest.mark.parametrize("text", ["a", "Oʻ", "\u200bX\u200b", "5", "—", "👍"])
def test_visible_text_has_visible_char(text):
    assert has_visible_char(text)

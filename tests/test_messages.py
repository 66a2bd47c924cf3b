import re
import string
from pathlib import Path

import pytest

from chalicelib.messages import DEFAULT_LANGUAGE, LANGUAGES, MESSAGES, message, pick_language
from chalicelib.text import APOSTROPHES, OKINA, TUTUQ, normalize_apostrophes, search_key

CODES = sorted(MESSAGES)

EXPECTED_CODES = {
    "invalid_json", "body_not_object", "field_required", "field_invalid", "field_too_long",
    "payload_too_large", "anonymous_appeal", "contact_required", "invalid_email",
    "invalid_phone", "invalid_choice", "agency_not_found", "captcha_wrong",
    "captcha_expired", "captcha_not_found", "appeal_not_found", "access_code_required",
    "access_code_invalid", "rating_before_read", "rating_not_answered", "already_answered",
    "invalid_state", "conflict", "auth_required", "api_key_invalid", "forbidden_role",
    "not_found", "method_not_allowed", "key_not_found", "agency_exists", "rate_limited",
    "unavailable", "internal_error", "unsupported_media_type",
}


def codes_raised_in_source() -> set[str]:
    """Return every error code that app.py or chalicelib passes to an AppError subclass."""
    pattern = re.compile(
        r"\b(?:AppError|BadRequest|Unauthorized|Forbidden|NotFound|Conflict|PayloadTooLarge|"
        r"UnsupportedMediaType|Unprocessable)\(\s*\"([a-z_]+)\""
    )
    root = Path(__file__).resolve().parent.parent
    sources = [root / "app.py", *sorted((root / "chalicelib").glob("*.py"))]
    return {code for path in sources for code in pattern.findall(path.read_text(encoding="utf-8"))}

SAMPLE_PARAMS = {
    "field": "applicant.full_name",
    "reason": "expected a string",
    "limit": 20000,
    "choices": "application, proposal, complaint",
    "agency_id": "mvd",
    "appeal_id": "2026-000123",
    "status": "answered",
    "role": "agency",
    "required": "admin",
    "key_id": "key-42",
    "retry_after": 30,
    "due_date": "2026-03-24",
    "cap": "2026-04-24",
    "received_on": "2026-03-05",
    "last_day": "2026-03-10",
    "into_appeal_id": "2026-000100",
}


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_messages_cover_every_error_code():
    assert EXPECTED_CODES <= set(MESSAGES)


def test_every_raised_code_has_a_message():
    raised = codes_raised_in_source()

    assert "anonymous_appeal" in raised
    assert raised - set(MESSAGES) == set()


@pytest.mark.parametrize("code", CODES)
def test_message_has_all_languages(code):
    assert set(MESSAGES[code]) == set(LANGUAGES)
    for language in LANGUAGES:
        assert MESSAGES[code][language].strip(), language


@pytest.mark.parametrize("code", CODES)
def test_translations_use_english_placeholders(code):
    english = placeholders(MESSAGES[code]["en"])
    assert english <= set(SAMPLE_PARAMS)
    for language in LANGUAGES:
        assert placeholders(MESSAGES[code][language]) == english, language


@pytest.mark.parametrize("code", CODES)
def test_templates_format_with_english_params(code):
    params = {name: SAMPLE_PARAMS[name] for name in placeholders(MESSAGES[code]["en"])}
    for language in LANGUAGES:
        text = MESSAGES[code][language].format(**params)
        assert "{" not in text, language
        assert "}" not in text, language
        for value in params.values():
            assert str(value) in text, language


@pytest.mark.parametrize("code", CODES)
def test_uzbek_latin_uses_modifier_apostrophes(code):
    latin = MESSAGES[code]["uz"]
    assert not any(char in APOSTROPHES and char not in (OKINA, TUTUQ) for char in latin)
    assert normalize_apostrophes(latin) == latin


@pytest.mark.parametrize("code", CODES)
def test_uzbek_scripts_say_same(code):
    # The Cyrillic text transliterated must read exactly as the Latin one.
    assert search_key(MESSAGES[code]["uz-Cyrl"]) == search_key(MESSAGES[code]["uz"])


@pytest.mark.parametrize("code", CODES)
def test_russian_and_cyrillic_texts_are_cyrillic(code):
    for language in ("ru", "uz-Cyrl"):
        letters = [char for char in MESSAGES[code][language] if char.isalpha()]
        cyrillic = [char for char in letters if "\u0400" <= char <= "\u04ff"]
        assert len(cyrillic) > len(letters) / 2, language


def test_message_formats_requested_language():
    assert message("field_required", "ru", field="applicant.address") == (
        "Поле applicant.address обязательно для заполнения. Заполните его и отправьте снова."
    )
    assert message("rate_limited", "en", retry_after=12) == "Too many attempts. Try again in 12 seconds."
    assert message("captcha_not_found", "uz") == "Rasm topilmadi. Yangisini soʻrang."
    assert message("captcha_not_found", "uz-Cyrl") == "Расм топилмади. Янгисини сўранг."


def test_message_matches_full_language_tags():
    assert message("not_found", "ru-RU") == MESSAGES["not_found"]["ru"]
    assert message("not_found", "uz-Latn") == MESSAGES["not_found"]["uz"]
    assert message("not_found", "uz-cyrl") == MESSAGES["not_found"]["uz-Cyrl"]


@pytest.mark.parametrize("language", ["de", "", "xx-YY", "kk"])
def test_message_unknown_language_english(language):
    assert message("not_found", language) == MESSAGES["not_found"]["en"]


def test_message_unknown_code_returns_code():
    assert message("no_such_code", "ru") == "no_such_code"
    assert message("no_such_code", "en", field="x") == "no_such_code"


def test_message_missing_placeholder_kept():
    assert message("field_invalid", "en", field="applicant.email") == (
        "The field applicant.email is invalid: {reason}"
    )
    assert message("forbidden_role", "ru") == (
        "Роли вашего ключа ({role}) это действие не разрешено: нужна роль {required}."
    )


def test_message_ignores_extra_params():
    assert message("internal_error", "en", field="x", limit=3) == MESSAGES["internal_error"]["en"]


def test_message_braces_in_params_literal():
    assert message("field_required", "en", field="{limit}") == (
        "The field {limit} is required. Fill it in and send again."
    )


@pytest.mark.parametrize(
    "header, expected",
    [
        (None, "en"),
        ("", "en"),
        ("   ", "en"),
        ("uz", "uz"),
        ("uz-Latn", "uz"),
        ("uz-Latn-UZ", "uz"),
        ("uz-UZ", "uz"),
        ("UZ-uz", "uz"),
        ("uz_UZ", "uz"),
        ("uz-Cyrl", "uz-Cyrl"),
        ("uz-cyrl-uz", "uz-Cyrl"),
        ("UZ-CYRL", "uz-Cyrl"),
        ("ru", "ru"),
        ("ru-RU", "ru"),
        ("RU-ru", "ru"),
        ("en", "en"),
        ("en-US", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("de-DE", "en"),
        ("de-DE,de;q=0.9", "en"),
        ("*", "en"),
        ("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", "ru"),
        ("en;q=0.5, uz;q=0.8", "uz"),
        ("en;q=0.5, uz-Cyrl;q=0.9, ru;q=0.8", "uz-Cyrl"),
        ("de, ru;q=0.3", "ru"),
        ("ru;q=0.5, uz;q=0.5", "ru"),
        ("uz;q=0, ru;q=0.1", "ru"),
        ("ru;q=0", "en"),
        ("ru; q=0.7 , en ; q = 0.9", "en"),
        ("ru;Q=0.9, en;q=0.5", "ru"),
        ("ru;q=abc, uz;q=0.2", "uz"),
        ("ru;q=2, uz;q=0.2", "uz"),
        ("ru;q=-1", "en"),
        ("ru;level=1", "ru"),
        (",,ru,,", "ru"),
        ("fr;q=0.9, *;q=0.5, ru;q=0.4", "en"),
        ("uzbek", "en"),
        ("russian", "en"),
    ],
)
def test_pick_language(header, expected):
    assert pick_language(header) == expected


def test_pick_language_result_is_supported():
    assert DEFAULT_LANGUAGE in LANGUAGES
    for header in ("uz", "uz-Cyrl", "ru-RU", "en-US", "fr", None):
        assert pick_language(header) in LANGUAGES

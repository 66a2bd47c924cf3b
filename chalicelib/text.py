"""Normalisation of citizens' text: Uzbek apostrophes, Cyrillic to Latin, search keys, contacts.

Uzbek Latin writes oʻ and gʻ with U+02BB (MODIFIER LETTER TURNED COMMA) and the
tutuq belgisi with U+02BC (MODIFIER LETTER APOSTROPHE). Keyboards rarely offer
either, so people type ', ‘, ’, ` or ´ instead. Nothing here rejects text for
that: the functions rewrite it to the standard characters.
"""
from __future__ import annotations

import re
import unicodedata

OKINA = "\u02bb"  # ʻ in oʻ and gʻ
TUTUQ = "\u02bc"  # ʼ, the tutuq belgisi (glottal stop)

# Characters that people type in place of ʻ and ʼ, including the two themselves.
APOSTROPHES = frozenset("'\u2018\u2019`\u02bc\u02bb\u00b4")

_APOSTROPHE_RUN = re.compile("[" + re.escape("".join(sorted(APOSTROPHES))) + "]+")


def _is_word_char(char: str) -> bool:
    # ʻ and ʼ are letters to str.isalpha(), so apostrophes must be excluded explicitly.
    return char not in APOSTROPHES and char.isalnum()


def _is_latin_letter(char: str) -> bool:
    return char.isalpha() and unicodedata.name(char, "").startswith("LATIN ")


def _letter_mark(previous_letter: str) -> str:
    return OKINA if previous_letter in "oOgG" else TUTUQ


def _normalize_line(line: str) -> str:
    parts: list[str] = []
    position = 0
    open_quote_length = 0  # length of the apostrophe run that opened a quotation, 0 when none is open

    for match in _APOSTROPHE_RUN.finditer(line):
        run = match.group()
        before = line[match.start() - 1] if match.start() > 0 else ""
        after = line[match.end()] if match.end() < len(line) else ""
        follows_word = _is_word_char(before)
        precedes_word = _is_word_char(after)
        replacement = run

        if not follows_word and precedes_word:
            # Start of a word: an opening quotation mark, which stays as typed.
            open_quote_length = len(run)
        elif follows_word and not precedes_word and open_quote_length:
            # End of a word inside a quotation: the run closes it. A run longer than
            # the opening one also carries the word's own final ʻ or ʼ ('bogʻ').
            if len(run) > open_quote_length and _is_latin_letter(before):
                replacement = _letter_mark(before) + run[1:]
            open_quote_length = 0
        elif _is_latin_letter(before):
            # Inside or at the end of a Latin word: the first character is the letter's mark.
            replacement = _letter_mark(before) + run[1:]

        parts.append(line[position:match.start()])
        parts.append(replacement)
        position = match.end()

    parts.append(line[position:])
    return "".join(parts)


def normalize_apostrophes(text: str) -> str:
    """Rewrite typed apostrophes in Uzbek Latin words to ʻ (U+02BB) and ʼ (U+02BC).

    The rule, applied to each run of apostrophe characters (', ‘, ’, `, ´, ʻ, ʼ):

    - A run right after a Latin letter gets its first character replaced by ʻ
      when that letter is o, O, g or G, and by ʼ otherwise. Any further
      characters of the run stay as typed.
    - A run at the start of a word opens a quotation and stays as typed. The next
      run at the end of a word on the same line closes it and also stays as typed,
      so 'Toshkent' keeps its quotes. A closing run longer than the opening one
      starts with the word's own mark, so 'bog'' becomes 'bogʻ'. A quoted
      word typed with a single closing apostrophe after o or g ('bog') is read as
      a quotation, because the text offers no way to distinguish the two.
    - A run after a Cyrillic letter, a digit, a space or punctuation stays as typed,
      so Cyrillic text and measurements such as 5' are not changed.

    The function is idempotent: it only replaces apostrophes with apostrophes, and
    each decision depends on the characters around a run and on its length, never
    on which apostrophe characters it contains.
    """
    return "\n".join(_normalize_line(line) for line in text.split("\n"))


def _is_removed_control(char: str) -> bool:
    return char not in "\n\t" and unicodedata.category(char) == "Cc"


# Letters that display as blank space, though Unicode files them as letters.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
# Format characters (zero-width spaces and joiners, direction marks),
# combining marks without a base, separators, and unassigned or private code points.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cn", "Co", "Cs", "Mn", "Me", "Zs", "Zl", "Zp"})


def has_visible_char(text: str) -> bool:
    """Return whether `text` contains a character that a reader can see."""
    return any(not char.isspace() and char not in _BLANK_LETTERS
               and unicodedata.category(char) not in _INVISIBLE_CATEGORIES for char in text)


def clean_text(text: str) -> str:
    """Normalise user input: NFC, no control characters except \\n and \\t, trimmed, Uzbek apostrophes.

    Line endings \\r\\n and lone \\r become \\n before control characters are removed.
    """
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(char for char in text if not _is_removed_control(char))
    text = text.strip()
    return normalize_apostrophes(text)


# Uzbek Cyrillic letters, and the Russian ones, in Uzbek Latin (lowercase).
# е, ц and ъ are handled in _transliterate_char because their spelling depends on the neighbours.
_CYRILLIC_TO_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ё": "yo", "ж": "j",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n",
    "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f",
    "х": "x", "ч": "ch", "ш": "sh", "щ": "shch", "ы": "i", "ь": "", "э": "e",
    "ю": "yu", "я": "ya", "ў": "o" + OKINA, "қ": "q", "ғ": "g" + OKINA, "ҳ": "h",
}
_CYRILLIC_VOWELS = frozenset("аеёиоуўэюяы")


def _transliterate_char(text: str, index: int) -> str:
    """Return the lowercase Latin spelling of the Cyrillic letter at `index`."""
    lower = text[index].lower()
    previous = text[index - 1].lower() if index > 0 else ""
    following = text[index + 1].lower() if index + 1 < len(text) else ""

    if lower == "е":
        # Uzbek Latin spelling rule: ye at the start of a word, after a vowel and after ъ or ь.
        if not previous.isalpha() or previous in _CYRILLIC_VOWELS or previous in "ъь":
            return "ye"
        return "e"
    if lower == "ц":
        # Uzbek Latin spelling rule: ts after a vowel (militsiya), s elsewhere (sirk, aksiya).
        return "ts" if previous in _CYRILLIC_VOWELS else "s"
    if lower == "ъ":
        # Before е the sign only separates syllables in Russian loanwords (объект -> obyekt).
        # Elsewhere it is the tutuq belgisi (таълим -> taʼlim, меъёр -> meʼyor).
        return "" if following == "е" else TUTUQ
    return _CYRILLIC_TO_LATIN[lower]


def _apply_case(latin: str, text: str, index: int) -> str:
    """Give `latin` the case of the letter at `index`, in upper case inside an all-caps word."""
    char = text[index]
    if not char.isupper() or not latin:
        return latin
    following = text[index + 1] if index + 1 < len(text) else ""
    previous = text[index - 1] if index > 0 else ""
    in_capitals_word = following.isupper() or (not following.isalpha() and previous.isupper())
    if in_capitals_word or len(latin) == 1:
        return latin.upper()
    return latin[0].upper() + latin[1:]


def cyrillic_to_latin(text: str) -> str:
    """Transliterate Uzbek Cyrillic, and the Russian letters, to Uzbek Latin.

    ў -> oʻ, ғ -> gʻ, қ -> q, ҳ -> h, ш -> sh, ч -> ch, ё -> yo, ю -> yu, я -> ya,
    х -> x, ж -> j, й -> y; other letters map one to one. Context rules of the
    Uzbek Latin orthography:

    - е is ye at the start of a word, after a vowel and after ъ or ь (Ер -> Yer,
      поезд -> poyezd). Otherwise it is e.
    - ц is ts after a vowel (милиция -> militsiya) and s elsewhere (акция -> aksiya).
    - ъ is ʼ, except before е, where it is dropped (объект -> obyekt).
    - ь is dropped, and щ becomes shch.

    An uppercase letter that becomes two Latin letters is title case on its own
    (Ш -> Sh) and upper case inside an all-caps word (ШАҲАР -> SHAHAR).
    Characters that are not Cyrillic letters pass through unchanged.
    """
    parts: list[str] = []
    for index, char in enumerate(text):
        if char.lower() in _CYRILLIC_TO_LATIN or char.lower() in "ецъ":
            latin = _transliterate_char(text, index)
            parts.append(_apply_case(latin, text, index))
        else:
            parts.append(char)
    return "".join(parts)


def search_key(text: str) -> str:
    """Build a key that compares equal for the same words in Uzbek Latin and Cyrillic.

    The key is the Latin transliteration, case-folded, with every apostrophe
    character removed and whitespace collapsed to single spaces. So
    "Ўзбекистон", "Oʻzbekiston" and "O'ZBEKISTON" all give "ozbekiston".
    """
    text = unicodedata.normalize("NFC", text)
    text = cyrillic_to_latin(text).casefold()
    text = "".join(char for char in text if char not in APOSTROPHES)
    return " ".join(text.split())


UZBEKISTAN_CALLING_CODE = "998"
_UZBEK_NATIONAL_DIGITS = 9
# E.164 allows at most 15 digits. The minimum of 7 admits the shortest numbering
# plans, such as Niue's 4-digit numbers after the calling code 683.
_E164_MIN_DIGITS = 7
_E164_MAX_DIGITS = 15
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")


def normalize_phone(text: str | None) -> str | None:
    """Return the phone number in E.164 form (+998901234567), or None when it is invalid.

    Accepted: an Uzbek number with or without +998 ("+998 90 123-45-67",
    "998901234567", "90 123 45 67"), and a foreign number in international form
    with + or 00. Spaces, hyphens, dots and brackets between the digits are ignored.
    A number without + or 00 that is not Uzbek is rejected, because its country
    cannot be known.
    """
    if not isinstance(text, str):
        return None
    compact = _PHONE_SEPARATORS.sub("", text)

    international = False
    if compact.startswith("+"):
        compact = compact[1:]
        international = True
    elif compact.startswith("00"):
        compact = compact[2:]
        international = True

    # str.isdigit() also accepts other scripts' digits and superscripts, so check for ASCII.
    if not compact.isascii() or not compact.isdigit():
        return None

    if not international and len(compact) == _UZBEK_NATIONAL_DIGITS:
        compact = UZBEKISTAN_CALLING_CODE + compact
    elif not international and not (
        len(compact) == len(UZBEKISTAN_CALLING_CODE) + _UZBEK_NATIONAL_DIGITS
        and compact.startswith(UZBEKISTAN_CALLING_CODE)
    ):
        return None

    if compact.startswith(UZBEKISTAN_CALLING_CODE):
        national = compact[len(UZBEKISTAN_CALLING_CODE):]
        if len(national) != _UZBEK_NATIONAL_DIGITS or national.startswith("0"):
            return None
    elif compact.startswith("0") or not _E164_MIN_DIGITS <= len(compact) <= _E164_MAX_DIGITS:
        return None

    return "+" + compact


# RFC 5321 limits an SMTP path to 256 characters, and two of them are the angle brackets.
MAX_EMAIL_LENGTH = 254
_MAX_EMAIL_LOCAL_LENGTH = 64
# Characters that are legal only in quoted local parts, which no real citizen address needs.
_EMAIL_FORBIDDEN = frozenset('"(),:;<>[\\]')


def is_valid_email(text: str | None) -> bool:
    """Check that `text` looks like a deliverable e-mail address.

    This is a practical check, not RFC 5322. The address has at most 254
    characters and exactly one @. It contains no whitespace, control characters,
    quotes or brackets. The local part has at most 64 characters and no leading,
    trailing or doubled dots. The domain has at least two non-empty labels, none
    starting or ending with a hyphen, and the last label has two or more
    characters and is not all digits. Non-ASCII (internationalised) addresses
    are accepted.
    """
    if not isinstance(text, str) or not text or len(text) > MAX_EMAIL_LENGTH:
        return False
    if text.count("@") != 1:
        return False
    if any(char.isspace() or unicodedata.category(char) == "Cc" or char in _EMAIL_FORBIDDEN for char in text):
        return False

    local, domain = text.split("@")
    if not local or len(local) > _MAX_EMAIL_LOCAL_LENGTH:
        return False
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return False

    labels = domain.split(".")
    if len(labels) < 2 or any(not label for label in labels):
        return False
    if any(label.startswith("-") or label.endswith("-") for label in labels):
        return False
    top_level = labels[-1]
    return len(top_level) >= 2 and not top_level.isdigit()

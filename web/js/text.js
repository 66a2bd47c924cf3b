// Uzbek apostrophes and cross-script search keys in the browser. The rules are
// those of chalicelib/text.py (normalize_apostrophes, search_key), so the page
// shows what the API will store and finds what the API would find.
(function () {
  "use strict";

  const OKINA = "\u02BB"; // ʻ in oʻ and gʻ
  const TUTUQ = "\u02BC"; // ʼ, the tutuq belgisi
  // Characters that people type in place of ʻ and ʼ, including the two themselves.
  const APOSTROPHES = "'\u2018\u2019`\u02BC\u02BB\u00B4";
  const APOSTROPHE_RUN = /['\u2018\u2019`\u02BC\u02BB\u00B4]+/gu;
  const LETTER_OR_DIGIT = /^[\p{L}\p{N}]$/u;
  const LATIN_LETTER = /^(?=\p{L})\p{Script=Latin}$/u;

  // The character (code point) that ends just before `index`, or "".
  function charBefore(text, index) {
    if (index <= 0) {
      return "";
    }
    const code = text.charCodeAt(index - 1);
    const isLowSurrogate = code >= 0xdc00 && code <= 0xdfff;
    return isLowSurrogate && index >= 2 ? text.slice(index - 2, index) : text[index - 1];
  }

  function charAt(text, index) {
    if (index >= text.length) {
      return "";
    }
    return String.fromCodePoint(text.codePointAt(index));
  }

  function isWordChar(char) {
    return char !== "" && !APOSTROPHES.includes(char) && LETTER_OR_DIGIT.test(char);
  }

  function isLatinLetter(char) {
    return char !== "" && LATIN_LETTER.test(char);
  }

  function letterMark(previousLetter) {
    return "oOgG".includes(previousLetter) ? OKINA : TUTUQ;
  }

  function normalizeLine(line) {
    let result = "";
    let position = 0;
    let openQuoteLength = 0; // length of the run that opened a quotation, 0 when none is open

    for (const match of line.matchAll(APOSTROPHE_RUN)) {
      const run = match[0];
      const start = match.index;
      const end = start + run.length;
      const before = charBefore(line, start);
      const followsWord = isWordChar(before);
      const precedesWord = isWordChar(charAt(line, end));
      let replacement = run;

      if (!followsWord && precedesWord) {
        // Start of a word: an opening quotation mark, which stays as typed.
        openQuoteLength = run.length;
      } else if (followsWord && !precedesWord && openQuoteLength) {
        // End of a quoted word. A run longer than the opening one also
        // carries the word's own final ʻ or ʼ ('bog'' becomes 'bogʻ').
        if (run.length > openQuoteLength && isLatinLetter(before)) {
          replacement = letterMark(before) + run.slice(1);
        }
        openQuoteLength = 0;
      } else if (isLatinLetter(before)) {
        replacement = letterMark(before) + run.slice(1);
      }

      result += line.slice(position, start) + replacement;
      position = end;
    }
    return result + line.slice(position);
  }

  /**
   * Rewrite apostrophes typed in Uzbek Latin words: ʻ (U+02BB) after o and g,
   * ʼ (U+02BC) after other Latin letters. Quotation marks around a word, and
   * apostrophes after Cyrillic letters, digits or spaces, stay as typed.
   * Every replacement is one UTF-16 unit for one, so the caret keeps its place.
   */
  function normalizeApostrophes(text) {
    return text.split("\n").map(normalizeLine).join("\n");
  }

  // Uzbek Cyrillic letters, and the Russian ones, in Uzbek Latin (lower case).
  // е, ц and ъ depend on their neighbours and are handled in transliterateChar.
  const CYRILLIC_TO_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ё": "yo", "ж": "j",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n",
    "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f",
    "х": "x", "ч": "ch", "ш": "sh", "щ": "shch", "ы": "i", "ь": "", "э": "e",
    "ю": "yu", "я": "ya", "ў": "o" + OKINA, "қ": "q", "ғ": "g" + OKINA, "ҳ": "h",
  };
  const CYRILLIC_VOWELS = "аеёиоуўэюяы";
  const LETTER = /^\p{L}$/u;

  // The Latin spelling of the lower-case Cyrillic letter at `index` of `lower`.
  function transliterateChar(lower, index) {
    const letter = lower[index];
    const previous = index > 0 ? lower[index - 1] : "";
    const following = index + 1 < lower.length ? lower[index + 1] : "";

    if (letter === "е") {
      // ye at the start of a word, after a vowel and after ъ or ь (Ер -> Yer, поезд -> poyezd).
      const startsSyllable = !LETTER.test(previous) || CYRILLIC_VOWELS.includes(previous) || "ъь".includes(previous);
      return startsSyllable ? "ye" : "e";
    }
    if (letter === "ц") {
      // ts after a vowel (милиция -> militsiya), s elsewhere (акция -> aksiya).
      return previous !== "" && CYRILLIC_VOWELS.includes(previous) ? "ts" : "s";
    }
    if (letter === "ъ") {
      // Dropped before е (объект -> obyekt). Elsewhere it is the tutuq belgisi (таълим -> taʼlim).
      return following === "е" ? "" : TUTUQ;
    }
    return CYRILLIC_TO_LATIN[letter];
  }

  /**
   * Build a key that compares equal for the same words in Uzbek Latin and
   * Cyrillic: lower case, Cyrillic transliterated to Latin, apostrophes removed,
   * whitespace collapsed. "Ўзбекистон", "Oʻzbekiston" and "O'ZBEKISTON" all
   * give "ozbekiston". Lower-casing first gives the same transliteration as the
   * API's, because its context rules look only at lower-case neighbours.
   */
  function searchKey(text) {
    const lower = text.normalize("NFC").toLowerCase();
    let latin = "";
    for (let index = 0; index < lower.length; index += 1) {
      const char = lower[index];
      const isCyrillicLetter = Object.prototype.hasOwnProperty.call(CYRILLIC_TO_LATIN, char) || "ецъ".includes(char);
      latin += isCyrillicLetter ? transliterateChar(lower, index) : char;
    }
    const withoutApostrophes = Array.from(latin).filter((char) => !APOSTROPHES.includes(char)).join("");
    return withoutApostrophes.split(/\s+/u).filter(Boolean).join(" ");
  }

  /**
   * Normalise apostrophes in a text field as the citizen types and when it
   * loses focus, keeping the caret and the selection where they were.
   */
  function normalizeFieldApostrophes(field) {
    function update(event) {
      if (event && event.isComposing) {
        return;
      }
      const normalized = normalizeApostrophes(field.value);
      if (normalized === field.value) {
        return;
      }
      const { selectionStart, selectionEnd, selectionDirection } = field;
      field.value = normalized;
      if (document.activeElement === field) {
        field.setSelectionRange(selectionStart, selectionEnd, selectionDirection);
      }
    }
    field.addEventListener("input", update);
    field.addEventListener("compositionend", () => update());
    field.addEventListener("blur", () => update());
  }

  window.Murojaat = window.Murojaat || {};
  window.Murojaat.text = { normalizeApostrophes, searchKey, normalizeFieldApostrophes };
})();

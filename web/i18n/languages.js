// The name of each language of the site in that language, for the language switcher.
// The object literal is strict JSON so that tests can read it without a browser.
window.MUROJAAT_LANGUAGE_NAMES = {
  "uz": "Oʻzbekcha",
  "uz-Cyrl": "Ўзбекча",
  "ru": "Русский",
  "en": "English"
};

// The site's language: the texts from web/i18n/<language>.js, the language
// switcher, <html lang>, and dates and numbers written the way each language
// writes them. Only the chosen language's file is loaded, to keep pages small.
(function () {
  "use strict";

  const LANGUAGES = ["uz", "uz-Cyrl", "ru", "en"];
  const DEFAULT_LANGUAGE = "uz";
  const STORAGE_KEY = "murojaat.language";
  // Asia/Tashkent is UTC+5 all year, with no daylight saving time.
  const TASHKENT_OFFSET_MINUTES = 5 * 60;

  window.MUROJAAT_I18N = window.MUROJAAT_I18N || {};
  const tables = window.MUROJAAT_I18N;
  const languageNames = window.MUROJAAT_LANGUAGE_NAMES || {};
  const listeners = [];
  let current = storedLanguage();
  let switchCount = 0;

  function storedLanguage() {
    try {
      const stored = window.localStorage.getItem(STORAGE_KEY);
      if (LANGUAGES.includes(stored)) {
        return stored;
      }
    } catch (error) {
      // Private mode or strict settings can block storage, and then the default applies.
    }
    return DEFAULT_LANGUAGE;
  }

  function lookup(key) {
    const table = tables[current] || {};
    if (Object.prototype.hasOwnProperty.call(table, key)) {
      return table[key];
    }
    console.warn("Missing translation", current, key);
    return undefined;
  }

  function has(key) {
    return Object.prototype.hasOwnProperty.call(tables[current] || {}, key);
  }

  /** Return the text for `key` in the current language with {name} placeholders filled from `params`. */
  function t(key, params) {
    const template = lookup(key);
    if (typeof template !== "string") {
      return key;
    }
    return template.replace(/\{(\w+)\}/g, (whole, name) =>
      params && Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole);
  }

  function formatNumber(value) {
    const separator = t("number.groupSeparator");
    return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, separator);
  }

  function formatDecimal(value, digits) {
    return Number(value).toFixed(digits).replace(".", t("number.decimalSeparator"));
  }

  /** Format a rate from 0 to 1 as a whole percentage. */
  function formatPercent(rate) {
    return t("number.percent", { value: String(Math.round(Number(rate) * 100)) });
  }

  /** Format an ISO date (2026-03-24) as the current language writes it. Other text is returned as given. */
  function formatDate(isoDate) {
    const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(isoDate || "");
    if (!match) {
      return isoDate || "";
    }
    const months = lookup("date.months") || [];
    return t("date.format", {
      year: match[1],
      month: months[Number(match[2]) - 1] || match[2],
      day: String(Number(match[3])),
    });
  }

  /** Format a UTC timestamp from the API (2026-03-05T06:30:00.000000Z) in Tashkent time. */
  function formatDateTime(timestamp) {
    const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(timestamp || "");
    if (!match) {
      return timestamp || "";
    }
    const utc = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]));
    const local = new Date(utc + TASHKENT_OFFSET_MINUTES * 60 * 1000);
    const isoDate = local.toISOString().slice(0, 10);
    const time = local.toISOString().slice(11, 16);
    return t("date.dateTime", { date: formatDate(isoDate), time });
  }

  /**
   * Fill every element marked data-i18n="key" with its text, and every
   * data-i18n-attr="attribute=key; attribute=key" with attribute values.
   */
  function translateDocument(root) {
    root.querySelectorAll("[data-i18n]").forEach((element) => {
      element.textContent = t(element.getAttribute("data-i18n"));
    });
    root.querySelectorAll("[data-i18n-attr]").forEach((element) => {
      element.getAttribute("data-i18n-attr").split(";").forEach((pair) => {
        const [attribute, key] = pair.split("=").map((part) => part.trim());
        if (attribute && key) {
          element.setAttribute(attribute, t(key));
        }
      });
    });
  }

  function updateSwitcher() {
    document.querySelectorAll("[data-language]").forEach((button) => {
      const language = button.getAttribute("data-language");
      button.textContent = languageNames[language] || language;
      button.setAttribute("aria-pressed", String(language === current));
    });
  }

  /** Load web/i18n/<language>.js unless it is loaded already. */
  function loadTexts(language) {
    if (tables[language]) {
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = `i18n/${language}.js`;
      script.addEventListener("load", () => resolve());
      script.addEventListener("error", () => reject(new Error(`Loading ${script.src} failed`)));
      document.head.append(script);
    });
  }

  function applyLanguage() {
    document.documentElement.lang = current;
    translateDocument(document);
    updateSwitcher();
  }

  /** Switch the site to `language`, remember the choice and let the page redraw its own content. */
  async function setLanguage(language) {
    if (!LANGUAGES.includes(language)) {
      return;
    }
    switchCount += 1;
    const thisSwitch = switchCount;
    try {
      await loadTexts(language);
    } catch (error) {
      console.error(error.message);
      return; // the page stays in the language it has
    }
    if (thisSwitch !== switchCount) {
      return; // a later click chose another language while this file loaded
    }
    current = language;
    try {
      window.localStorage.setItem(STORAGE_KEY, language);
    } catch (error) {
      // The choice then lasts only for this page.
    }
    applyLanguage();
    listeners.forEach((listener) => listener(language));
  }

  function onLanguageChange(listener) {
    listeners.push(listener);
  }

  function language() {
    return current;
  }

  document.querySelectorAll("[data-language]").forEach((button) => {
    button.addEventListener("click", () => setLanguage(button.getAttribute("data-language")));
  });
  // Resolves once the first language's texts are on the page. Page scripts
  // start drawing after it, because t() returns bare keys before that.
  const ready = loadTexts(current)
    .catch((error) => {
      console.error(error.message);
      current = DEFAULT_LANGUAGE;
      return loadTexts(current);
    })
    .then(applyLanguage);

  window.Murojaat = window.Murojaat || {};
  window.Murojaat.i18n = {
    LANGUAGES, ready, t, has, lookup, language, setLanguage, onLanguageChange,
    formatDate, formatDateTime, formatNumber, formatDecimal, formatPercent, translateDocument,
  };
})();

// Error messages of a form: one under each field it concerns, and a summary at
// the top in a role="alert" region so that screen readers announce it.
(function () {
  "use strict";

  const i18n = window.Murojaat.i18n;

  /**
   * Return the message for an error {code, field} in the current language.
   * A text for the code and this field (errors.<code>.<field>) wins over the
   * text for the code alone. A code this site does not know gets errors.unknown.
   */
  function errorMessage(error, limits) {
    const specific = `errors.${error.code}.${error.field}`;
    if (error.field && i18n.has(specific)) {
      return i18n.t(specific);
    }
    if (i18n.has(`errors.${error.code}`)) {
      return i18n.t(`errors.${error.code}`, { limit: i18n.formatNumber((limits || {})[error.field] || "") });
    }
    return i18n.t("errors.unknown", { code: error.code });
  }

  /**
   * Create the error display of one form.
   *
   * fields lists the form's fields in the order they appear:
   *   {name: API field path, aliases: other paths shown at the same place,
   *    control: id of the input, or of the fieldset of a radio group,
   *    label: translation key of the field's name in the summary}.
   * Each control needs an element with the id "<control>-error" for its message.
   */
  function createErrorDisplay({ summary, fields, limits }) {
    let errors = [];

    function fieldOf(path) {
      return fields.find((field) => field.name === path || (field.aliases || []).includes(path)) || null;
    }

    // The elements that carry aria-invalid: the input, or every radio of a group.
    function targetsOf(field) {
      const control = document.getElementById(field.control);
      if (control.matches("fieldset")) {
        return Array.from(control.querySelectorAll("input"));
      }
      return [control];
    }

    function focusTarget(field) {
      const targets = targetsOf(field);
      return targets.find((target) => target.checked) || targets[0];
    }

    function resetField(field) {
      const errorElement = document.getElementById(`${field.control}-error`);
      errorElement.hidden = true;
      errorElement.textContent = "";
      targetsOf(field).forEach((target) => {
        target.removeAttribute("aria-invalid");
        const base = target.getAttribute("data-describedby");
        if (base === null) {
          return;
        }
        if (base) {
          target.setAttribute("aria-describedby", base);
        } else {
          target.removeAttribute("aria-describedby");
        }
      });
    }

    function markField(field, message) {
      const errorId = `${field.control}-error`;
      const errorElement = document.getElementById(errorId);
      const prefix = document.createElement("span");
      prefix.className = "visually-hidden";
      prefix.textContent = `${i18n.t("common.errorPrefix")} `;
      errorElement.replaceChildren(prefix, document.createTextNode(message));
      errorElement.hidden = false;
      targetsOf(field).forEach((target) => {
        if (target.getAttribute("data-describedby") === null) {
          target.setAttribute("data-describedby", target.getAttribute("aria-describedby") || "");
        }
        const base = target.getAttribute("data-describedby");
        target.setAttribute("aria-invalid", "true");
        target.setAttribute("aria-describedby", base ? `${errorId} ${base}` : errorId);
      });
    }

    function renderSummary(items) {
      if (!items.length) {
        summary.replaceChildren();
        return null;
      }
      const box = document.createElement("div");
      box.className = "error-summary";
      box.tabIndex = -1;
      const title = document.createElement("h2");
      title.textContent = i18n.t("errors.summaryTitle");
      const list = document.createElement("ul");
      items.forEach(({ field, message }) => {
        const item = document.createElement("li");
        if (field) {
          const link = document.createElement("a");
          link.href = `#${field.control}`;
          link.textContent = `${i18n.t(field.label)}: ${message}`;
          link.addEventListener("click", (event) => {
            event.preventDefault();
            focusTarget(field).focus();
          });
          item.append(link);
        } else {
          item.textContent = message;
        }
        list.append(item);
      });
      box.append(title, list);
      summary.replaceChildren(box);
      return box;
    }

    function render(moveFocus) {
      fields.forEach(resetField);
      const fieldItems = [];
      const generalItems = [];
      errors.forEach((error) => {
        const field = error.field ? fieldOf(error.field) : null;
        const message = errorMessage(error, limits);
        if (field && !fieldItems.some((item) => item.field === field)) {
          markField(field, message);
          fieldItems.push({ field, message });
        } else if (!field) {
          generalItems.push({ field: null, message });
        }
      });
      fieldItems.sort((a, b) => fields.indexOf(a.field) - fields.indexOf(b.field));
      const box = renderSummary(generalItems.concat(fieldItems));

      if (!moveFocus || !box) {
        return;
      }
      if (fieldItems.length) {
        focusTarget(fieldItems[0].field).focus();
      } else {
        box.focus();
      }
    }

    return {
      /** Show `list` ([{code, field}]) and move the focus to the first invalid field. */
      show(list) {
        errors = list.slice();
        render(true);
      },
      clear() {
        errors = [];
        render(false);
      },
      /** Redraw the shown errors in the current language without moving the focus. */
      refresh() {
        render(false);
      },
    };
  }

  window.Murojaat.forms = { createErrorDisplay, errorMessage };
})();

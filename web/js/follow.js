// follow.html: the citizen's view of an appeal, its answer and the rating form.
// The page reads an appeal only after the citizen submits the number and the
// access code, because the first read of an answer is recorded as reading it.
(function () {
  "use strict";

  const { i18n, api, forms, text } = window.Murojaat;
  const t = i18n.t;

  const APPEAL_NUMBER = /^\d{4}-\d{6}$/;
  const MAX_COMMENT_CHARS = 2000; // chalicelib/appeals.py MAX_COMMENT_CHARS

  const form = document.getElementById("follow-form");
  const numberInput = document.getElementById("appeal-number");
  const codeInput = document.getElementById("access-code");
  const followStatus = document.getElementById("follow-status");
  const view = document.getElementById("appeal-view");
  const ratingForm = document.getElementById("rating-form");
  const ratingStatus = document.getElementById("rating-status");
  const commentField = document.getElementById("rating-comment");
  const recoverForm = document.getElementById("recover-form");
  const recoverNumberInput = document.getElementById("recover-number");
  const recoverStatus = document.getElementById("recover-status");

  const errors = forms.createErrorDisplay({
    summary: document.getElementById("error-summary"),
    fields: [
      { name: "appeal_id", control: "appeal-number", label: "follow.number" },
      { name: "X-Access-Code", control: "access-code", label: "follow.code" },
    ],
  });
  const ratingErrors = forms.createErrorDisplay({
    summary: document.getElementById("rating-errors"),
    limits: { comment: MAX_COMMENT_CHARS },
    fields: [
      { name: "score", control: "score", label: "rating.legend" },
      { name: "comment", control: "rating-comment", label: "rating.comment" },
    ],
  });
  const recoverErrors = forms.createErrorDisplay({
    summary: document.getElementById("recover-errors"),
    fields: [{ name: "appeal_id", control: "recover-number", label: "follow.number" }],
  });

  const state = {
    agencies: [],
    appealId: null,
    accessCode: null,
    appeal: null,
    explanationLanguage: null,
    ratingFormFilledFor: null,
    busy: false,
    ratingStatusKey: null,
    recoverBusy: false,
    recoverStatus: null,
  };

  /** Return the number in the form 2026-000123, or null. Spaces and a missing hyphen are forgiven. */
  function normalizeNumber(value) {
    const compact = value.replace(/\s+/g, "").replace(/[\u2010-\u2015\u2212]/g, "-");
    const withHyphen = /^\d{10}$/.test(compact) ? `${compact.slice(0, 4)}-${compact.slice(4)}` : compact;
    return APPEAL_NUMBER.test(withHyphen) ? withHyphen : null;
  }

  // ------------------------------------------------------------ loading

  async function fetchAppeal(appealId, accessCode) {
    const [result, agencies] = await Promise.all([
      api.request("GET", `/v1/appeals/${encodeURIComponent(appealId)}`, { headers: { "X-Access-Code": accessCode } }),
      api.loadAgencies(),
    ]);
    if (agencies.ok) {
      state.agencies = agencies.agencies;
    }
    return result;
  }

  function showAppeal(appeal) {
    state.appeal = appeal;
    state.explanationLanguage = i18n.language();
    render();
  }

  async function submit(event) {
    event.preventDefault();
    if (state.busy) {
      return;
    }
    const rawNumber = numberInput.value.trim();
    const appealId = normalizeNumber(rawNumber);
    const accessCode = codeInput.value.trim();
    const problems = [];
    if (!rawNumber) {
      problems.push({ code: "field_required", field: "appeal_id" });
    } else if (!appealId) {
      problems.push({ code: "invalid_number", field: "appeal_id" });
    }
    if (!accessCode) {
      problems.push({ code: "access_code_required", field: "X-Access-Code" });
    }
    if (problems.length) {
      errors.show(problems);
      return;
    }

    numberInput.value = appealId;
    state.busy = true;
    followStatus.textContent = t("follow.loading");
    const result = await fetchAppeal(appealId, accessCode);
    state.busy = false;
    followStatus.textContent = "";

    if (!result.ok) {
      const error = result.error;
      if (error.code === "appeal_not_found") {
        error.field = "appeal_id";
      }
      view.hidden = true;
      state.appeal = null;
      errors.show([error]);
      return;
    }
    errors.clear();
    ratingErrors.clear();
    setRatingStatus(null);
    state.appealId = appealId;
    state.accessCode = accessCode;
    showAppeal(result.data);
    // The number, never the access code, goes into the address, so a reload keeps it.
    window.history.replaceState(null, "", `?id=${encodeURIComponent(appealId)}`);
    document.getElementById("appeal-title").focus();
  }

  // ------------------------------------------------------------ rendering

  function setText(id, value) {
    document.getElementById(id).textContent = value;
  }

  function translatedOr(key, fallback) {
    return i18n.has(key) ? t(key) : fallback;
  }

  function renderHistory(history) {
    const list = document.getElementById("appeal-history");
    const items = (history || []).map((entry) => {
      const item = document.createElement("li");
      const time = document.createElement("time");
      time.dateTime = entry.at || "";
      time.textContent = i18n.formatDateTime(entry.at);
      const label = document.createElement("span");
      const eventName = i18n.has(`event.${entry.type}`) ? t(`event.${entry.type}`) : t("event.other", { type: entry.type });
      label.textContent = entry.agency_id ? `${eventName} — ${api.agencyName(state.agencies, entry.agency_id)}` : eventName;
      item.append(time, label);
      return item;
    });
    list.replaceChildren(...items);
  }

  function renderRating(appeal) {
    const answerRead = Boolean(appeal.answer && appeal.answer.read_at);
    document.getElementById("rating").hidden = !answerRead;
    if (!answerRead) {
      return;
    }
    const rating = appeal.rating;
    const current = document.getElementById("rating-current");
    current.hidden = !rating;
    if (rating) {
      setText("rating-current-score", t("rating.current", { score: rating.score, date: i18n.formatDateTime(rating.rated_at) }));
      const hasComment = Boolean(rating.comment);
      document.getElementById("rating-current-comment-label").hidden = !hasComment;
      document.getElementById("rating-current-comment").hidden = !hasComment;
      setText("rating-current-comment", rating.comment || "");
    }

    // Fill the form from the stored rating only when that rating changes, so a
    // redraw (a language switch) keeps what the citizen is choosing.
    const filledFor = `${appeal.appeal_id}|${rating ? rating.rated_at : ""}`;
    if (state.ratingFormFilledFor !== filledFor) {
      state.ratingFormFilledFor = filledFor;
      ratingForm.querySelectorAll("input[name=score]").forEach((radio) => {
        radio.checked = Boolean(rating) && Number(radio.value) === rating.score;
      });
      commentField.value = rating && rating.comment ? rating.comment : "";
    }
  }

  function render() {
    const appeal = state.appeal;
    if (!appeal) {
      view.hidden = true;
      return;
    }
    view.hidden = false;
    setText("appeal-title", t("follow.appealTitle", { number: appeal.appeal_id }));
    document.getElementById("appeal-overdue").hidden = !appeal.overdue;
    setText("appeal-status", translatedOr(`status.${appeal.status}`, appeal.status));
    setText("appeal-agency", api.agencyName(state.agencies, appeal.agency_id));
    setText("appeal-kind", translatedOr(`kind.${appeal.kind}`, appeal.kind));
    setText("appeal-submitted", i18n.formatDateTime(appeal.submitted_at));
    setText("appeal-due", i18n.formatDate(appeal.due_date));
    const explanation = document.getElementById("appeal-due-explanation");
    explanation.textContent = appeal.due_explanation || "";
    explanation.lang = state.explanationLanguage;

    const appealText = document.getElementById("appeal-text");
    appealText.textContent = appeal.text || "";
    appealText.hidden = appeal.text === null || appeal.text === undefined;
    appealText.lang = appeal.language || "";
    document.getElementById("appeal-text-hidden").hidden = !appeal.text_hidden;

    const answer = appeal.answer;
    document.getElementById("no-answer").hidden = Boolean(answer);
    document.getElementById("answer").hidden = !answer;
    if (answer) {
      setText("answer-meta", t("follow.answeredAt", { date: i18n.formatDateTime(answer.answered_at) }));
      setText("answer-text", answer.text || "");
    }

    renderRating(appeal);
    renderHistory(appeal.history);
  }

  // ------------------------------------------------------------ rating

  function setRatingStatus(key) {
    state.ratingStatusKey = key;
    ratingStatus.textContent = key ? t(key) : "";
  }

  async function submitRating(event) {
    event.preventDefault();
    if (state.busy || !state.appeal) {
      return;
    }
    setRatingStatus(null);
    const checked = ratingForm.querySelector("input[name=score]:checked");
    const comment = text.normalizeApostrophes(commentField.value.trim());
    const problems = [];
    if (!checked) {
      problems.push({ code: "field_required", field: "score" });
    }
    if (Array.from(comment).length > MAX_COMMENT_CHARS) {
      problems.push({ code: "field_too_long", field: "comment" });
    }
    if (problems.length) {
      ratingErrors.show(problems);
      return;
    }

    const button = document.getElementById("send-rating");
    state.busy = true;
    button.disabled = true;
    button.textContent = t("rating.sending");
    const body = { score: Number(checked.value) };
    if (comment) {
      body.comment = comment;
    }
    const result = await api.request("POST", `/v1/appeals/${encodeURIComponent(state.appealId)}/rating`, {
      body,
      headers: { "X-Access-Code": state.accessCode },
    });
    let reloaded = null;
    if (result.ok) {
      reloaded = await fetchAppeal(state.appealId, state.accessCode);
    }
    state.busy = false;
    button.disabled = false;
    button.textContent = t("rating.submit");

    if (!result.ok) {
      ratingErrors.show([result.error]);
      return;
    }
    ratingErrors.clear();
    if (reloaded && reloaded.ok) {
      showAppeal(reloaded.data);
    }
    setRatingStatus("rating.saved");
    document.getElementById("rating-current").focus();
  }

  // ------------------------------------------------------------ a new access code

  /** Return the API's error for a failed request for a new code, at the number field when the appeal is unknown. */
  function recoverErrorOf(result) {
    const error = result.error;
    if (error.code === "appeal_not_found") {
      return { code: error.code, field: "appeal_id" };
    }
    return { code: error.code, field: null };
  }

  /** Return the whole minutes to wait from a rate_limited error's details.retry_after (seconds). */
  function retryMinutes(result) {
    const details = result.data && result.data.error && result.data.error.details;
    const seconds = details && Number.isFinite(details.retry_after) ? details.retry_after : 60;
    return Math.max(1, Math.ceil(seconds / 60));
  }

  function setRecoverStatus(status) {
    state.recoverStatus = status;
    recoverStatus.textContent = status ? t(status.key, status.values) : "";
  }

  async function submitRecover(event) {
    event.preventDefault();
    if (state.recoverBusy) {
      return;
    }
    setRecoverStatus(null);
    const rawNumber = recoverNumberInput.value.trim();
    const appealId = normalizeNumber(rawNumber);
    if (!rawNumber || !appealId) {
      recoverErrors.show([{ code: rawNumber ? "invalid_number" : "field_required", field: "appeal_id" }]);
      return;
    }
    recoverNumberInput.value = appealId;

    const button = document.getElementById("send-code");
    state.recoverBusy = true;
    button.disabled = true;
    button.textContent = t("recover.sending");
    const result = await api.request("POST", `/v1/appeals/${encodeURIComponent(appealId)}/access-code`, { body: {} });
    state.recoverBusy = false;
    button.disabled = false;
    button.textContent = t("recover.submit");

    if (!result.ok) {
      const error = recoverErrorOf(result);
      if (error.code === "rate_limited") {
        recoverErrors.clear();
        setRecoverStatus({ key: "errors.rate_limited_minutes", values: { minutes: retryMinutes(result) } });
        return;
      }
      recoverErrors.show([error]);
      return;
    }
    recoverErrors.clear();
    setRecoverStatus({ key: "recover.sent", values: { number: appealId } });
    // The citizen types the new code from the e-mail into the form above.
    numberInput.value = appealId;
  }

  // ------------------------------------------------------------ language

  async function redraw() {
    errors.refresh();
    ratingErrors.refresh();
    recoverErrors.refresh();
    setRecoverStatus(state.recoverStatus);
    if (state.ratingStatusKey) {
      ratingStatus.textContent = t(state.ratingStatusKey);
    }
    render();
    // The due date explanation comes from the API in the language of the
    // request, so read the appeal again for the new language.
    if (state.appeal && state.accessCode && !state.busy) {
      const result = await fetchAppeal(state.appealId, state.accessCode);
      if (result.ok) {
        showAppeal(result.data);
      }
    }
  }

  // ------------------------------------------------------------ start

  const requestedNumber = normalizeNumber(new URLSearchParams(window.location.search).get("id") || "");
  if (requestedNumber) {
    numberInput.value = requestedNumber;
    recoverNumberInput.value = requestedNumber;
  }
  text.normalizeFieldApostrophes(commentField);
  form.addEventListener("submit", submit);
  ratingForm.addEventListener("submit", submitRating);
  recoverForm.addEventListener("submit", submitRecover);
  i18n.onLanguageChange(redraw);
})();

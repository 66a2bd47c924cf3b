// index.html: the form that sends an appeal, and the confirmation shown after it.
(function () {
  "use strict";

  const { i18n, api, forms, text } = window.Murojaat;
  const t = i18n.t;

  // The API's limits (chalicelib/appeals.py and config.Settings.max_text_chars), in characters.
  const LIMITS = {
    text: 20000,
    "applicant.full_name": 200,
    "applicant.address": 500,
    "applicant.email": 254,
    "applicant.phone": 40,
  };
  // Errors after which the API has used up the captcha, so a new picture is
  // needed: its own errors, and those raised after the captcha was checked.
  const CAPTCHA_ERRORS = ["captcha_wrong", "captcha_expired", "captcha_not_found", "duplicate_submission",
    "rate_limited", "unavailable", "internal_error"];
  const COUNT_ANNOUNCE_DELAY_MS = 1500;

  const form = document.getElementById("appeal-form");
  const search = document.getElementById("agency-search");
  const agencySelect = document.getElementById("agency");
  const agencyCount = document.getElementById("agency-count");
  const textField = document.getElementById("text");
  const textCount = document.getElementById("text-count");
  const textCountAnnouncement = document.getElementById("text-count-announcement");
  const captchaImage = document.getElementById("captcha-image");
  const captchaAnswer = document.getElementById("captcha-answer");
  const captchaStatus = document.getElementById("captcha-status");
  const captchaPlayer = document.getElementById("captcha-player");
  const refreshButton = document.getElementById("captcha-refresh");
  const audioButton = document.getElementById("captcha-audio");
  const submitButton = document.getElementById("submit-appeal");

  const errors = forms.createErrorDisplay({
    summary: document.getElementById("error-summary"),
    limits: LIMITS,
    fields: [
      { name: "agency_id", control: "agency", label: "send.agency" },
      { name: "kind", control: "kind", label: "send.kind" },
      { name: "text", control: "text", label: "send.text" },
      { name: "applicant.full_name", control: "full-name", label: "send.fullName" },
      { name: "applicant.address", control: "address", label: "send.address" },
      { name: "applicant.email", control: "email", label: "send.email" },
      { name: "applicant.phone", control: "phone", label: "send.phone" },
      { name: "captcha_answer", aliases: ["captcha_id"], control: "captcha-answer", label: "send.captchaAnswer" },
    ],
  });

  const state = {
    agencies: [],
    captchaId: null,
    captchaStatusKey: null,
    submitting: false,
    idempotency: null,
    result: null,
    duplicateOf: null,
  };

  // ------------------------------------------------------------ agency picker

  // Agencies citizens may choose: the test agencies of the stage are left out.
  function selectableAgencies() {
    return state.agencies.filter((agency) => !agency.is_test);
  }

  function agencySearchKey(agency) {
    if (!agency.searchKey) {
      agency.searchKey = Object.values(agency.name || {}).map(text.searchKey).join(" | ");
    }
    return agency.searchKey;
  }

  // The agencies whose name, in any language or script, contains every word of the query.
  function matchingAgencies() {
    const words = text.searchKey(search.value).split(" ").filter(Boolean);
    const language = i18n.language();
    return selectableAgencies()
      .filter((agency) => words.every((word) => agencySearchKey(agency).includes(word)))
      .sort((a, b) => api.agencyName([a], a.id).localeCompare(api.agencyName([b], b.id), language));
  }

  function renderAgencyOptions() {
    const previous = agencySelect.value;
    const matches = matchingAgencies();
    const placeholder = new Option(t("send.agencyChoose"), "");
    const options = matches.map((agency) => new Option(api.agencyName(state.agencies, agency.id), agency.id));
    agencySelect.replaceChildren(placeholder, ...options);

    const searching = search.value.trim() !== "";
    if (matches.some((agency) => agency.id === previous)) {
      agencySelect.value = previous;
    } else if (searching && matches.length === 1) {
      agencySelect.value = matches[0].id;
    } else {
      agencySelect.value = "";
    }
    return { matches, searching };
  }

  function describeSearch({ matches, searching }) {
    if (!searching) {
      return "";
    }
    if (!matches.length) {
      return t("send.agencyCountNone");
    }
    if (matches.length === 1 && agencySelect.value === matches[0].id) {
      return t("send.agencyCountSelected", { name: api.agencyName(state.agencies, matches[0].id) });
    }
    return t("send.agencyCount", { count: i18n.formatNumber(matches.length) });
  }

  function updateAgencies() {
    agencyCount.textContent = describeSearch(renderAgencyOptions());
  }

  // ------------------------------------------------------------ text counter

  function characterCount(value) {
    // The API counts Unicode characters, not UTF-16 units, so count code points.
    return Array.from(value).length;
  }

  function counterText() {
    const count = characterCount(textField.value);
    if (count > LIMITS.text) {
      return t("send.textOver", { count: i18n.formatNumber(count - LIMITS.text) });
    }
    return t("send.textCount", { count: i18n.formatNumber(count), limit: i18n.formatNumber(LIMITS.text) });
  }

  let announceTimer = null;

  function updateCounter() {
    const over = characterCount(textField.value) > LIMITS.text;
    textCount.textContent = counterText();
    textCount.classList.toggle("over-limit", over);
  }

  function announceCounterLater() {
    // Screen readers hear the count once typing pauses, not after every key.
    window.clearTimeout(announceTimer);
    announceTimer = window.setTimeout(() => {
      textCountAnnouncement.textContent = counterText();
    }, COUNT_ANNOUNCE_DELAY_MS);
  }

  // ------------------------------------------------------------ captcha

  function setCaptchaStatus(key) {
    state.captchaStatusKey = key;
    captchaStatus.textContent = key ? t(key) : "";
  }

  /**
   * Load a new picture, and with `withAudio` its sound, which then starts to
   * play. With `announce`, the status line reports the change. The first
   * picture of the page needs no announcement.
   */
  async function loadCaptcha(withAudio, announce = true) {
    refreshButton.disabled = true;
    audioButton.disabled = true;
    if (announce) {
      setCaptchaStatus(withAudio ? "send.captchaAudioLoading" : "send.captchaLoading");
    }
    const result = await api.request("POST", "/v1/captcha", { body: { audio: Boolean(withAudio) } });
    refreshButton.disabled = false;
    audioButton.disabled = false;

    if (!result.ok || !result.data || !result.data.image) {
      state.captchaId = null;
      setCaptchaStatus("errors.captcha_load_failed");
      return false;
    }
    state.captchaId = result.data.captcha_id;
    captchaImage.src = result.data.image;
    captchaAnswer.value = "";

    if (withAudio && result.data.audio) {
      captchaPlayer.src = result.data.audio;
      captchaPlayer.hidden = false;
      setCaptchaStatus("send.captchaAudioReady");
      captchaPlayer.play().catch(() => {
        // The browser may block autoplay, and then the player's own controls still work.
      });
    } else {
      // A sound of the previous picture would no longer match.
      captchaPlayer.pause();
      captchaPlayer.removeAttribute("src");
      captchaPlayer.hidden = true;
      setCaptchaStatus(announce ? "send.captchaNewPicture" : null);
    }
    return true;
  }

  // ------------------------------------------------------------ submitting

  function trimmed(id) {
    return document.getElementById(id).value.trim();
  }

  function collectBody() {
    const checkedKind = form.querySelector("input[name=kind]:checked");
    const applicant = {
      full_name: text.normalizeApostrophes(trimmed("full-name")),
      address: text.normalizeApostrophes(trimmed("address")),
    };
    const email = trimmed("email");
    const phone = trimmed("phone");
    if (email) {
      applicant.email = email;
    }
    if (phone) {
      applicant.phone = phone;
    }
    return {
      agency_id: agencySelect.value,
      kind: checkedKind ? checkedKind.value : "",
      text: text.normalizeApostrophes(textField.value.trim()),
      language: i18n.language(),
      applicant,
      captcha_id: state.captchaId,
      captcha_answer: captchaAnswer.value.trim(),
    };
  }

  // A loose e-mail check, because the API makes the exact one.
  const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/u;

  /** Return the problems the page can see before sending, in the API's error vocabulary. */
  function validate(body) {
    const problems = [];
    if (!body.agency_id) {
      problems.push({ code: "field_required", field: "agency_id" });
    }
    if (!body.kind) {
      problems.push({ code: "field_required", field: "kind" });
    }
    if (!body.text) {
      problems.push({ code: "field_required", field: "text" });
    } else if (characterCount(body.text) > LIMITS.text) {
      problems.push({ code: "field_too_long", field: "text" });
    }
    ["full_name", "address"].forEach((key) => {
      const field = `applicant.${key}`;
      if (!body.applicant[key]) {
        problems.push({ code: "anonymous_appeal", field });
      } else if (characterCount(body.applicant[key]) > LIMITS[field]) {
        problems.push({ code: "field_too_long", field });
      }
    });
    if (!body.applicant.email && !body.applicant.phone) {
      problems.push({ code: "contact_required", field: "applicant.email" });
    } else if (body.applicant.email && !EMAIL_SHAPE.test(body.applicant.email)) {
      problems.push({ code: "invalid_email", field: "applicant.email" });
    }
    if (!body.captcha_answer) {
      problems.push({ code: "field_required", field: "captcha_answer" });
    }
    return problems;
  }

  /**
   * Return the Idempotency-Key header for `body`. The key stays the same while
   * the body does, so sending again after a lost response returns the stored
   * result (with the access code) instead of registering a second appeal.
   */
  function idempotencyHeaders(body) {
    if (!window.crypto || typeof window.crypto.randomUUID !== "function") {
      return {};
    }
    const serialized = JSON.stringify(body);
    if (!state.idempotency || state.idempotency.body !== serialized) {
      state.idempotency = { body: serialized, key: window.crypto.randomUUID() };
    }
    return { "Idempotency-Key": state.idempotency.key };
  }

  function setSubmitting(submitting) {
    state.submitting = submitting;
    submitButton.disabled = submitting;
    submitButton.textContent = t(submitting ? "send.submitting" : "send.submit");
  }

  async function submit(event) {
    event.preventDefault();
    if (state.submitting) {
      return;
    }
    state.duplicateOf = null;
    const body = collectBody();
    const problems = validate(body);
    if (problems.length) {
      errors.show(problems);
      return;
    }

    setSubmitting(true);
    const result = await api.request("POST", "/v1/appeals", { body, headers: idempotencyHeaders(body) });
    setSubmitting(false);

    if (result.ok && result.data && result.data.appeal_id) {
      errors.clear();
      showConfirmation(result.data, body);
      return;
    }
    const error = result.error;
    if (CAPTCHA_ERRORS.includes(error.code)) {
      // The API has used the picture up, so show a new one and keep everything else.
      await loadCaptcha(false);
    }
    if (error.code === "payload_too_large" && !error.field) {
      error.field = "text";
    }
    state.duplicateOf = error.code === "duplicate_submission" ? duplicateNumber(result) : null;
    errors.show([error]);
    showDuplicateNumber();
  }

  /** Return the number of the appeal registered first, from the error's details, or null. */
  function duplicateNumber(result) {
    const details = result.data && result.data.error && result.data.error.details;
    return details && typeof details.appeal_id === "string" ? details.appeal_id : null;
  }

  // The error display builds its text from an error's code alone, so the text
  // that names the first appeal's number replaces the general one in the summary.
  function showDuplicateNumber() {
    const item = document.querySelector("#error-summary li");
    if (state.duplicateOf && item) {
      item.textContent = t("errors.duplicate_submission_number", { number: state.duplicateOf });
    }
  }

  // ------------------------------------------------------------ confirmation

  function renderConfirmation() {
    const { response, kind, language } = state.result;
    document.getElementById("confirm-number").textContent = response.appeal_id;
    document.getElementById("confirm-code").textContent = response.access_code;
    document.getElementById("confirm-agency").textContent = api.agencyName(state.agencies, response.agency_id);
    document.getElementById("confirm-kind").textContent = t(`kind.${kind}`);
    document.getElementById("confirm-registered").textContent = i18n.formatDate(response.registered_on);
    document.getElementById("confirm-due").textContent = i18n.formatDate(response.due_date);
    const explanation = document.getElementById("confirm-explanation");
    // The API writes the explanation in the appeal's language, which stays as sent.
    explanation.textContent = response.due_explanation || "";
    explanation.lang = language;
    document.getElementById("confirm-follow").href = `follow.html?id=${encodeURIComponent(response.appeal_id)}`;
  }

  function showConfirmation(response, body) {
    state.result = { response, kind: body.kind, language: body.language };
    renderConfirmation();
    document.getElementById("send-section").hidden = true;
    document.getElementById("confirmation").hidden = false;
    document.getElementById("confirmation-title").focus();
    window.scrollTo(0, 0);
  }

  function setConfirmStatus(key) {
    document.getElementById("confirm-status").textContent = t(key);
  }

  async function copyCode() {
    const code = state.result.response.access_code;
    try {
      await navigator.clipboard.writeText(code);
      setConfirmStatus("confirm.copied");
    } catch (error) {
      // Clipboard access is refused outside secure contexts and in some browsers.
      const range = document.createRange();
      range.selectNodeContents(document.getElementById("confirm-code"));
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      setConfirmStatus("confirm.copyFailed");
    }
  }

  function receiptText() {
    const { response } = state.result;
    const followUrl = new URL(`follow.html?id=${encodeURIComponent(response.appeal_id)}`, window.location.href).href;
    const lines = [
      t("receipt.title"),
      "",
      `${t("confirm.number")}: ${response.appeal_id}`,
      `${t("confirm.code")}: ${response.access_code}`,
      `${t("confirm.agency")}: ${api.agencyName(state.agencies, response.agency_id)}`,
      `${t("confirm.kind")}: ${t(`kind.${state.result.kind}`)}`,
      `${t("confirm.registered")}: ${i18n.formatDate(response.registered_on)}`,
      `${t("confirm.due")}: ${i18n.formatDate(response.due_date)}`,
      response.due_explanation || "",
      "",
      t("receipt.keep"),
      t("receipt.followAt", { url: followUrl }),
      "",
    ];
    return lines.join("\r\n");
  }

  function saveReceipt() {
    // The byte order mark lets older Windows editors recognise UTF-8.
    const blob = new Blob(["\ufeff", receiptText()], { type: "text/plain;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = `murojaat-${state.result.response.appeal_id}.txt`;
    document.body.append(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 10000);
    setConfirmStatus("confirm.saved");
  }

  // ------------------------------------------------------------ language

  function redraw() {
    updateAgencies();
    updateCounter();
    submitButton.textContent = t(state.submitting ? "send.submitting" : "send.submit");
    if (state.captchaStatusKey) {
      captchaStatus.textContent = t(state.captchaStatusKey);
    }
    errors.refresh();
    showDuplicateNumber();
    if (state.result) {
      renderConfirmation();
    }
    document.getElementById("confirm-status").textContent = "";
  }

  // ------------------------------------------------------------ start

  async function loadAgencyList() {
    const result = await api.loadAgencies();
    if (!result.ok) {
      errors.show([{ code: result.error.code === "network" ? "network" : "agencies_failed", field: null }]);
      return;
    }
    state.agencies = result.agencies;
    updateAgencies();
  }

  [textField, document.getElementById("full-name"), document.getElementById("address")]
    .forEach(text.normalizeFieldApostrophes);
  search.addEventListener("input", updateAgencies);
  textField.addEventListener("input", () => {
    updateCounter();
    announceCounterLater();
  });
  refreshButton.addEventListener("click", () => loadCaptcha(false));
  audioButton.addEventListener("click", () => loadCaptcha(true));
  form.addEventListener("submit", submit);
  document.getElementById("copy-code").addEventListener("click", copyCode);
  document.getElementById("save-receipt").addEventListener("click", saveReceipt);
  i18n.onLanguageChange(redraw);

  i18n.ready.then(() => {
    updateCounter();
    renderAgencyOptions();
    loadAgencyList();
    loadCaptcha(false, false);
  });
})();

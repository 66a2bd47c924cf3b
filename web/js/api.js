// Calls to the murojaat API. The API's address comes from config.js, which the
// deployment writes (window.MUROJAAT_CONFIG = {"apiBaseUrl": "..."}).
(function () {
  "use strict";

  const i18n = window.Murojaat.i18n;

  function baseUrl() {
    const config = window.MUROJAAT_CONFIG || {};
    return typeof config.apiBaseUrl === "string" ? config.apiBaseUrl.replace(/\/+$/, "") : "";
  }

  /**
   * Send a request and return {ok, status, data, error}. Network and HTTP
   * failures do not throw. Then error is {code, field} from the API's error
   * body, or a code made here ("network", "not_configured", "http_<status>")
   * when there is no such body.
   * Accept-Language carries the site's language so that texts the API writes
   * (due date explanations) come in that language.
   */
  async function request(method, path, options = {}) {
    const base = baseUrl();
    if (!base) {
      return { ok: false, status: 0, data: null, error: { code: "not_configured", field: null } };
    }
    const headers = { Accept: "application/json", "Accept-Language": i18n.language() };
    Object.assign(headers, options.headers || {});
    const init = { method, headers, credentials: "omit", cache: "no-store" };
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }

    let response;
    try {
      response = await fetch(base + path, init);
    } catch (error) {
      return { ok: false, status: 0, data: null, error: { code: "network", field: null } };
    }

    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
    if (response.ok) {
      return { ok: true, status: response.status, data, error: null };
    }
    const apiError = data && typeof data.error === "object" && data.error ? data.error : {};
    return {
      ok: false,
      status: response.status,
      data,
      error: {
        code: typeof apiError.code === "string" ? apiError.code : `http_${response.status}`,
        field: typeof apiError.field === "string" ? apiError.field : null,
      },
    };
  }

  let agenciesPromise = null;

  /** Return the connected agencies, fetched once per page, as {ok, agencies, error}. */
  function loadAgencies() {
    if (!agenciesPromise) {
      agenciesPromise = request("GET", "/v1/agencies").then((result) => {
        if (!result.ok || !result.data || !Array.isArray(result.data.agencies)) {
          agenciesPromise = null; // let a later call try again
          return { ok: false, agencies: [], error: result.error || { code: "unknown" } };
        }
        return { ok: true, agencies: result.data.agencies, error: null };
      });
    }
    return agenciesPromise;
  }

  /** Return the agency's name in the site's language, or its id when the agency is unknown. */
  function agencyName(agencies, agencyId) {
    const agency = agencies.find((item) => item.id === agencyId);
    if (!agency || !agency.name) {
      return agencyId || "";
    }
    return agency.name[i18n.language()] || agency.name.uz || agencyId;
  }

  window.Murojaat.api = { request, loadAgencies, agencyName };
})();

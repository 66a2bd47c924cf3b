// stats.html: public statistics per agency, drawn as bars in inline SVG.
//
// NOTE: GET /v1/stats is not part of the API yet. This page assumes the body
// {"agencies": [{"agency_id": "mvd", "received": 12, "completed": 8}, ...]}
// ("completed" optional) and shows "not available yet" for anything else,
// including the 403 or 404 that API Gateway and chalice local give for an unknown route.
(function () {
  "use strict";

  const { i18n, api } = window.Murojaat;
  const t = i18n.t;
  const SVG_NAMESPACE = "http://www.w3.org/2000/svg";

  const statusElement = document.getElementById("stats-status");
  const section = document.getElementById("stats-received");
  const barList = document.getElementById("stats-bars");

  const state = { rows: null, agencies: [] };

  function setStatus(key) {
    // data-i18n lets a language switch translate the message again.
    statusElement.setAttribute("data-i18n", key);
    statusElement.textContent = t(key);
  }

  function isCount(value) {
    return Number.isInteger(value) && value >= 0;
  }

  /** Return the rows that can be drawn, or null when the body is not in the expected shape. */
  function readRows(data) {
    if (!data || !Array.isArray(data.agencies)) {
      return null;
    }
    const testAgencies = new Set(state.agencies.filter((agency) => agency.is_test).map((agency) => agency.id));
    return data.agencies
      .filter((row) => row && typeof row.agency_id === "string" && isCount(row.received))
      .filter((row) => !testAgencies.has(row.agency_id))
      .map((row) => ({
        agencyId: row.agency_id,
        received: row.received,
        completed: isCount(row.completed) ? row.completed : null,
      }))
      .filter((row) => row.received > 0)
      .sort((a, b) => b.received - a.received);
  }

  function svgElement(name, attributes) {
    const element = document.createElementNS(SVG_NAMESPACE, name);
    Object.entries(attributes).forEach(([key, value]) => element.setAttribute(key, String(value)));
    return element;
  }

  // A bar 100 units wide: the received count on top, the answered count below it.
  function barChart(row, maximum) {
    const svg = svgElement("svg", {
      class: "bar",
      viewBox: "0 0 100 10",
      preserveAspectRatio: "none",
      "aria-hidden": "true",
      focusable: "false",
    });
    svg.append(svgElement("rect", { class: "bar-track", x: 0, y: 0, width: 100, height: 10 }));
    svg.append(svgElement("rect", { class: "bar-received", x: 0, y: 0, width: (100 * row.received) / maximum, height: 6 }));
    if (row.completed !== null) {
      svg.append(svgElement("rect", { class: "bar-completed", x: 0, y: 6, width: (100 * row.completed) / maximum, height: 4 }));
    }
    return svg;
  }

  function render() {
    if (!state.rows) {
      return;
    }
    if (!state.rows.length) {
      section.hidden = true;
      setStatus("stats.empty");
      return;
    }
    const maximum = Math.max(...state.rows.map((row) => row.received));
    const items = state.rows.map((row) => {
      const item = document.createElement("li");
      const name = document.createElement("span");
      name.className = "bar-name";
      name.textContent = api.agencyName(state.agencies, row.agencyId);
      const values = document.createElement("span");
      values.className = "bar-values";
      const parts = [t("stats.received", { count: i18n.formatNumber(row.received) })];
      if (row.completed !== null) {
        parts.push(t("stats.completed", { count: i18n.formatNumber(row.completed) }));
      }
      values.textContent = parts.join(" · ");
      item.append(name, barChart(row, maximum), values);
      return item;
    });
    barList.replaceChildren(...items);
    section.hidden = false;
    statusElement.hidden = true;
  }

  async function load() {
    const [result, agencies] = await Promise.all([api.request("GET", "/v1/stats"), api.loadAgencies()]);
    if (agencies.ok) {
      state.agencies = agencies.agencies;
    }
    const rows = result.ok ? readRows(result.data) : null;
    if (!rows) {
      setStatus("stats.unavailable");
      return;
    }
    state.rows = rows;
    render();
  }

  i18n.onLanguageChange(render);
  load();
})();

// stats.html: the public statistics of GET /v1/stats (period "all"), with the
// appeals per agency drawn as bars in inline SVG. docs/statistics.md defines
// every figure. Until the hourly job has computed them (computed_at is null),
// or when the API cannot be reached, the page shows that they are not available yet.
(function () {
  "use strict";

  const { i18n } = window.Murojaat;
  const { api } = window.Murojaat;
  const t = i18n.t;
  const SVG_NAMESPACE = "http://www.w3.org/2000/svg";

  const statusElement = document.getElementById("stats-status");
  const content = document.getElementById("stats-content");

  let stats = null;

  function setStatus(key) {
    // data-i18n lets a language switch translate the message again.
    statusElement.setAttribute("data-i18n", key);
    statusElement.textContent = t(key);
  }

  function isStatsBody(data) {
    return Boolean(data && data.computed_at && data.totals && Array.isArray(data.agencies) && data.rankings);
  }

  function agencyName(agencyId) {
    const agency = stats.agencies.find((item) => item.agency_id === agencyId);
    const names = (agency && agency.name) || {};
    return names[i18n.language()] || names.uz || agencyId;
  }

  // ------------------------------------------------------------ totals

  function rateOrNoData(rate) {
    return rate === null || rate === undefined ? t("stats.noData") : i18n.formatPercent(rate);
  }

  function totalsRows(totals) {
    const count = (value) => i18n.formatNumber(value || 0);
    const meanScore = totals.mean_score === null || totals.mean_score === undefined
      ? t("stats.noData")
      : t("stats.scoreValue", { score: i18n.formatDecimal(totals.mean_score, 2) });
    return [
      ["stats.appeals", count(totals.appeals), null],
      ["stats.answered", count(totals.completed), null],
      ["stats.openOverdue", count(totals.open_overdue), null],
      ["stats.onTime", rateOrNoData(totals.on_time_rate), t("stats.onTimeBase", { count: count(totals.matured) })],
      ["stats.coverage", rateOrNoData(totals.rating_coverage), t("stats.coverageBase", { count: count(totals.answers_read) })],
      ["stats.meanScore", meanScore, t("stats.ratingsCount", { count: count(totals.rated) })],
    ];
  }

  function renderTotals() {
    const rows = totalsRows(stats.totals).map(([labelKey, value, base]) => {
      const row = document.createElement("div");
      const term = document.createElement("dt");
      term.textContent = t(labelKey);
      const definition = document.createElement("dd");
      definition.textContent = value;
      if (base) {
        const baseText = document.createElement("span");
        baseText.className = "figure-base";
        baseText.textContent = base;
        definition.append(baseText);
      }
      row.append(term, definition);
      return row;
    });
    document.getElementById("stats-totals").replaceChildren(...rows);
  }

  // ------------------------------------------------------------ bars

  function svgElement(name, attributes) {
    const element = document.createElementNS(SVG_NAMESPACE, name);
    Object.entries(attributes).forEach(([key, value]) => element.setAttribute(key, String(value)));
    return element;
  }

  // A bar 100 units wide: the appeals received on top, those answered below.
  // The numbers are also written out as text, so the colours carry no meaning of their own.
  function barChart(appeals, completed, maximum) {
    const svg = svgElement("svg", {
      class: "bar",
      viewBox: "0 0 100 10",
      preserveAspectRatio: "none",
      "aria-hidden": "true",
      focusable: "false",
    });
    svg.append(svgElement("rect", { class: "bar-track", x: 0, y: 0, width: 100, height: 10 }));
    svg.append(svgElement("rect", { class: "bar-received", x: 0, y: 0, width: (100 * appeals) / maximum, height: 6 }));
    svg.append(svgElement("rect", { class: "bar-completed", x: 0, y: 6, width: (100 * completed) / maximum, height: 4 }));
    return svg;
  }

  function renderBars() {
    const rows = stats.agencies
      .map((agency) => ({ id: agency.agency_id, figures: agency.figures || {} }))
      .filter((row) => row.figures.appeals > 0)
      .sort((a, b) => b.figures.appeals - a.figures.appeals || a.id.localeCompare(b.id));
    document.getElementById("stats-empty").hidden = rows.length > 0;
    const maximum = Math.max(1, ...rows.map((row) => row.figures.appeals));
    const items = rows.map((row) => {
      const item = document.createElement("li");
      const name = document.createElement("span");
      name.className = "bar-name";
      name.textContent = agencyName(row.id);
      const completed = row.figures.completed || 0;
      const values = document.createElement("span");
      values.className = "bar-values";
      values.textContent = [
        t("stats.received", { count: i18n.formatNumber(row.figures.appeals) }),
        t("stats.completed", { count: i18n.formatNumber(completed) }),
      ].join(" · ");
      item.append(name, barChart(row.figures.appeals, completed, maximum), values);
      return item;
    });
    document.getElementById("stats-bars").replaceChildren(...items);
  }

  // ------------------------------------------------------------ satisfaction

  function renderSatisfaction() {
    const rankings = stats.rankings;
    document.getElementById("stats-satisfaction-note").textContent =
      t("stats.satisfactionNote", { min: i18n.formatNumber(rankings.min_ratings) });
    const entries = Array.isArray(rankings.most_satisfied) ? rankings.most_satisfied : [];
    document.getElementById("stats-satisfaction-none").hidden = entries.length > 0;
    const items = entries.map((entry) => {
      const item = document.createElement("li");
      const name = document.createElement("span");
      name.className = "ranking-name";
      name.textContent = agencyName(entry.agency_id);
      const [low, high] = entry.interval_95 || [entry.score, entry.score];
      const figures = document.createElement("span");
      figures.textContent = t("stats.satisfactionEntry", {
        score: i18n.formatDecimal(entry.score, 2),
        low: i18n.formatDecimal(low, 2),
        high: i18n.formatDecimal(high, 2),
        count: i18n.formatNumber(entry.ratings),
      });
      item.append(name, figures);
      return item;
    });
    document.getElementById("stats-satisfaction").replaceChildren(...items);
  }

  function render() {
    if (!stats) {
      return;
    }
    document.getElementById("stats-as-of").textContent = t("stats.asOf", { date: i18n.formatDateTime(stats.computed_at) });
    renderTotals();
    renderBars();
    renderSatisfaction();
    statusElement.hidden = true;
    content.hidden = false;
  }

  async function load() {
    const result = await api.request("GET", "/v1/stats?period=all");
    if (!result.ok || !isStatsBody(result.data)) {
      setStatus("stats.unavailable");
      return;
    }
    stats = result.data;
    render();
  }

  i18n.onLanguageChange(render);
  i18n.ready.then(load);
})();

// stats.html: the public statistics of GET /v1/stats (period "all"), drawn in
// inline SVG: appeals per agency, answered and on-time rates per agency,
// satisfaction with its 95 % interval, and rating coverage by ISO week. Every
// chart is hidden from screen readers, because its figures are also written
// out as text or in a table. docs/statistics.md defines every figure. Until
// the hourly job has computed them (computed_at is null), or when the API
// cannot be reached, the page shows that they are not available yet.
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

  // ------------------------------------------------------------ answered and on time

  // Two bars on a 0–100 % scale: the share answered on top, the share answered on time below.
  function rateChart(completionRate, onTimeRate) {
    const svg = svgElement("svg", {
      class: "bar",
      viewBox: "0 0 100 10",
      preserveAspectRatio: "none",
      "aria-hidden": "true",
      focusable: "false",
    });
    svg.append(svgElement("rect", { class: "bar-track", x: 0, y: 0, width: 100, height: 10 }));
    svg.append(svgElement("rect", { class: "rate-completed", x: 0, y: 0, width: 100 * completionRate, height: 5 }));
    svg.append(svgElement("rect", { class: "rate-on-time", x: 0, y: 5, width: 100 * onTimeRate, height: 5 }));
    return svg;
  }

  function renderRates() {
    const rows = stats.agencies
      .map((agency) => ({ id: agency.agency_id, figures: agency.figures || {} }))
      .filter((row) => row.figures.matured > 0)
      .sort((a, b) => b.figures.completion_rate - a.figures.completion_rate
        || b.figures.on_time_rate - a.figures.on_time_rate || a.id.localeCompare(b.id));
    document.getElementById("stats-rates-empty").hidden = rows.length > 0;
    const items = rows.map((row) => {
      const item = document.createElement("li");
      const name = document.createElement("span");
      name.className = "rate-name";
      name.textContent = agencyName(row.id);
      const completionRate = row.figures.completion_rate || 0;
      const onTimeRate = row.figures.on_time_rate || 0;
      const values = document.createElement("span");
      values.className = "bar-values";
      values.textContent = t("stats.rateEntry", {
        completed: i18n.formatPercent(completionRate),
        onTime: i18n.formatPercent(onTimeRate),
        count: i18n.formatNumber(row.figures.matured),
      });
      item.append(name, rateChart(completionRate, onTimeRate), values);
      return item;
    });
    document.getElementById("stats-rates").replaceChildren(...items);
  }

  // ------------------------------------------------------------ satisfaction

  const SCORE_MIN = 1;
  const SCORE_MAX = 5;

  function scorePosition(score) {
    return (100 * (score - SCORE_MIN)) / (SCORE_MAX - SCORE_MIN);
  }

  // The scale 1 to 5 with the 95 % interval as a band and the score as a mark.
  function satisfactionChart(score, low, high) {
    const svg = svgElement("svg", {
      class: "bar satisfaction-chart",
      viewBox: "0 0 100 10",
      preserveAspectRatio: "none",
      "aria-hidden": "true",
      focusable: "false",
    });
    svg.append(svgElement("rect", { class: "bar-track", x: 0, y: 3, width: 100, height: 4 }));
    svg.append(svgElement("rect", {
      class: "satisfaction-interval", x: scorePosition(low), y: 3, width: scorePosition(high) - scorePosition(low), height: 4,
    }));
    const markWidth = 1.6;
    const markX = Math.min(100 - markWidth, Math.max(0, scorePosition(score) - markWidth / 2));
    svg.append(svgElement("rect", { class: "satisfaction-score", x: markX, y: 0, width: markWidth, height: 10 }));
    return svg;
  }

  // Every ranked agency, best first. docs/statistics.md explains the shrunk score.
  function rankedAgencies() {
    return stats.agencies
      .map((agency) => ({ id: agency.agency_id, rating: (agency.figures || {}).satisfaction || {} }))
      .filter((row) => row.rating.status === "ranked")
      .sort((a, b) => b.rating.score - a.rating.score || a.id.localeCompare(b.id));
  }

  function renderSatisfaction() {
    const rankings = stats.rankings;
    document.getElementById("stats-satisfaction-note").textContent =
      t("stats.satisfactionNote", { min: i18n.formatNumber(rankings.min_ratings) });
    const rows = rankedAgencies();
    document.getElementById("stats-satisfaction-none").hidden = rows.length > 0;
    const items = rows.map((row) => {
      const item = document.createElement("li");
      const name = document.createElement("span");
      name.className = "ranking-name";
      name.textContent = agencyName(row.id);
      const [low, high] = row.rating.interval_95 || [row.rating.score, row.rating.score];
      const figures = document.createElement("span");
      figures.className = "bar-values";
      figures.textContent = t("stats.satisfactionEntry", {
        score: i18n.formatDecimal(row.rating.score, 2),
        low: i18n.formatDecimal(low, 2),
        high: i18n.formatDecimal(high, 2),
        count: i18n.formatNumber(row.rating.ratings),
      });
      item.append(name, satisfactionChart(row.rating.score, low, high), figures);
      return item;
    });
    document.getElementById("stats-satisfaction").replaceChildren(...items);
  }

  // ------------------------------------------------------------ rating coverage by week

  // The Monday of an ISO week such as "2026-W17", as YYYY-MM-DD: week 1 is the
  // week that contains 4 January.
  function isoWeekMonday(week) {
    const [year, number] = week.split("-W").map(Number);
    const fourthOfJanuary = new Date(Date.UTC(year, 0, 4));
    const weekday = fourthOfJanuary.getUTCDay() || 7;
    const monday = new Date(fourthOfJanuary);
    monday.setUTCDate(4 - weekday + 1 + 7 * (number - 1));
    return monday.toISOString().slice(0, 10);
  }

  function coverageOf(week) {
    return week.answers_read > 0 ? week.rated / week.answers_read : null;
  }

  // One column per week, its height the share of read answers that were rated.
  function trendChart(weeks) {
    const columnWidth = 10;
    const svg = svgElement("svg", {
      class: "trend-chart",
      viewBox: `0 0 ${columnWidth * weeks.length} 50`,
      preserveAspectRatio: "none",
      "aria-hidden": "true",
      focusable: "false",
    });
    svg.append(svgElement("rect", { class: "bar-track", x: 0, y: 0, width: columnWidth * weeks.length, height: 50 }));
    weeks.forEach((week, index) => {
      const coverage = coverageOf(week);
      if (coverage === null) {
        return;
      }
      svg.append(svgElement("rect", {
        class: "trend-bar", x: index * columnWidth + 1.5, y: 50 - 50 * coverage, width: columnWidth - 3, height: 50 * coverage,
      }));
    });
    return svg;
  }

  function renderTrend() {
    const weeks = Array.isArray(stats.totals.trend) ? stats.totals.trend : [];
    const hasReads = weeks.some((week) => week.answers_read > 0);
    document.getElementById("stats-trend-empty").hidden = hasReads;
    document.getElementById("stats-trend-chart").replaceChildren(...(hasReads ? [trendChart(weeks)] : []));
    const rows = weeks.map((week) => {
      const row = document.createElement("tr");
      const label = document.createElement("th");
      label.scope = "row";
      label.textContent = t("stats.weekOf", { date: i18n.formatDate(isoWeekMonday(week.week)) });
      const cells = [
        i18n.formatNumber(week.answers_read || 0),
        i18n.formatNumber(week.rated || 0),
        rateOrNoData(coverageOf(week)),
      ].map((text) => {
        const cell = document.createElement("td");
        cell.textContent = text;
        return cell;
      });
      row.append(label, ...cells);
      return row;
    });
    document.querySelector("#stats-trend tbody").replaceChildren(...rows);
  }

  function render() {
    if (!stats) {
      return;
    }
    document.getElementById("stats-as-of").textContent = t("stats.asOf", { date: i18n.formatDateTime(stats.computed_at) });
    renderTotals();
    renderBars();
    renderRates();
    renderSatisfaction();
    renderTrend();
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

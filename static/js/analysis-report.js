// The monthly incident analysis (月度警情分析) and the quarterly security
// analysis (季度治安形势分析): a period selector, the key figures against
// the previous period, five charts and three ranked lists.
//
// Hooks for tests: #analysis[data-state=loading|loaded|failed]
// [data-period=2026-11|2026-Q4][data-kind=month|quarter][data-incidents];
// #period-kind (select: month|quarter), #period-month (input type=month),
// #period-year and #period-quarter (quarter), #period-prev, #period-next,
// #period-load; figures #fig-incidents, #fig-clearance, #fig-mediation
// [data-met=1|0|''], #fig-ack, #fig-scene, #fig-cases, each with a
// .figure-value; charts #chart-category, #chart-level, #chart-grid,
// #chart-hour, #chart-weekday with data-ready="1" once drawn; lists
// #list-frequent, #list-rising, #list-hotspots (li[data-key]).

import { ApiError } from './api.js';
import { byId, el } from './dom.js';
import { categoryName, levelName, LEVELS } from './refdata.js';
import * as rapi from './analysis-api.js';
import { axes, baseOption, drawChart, fs } from './analysis-charts.js';
import { rt } from './analysis-i18n.js';
import { duration, gridName, int, percent, signedPercent, thisMonth, two } from './analysis-ref.js';

/** The mediation success rate the centre is held to. */
export const MEDIATION_TARGET = 0.95;

/** Level colours: I red, II orange, III yellow, IV blue. */
export const LEVEL_COLOURS = { I: '#e53935', II: '#fb8c00', III: '#fdd835', IV: '#1e88e5' };

/** Weekdays in the order shown (Monday first), as indexes of by_weekday (0 = Sunday). */
const WEEK_ORDER = [1, 2, 3, 4, 5, 6, 0];

/** Bars beyond this many are left out of a ranked chart (the lists keep the top). */
const MAX_BARS = 20;

/** @type {{kind: 'month'|'quarter', year: number, month: number, quarter: number}} */
const sel = { kind: 'month', year: 2026, month: 1, quarter: 1 };
/** @type {any} the last analysis shown */
let data = null;
/** @type {{key: string, params?: Record<string, string|number>}|null} */
let status = null;
let seq = 0;

/**
 * The period selected, as the API spells it.
 * @returns {string} YYYY-MM or YYYY-Qn
 */
function atParam() {
  return sel.kind === 'quarter' ? `${sel.year}-Q${sel.quarter}` : `${sel.year}-${two(sel.month)}`;
}

/** Puts the selection into the form's fields. */
function writeForm() {
  /** @type {HTMLSelectElement} */ (byId('period-kind')).value = sel.kind;
  /** @type {HTMLInputElement} */ (byId('period-month')).value = `${sel.year}-${two(sel.month)}`;
  /** @type {HTMLInputElement} */ (byId('period-year')).value = String(sel.year);
  /** @type {HTMLSelectElement} */ (byId('period-quarter')).value = String(sel.quarter);
  const quarter = sel.kind === 'quarter';
  byId('period-month-field').hidden = quarter;
  byId('period-quarter-field').hidden = !quarter;
}

/**
 * Reads the form's fields into the selection.
 * @returns {boolean} false when a field holds no valid period
 */
function readForm() {
  const kind = /** @type {HTMLSelectElement} */ (byId('period-kind')).value === 'quarter' ? 'quarter' : 'month';
  if (kind === 'month') {
    const m = /^(\d{4})-(\d{2})$/.exec(/** @type {HTMLInputElement} */ (byId('period-month')).value);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) return false;
    sel.kind = kind;
    sel.year = Number(m[1]);
    sel.month = Number(m[2]);
    sel.quarter = Math.floor((sel.month - 1) / 3) + 1;
  } else {
    const y = Number(/** @type {HTMLInputElement} */ (byId('period-year')).value);
    const q = Number(/** @type {HTMLSelectElement} */ (byId('period-quarter')).value);
    if (!Number.isInteger(y) || y < 2000 || y > 2100 || q < 1 || q > 4) return false;
    sel.kind = kind;
    sel.year = y;
    sel.quarter = q;
  }
  return true;
}

/**
 * Moves the selection one period back or forward.
 * @param {number} step -1 or 1
 */
function shift(step) {
  if (sel.kind === 'quarter') {
    let q = sel.quarter + step;
    let y = sel.year;
    if (q < 1) {
      q = 4;
      y -= 1;
    } else if (q > 4) {
      q = 1;
      y += 1;
    }
    sel.quarter = q;
    sel.year = y;
    sel.month = 3 * (q - 1) + 1;
  } else {
    const idx = sel.year * 12 + (sel.month - 1) + step;
    sel.year = Math.floor(idx / 12);
    sel.month = (idx % 12) + 1;
    sel.quarter = Math.floor((sel.month - 1) / 3) + 1;
  }
}

/**
 * The period's name: 2026年11月 / November 2026, 2026年第四季度 / Q4 2026.
 * @param {string} period YYYY-MM or YYYY-Qn
 * @returns {string}
 */
export function periodName(period) {
  let m = /^(\d{4})-Q([1-4])$/.exec(period);
  if (m) return rt('reports.period.quarterName', { year: m[1], q: rt(`reports.quarter.${m[2]}`) });
  m = /^(\d{4})-(\d{2})$/.exec(period);
  if (m) return rt('reports.period.monthName', { year: m[1], month: Number(m[2]), monthName: rt(`reports.month.${Number(m[2])}`) });
  return period;
}

/**
 * Sets the section's status line.
 * @param {{key: string, params?: Record<string, string|number>}|null} s
 */
function setStatus(s) {
  status = s;
  const line = byId('analysis-status');
  line.textContent = s ? rt(s.key, s.params) : '';
  line.hidden = !s;
}

/**
 * Fetches and shows the selected period.
 * @returns {Promise<void>}
 */
export async function loadAnalysis() {
  const my = ++seq;
  const box = byId('analysis');
  box.dataset.state = 'loading';
  setStatus({ key: 'reports.loading' });
  try {
    const a = await rapi.analysis(sel.kind, atParam());
    if (my !== seq) return;
    data = a;
    setStatus(null);
    render();
    box.dataset.state = 'loaded';
  } catch (err) {
    if (my !== seq) return;
    box.dataset.state = 'failed';
    setStatus(describeError(err));
  }
}

/**
 * Maps a failed call to a catalogue key.
 * @param {unknown} err
 * @returns {{key: string, params?: Record<string, string|number>}}
 */
export function describeError(err) {
  if (err instanceof ApiError) {
    if (err.status === 403) return { key: 'reports.error.forbidden' };
    if (err.status === 400) return { key: 'reports.error.invalid' };
    if (err.status === 404) return { key: 'reports.error.notFound' };
    if (err.status === 503) return { key: 'reports.error.unavailable' };
    return { key: 'reports.error.other', params: { status: err.status } };
  }
  return { key: 'reports.error.network' };
}

/** Draws everything from the last analysis (again, e.g. in another language). */
export function render() {
  writeForm();
  if (status) setStatus(status);
  if (!data) return;
  const a = data;
  const box = byId('analysis');
  box.dataset.period = String(a.period ?? '');
  box.dataset.kind = String(a.kind ?? '');
  box.dataset.incidents = String(Number(a.incidents) || 0);
  const kind = a.kind === 'quarter' ? 'quarter' : 'month';
  byId('analysis-heading').textContent = rt(`reports.analysis.heading.${kind}`, { period: periodName(String(a.period ?? '')) });
  byId('analysis-range').textContent = rt('reports.analysis.range', { from: String(a.from ?? ''), to: String(a.to ?? '') });
  renderFigures(a, kind);
  renderCharts(a);
  renderLists(a, kind);
}

/**
 * One key figure.
 * @param {string} id
 * @param {string} label
 * @param {string} value
 * @param {Array<Node|null|false>} extra further lines
 * @returns {HTMLElement}
 */
function figure(id, label, value, extra) {
  const card = el('div', 'figure', null, [el('div', 'figure-label', label), el('div', 'figure-value', value), ...extra]);
  card.id = id;
  return card;
}

/**
 * The key figures.
 * @param {any} a
 * @param {'month'|'quarter'} kind
 */
function renderFigures(a, kind) {
  const incidents = Number(a.incidents) || 0;
  const previous = Number(a.previous_incidents) || 0;
  const prevName = rt(`reports.previous.${kind}`);
  /** @type {HTMLElement} */
  let changeLine;
  if (typeof a.change === 'number') {
    const dir = a.change > 0 ? 'up' : a.change < 0 ? 'down' : 'flat';
    changeLine = el('div', `figure-sub change-${dir}`, rt('reports.fig.change', {
      arrow: dir === 'up' ? '▲' : dir === 'down' ? '▼' : '＝',
      prev: prevName,
      change: signedPercent(a.change),
      n: int(previous),
    }));
  } else {
    changeLine = el('div', 'figure-sub', rt('reports.fig.noPrevious', { prev: prevName }));
  }
  const incCard = figure('fig-incidents', rt('reports.fig.incidents'), int(incidents), [changeLine]);

  const clear = figure('fig-clearance', rt('reports.fig.clearance'), percent(a.clearance_rate), [
    el('div', 'figure-sub', rt('reports.fig.closed', { n: int(Number(a.closed) || 0) })),
  ]);

  const rate = typeof a.mediation_success_rate === 'number' ? a.mediation_success_rate : null;
  const meter = /** @type {HTMLMeterElement} */ (document.createElement('meter'));
  meter.className = 'figure-meter';
  meter.min = 0;
  meter.max = 1;
  meter.low = MEDIATION_TARGET;
  meter.high = 0.999;
  meter.optimum = 1;
  meter.value = rate ?? 0;
  meter.setAttribute('aria-label', rt('reports.fig.mediation'));
  /** @type {HTMLElement} */
  let verdict;
  if (rate === null) {
    verdict = el('div', 'figure-sub', rt('reports.fig.mediationNone'));
  } else if (rate >= MEDIATION_TARGET) {
    verdict = el('div', 'figure-sub target-met', rt('reports.fig.targetMet', { target: percent(MEDIATION_TARGET) }));
  } else {
    verdict = el('div', 'figure-sub target-missed', rt('reports.fig.targetMissed', {
      target: percent(MEDIATION_TARGET),
      gap: ((MEDIATION_TARGET - rate) * 100).toFixed(1),
    }));
  }
  const med = figure('fig-mediation', rt('reports.fig.mediation'), percent(rate), [
    rate === null ? null : meter,
    verdict,
    el('div', 'figure-sub', rt('reports.fig.mediated', { n: int(Number(a.mediated) || 0) })),
  ]);
  med.dataset.met = rate === null ? '' : rate >= MEDIATION_TARGET ? '1' : '0';

  const ack = figure('fig-ack', rt('reports.fig.ack'), duration(a.ack_s_p50), [
    el('div', 'figure-sub', rt('reports.fig.dispatches', { n: int(Number(a.dispatches) || 0) })),
  ]);
  const scene = figure('fig-scene', rt('reports.fig.scene'), duration(a.to_scene_s_p50), [
    el('div', 'figure-sub', rt('reports.fig.median')),
  ]);
  const cases = figure('fig-cases', rt('reports.fig.cases'), int(Number(a.cases) || 0), [
    el('div', 'figure-sub', rt('reports.fig.casesClosed', { n: int(Number(a.cases_closed) || 0) })),
  ]);
  byId('figures').replaceChildren(incCard, clear, med, ack, scene, cases);
}

/**
 * A title in the middle of an empty chart.
 * @param {import('./analysis-charts.js').Theme} th
 * @returns {any}
 */
function emptyTitle(th) {
  return { text: rt('reports.noData'), left: 'center', top: 'middle', textStyle: { color: th.muted, fontSize: fs(18), fontWeight: 'normal' } };
}

/**
 * Draws the five charts.
 * @param {any} a
 */
function renderCharts(a) {
  const cats = (Array.isArray(a.by_category) ? a.by_category : []).slice(0, MAX_BARS);
  const kind = a.kind === 'quarter' ? 'quarter' : 'month';
  drawChart('chart-category', (th) => {
    const ax = axes(th);
    return {
      ...baseOption(th),
      title: cats.length ? undefined : emptyTitle(th),
      legend: { top: 0, right: 8, itemWidth: fs(20), itemHeight: fs(12), textStyle: { color: th.text, fontSize: fs(15) } },
      grid: { left: 8, right: 40, top: 32, bottom: 8, containLabel: true },
      tooltip: { ...baseOption(th).tooltip, trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: ax.value,
      yAxis: { ...ax.category, inverse: true, data: cats.map((c) => categoryName(String(c.key))) },
      series: [
        { name: rt('reports.series.current'), type: 'bar', data: cats.map((c) => Number(c.count) || 0), itemStyle: { color: th.bar }, barMaxWidth: 22, label: { show: true, position: 'right', color: th.text, fontSize: fs(15) } },
        { name: rt(`reports.series.previous.${kind}`), type: 'bar', data: cats.map((c) => Number(c.previous) || 0), itemStyle: { color: th.previous }, barMaxWidth: 22 },
      ],
    };
  }, { empty: cats.length === 0 });

  const byLevel = a.by_level && typeof a.by_level === 'object' ? a.by_level : {};
  const levels = [...LEVELS, ...Object.keys(byLevel).filter((k) => !LEVELS.includes(k))];
  const levelTotal = levels.reduce((s, l) => s + (Number(byLevel[l]) || 0), 0);
  drawChart('chart-level', (th) => {
    const ax = axes(th);
    return {
      ...baseOption(th),
      title: levelTotal ? undefined : emptyTitle(th),
      grid: { left: 8, right: 16, top: 24, bottom: 8, containLabel: true },
      tooltip: { ...baseOption(th).tooltip, trigger: 'item' },
      xAxis: { ...ax.category, data: levels.map((l) => (LEVELS.includes(l) ? `${l}\n${levelName(l)}` : l)), axisLabel: { ...ax.category.axisLabel, interval: 0, lineHeight: fs(20) } },
      yAxis: ax.value,
      series: [{
        name: rt('reports.chart.level'),
        type: 'bar',
        barMaxWidth: 56,
        data: levels.map((l) => ({ value: Number(byLevel[l]) || 0, itemStyle: { color: /** @type {any} */ (LEVEL_COLOURS)[l] ?? th.previous, borderColor: th.line, borderWidth: 1 } })),
        label: { show: true, position: 'top', color: th.text, fontSize: fs(17), fontWeight: 'bold' },
      }],
    };
  }, { empty: levelTotal === 0 });

  const grids = (Array.isArray(a.by_grid) ? a.by_grid : []).slice(0, MAX_BARS);
  drawChart('chart-grid', (th) => {
    const ax = axes(th);
    return {
      ...baseOption(th),
      title: grids.length ? undefined : emptyTitle(th),
      grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
      tooltip: { ...baseOption(th).tooltip, trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: ax.value,
      yAxis: { ...ax.category, inverse: true, data: grids.map((g) => gridName(String(g.key))) },
      series: [{ name: rt('reports.series.current'), type: 'bar', barMaxWidth: 22, data: grids.map((g) => Number(g.count) || 0), itemStyle: { color: th.accent }, label: { show: true, position: 'right', color: th.text, fontSize: fs(15) } }],
    };
  }, { empty: grids.length === 0 });

  const hours = Array.from({ length: 24 }, (_, h) => (Array.isArray(a.by_hour) ? Number(a.by_hour[h]) || 0 : 0));
  const hourTotal = hours.reduce((s, n) => s + n, 0);
  drawChart('chart-hour', (th) => {
    const ax = axes(th);
    return {
      ...baseOption(th),
      title: hourTotal ? undefined : emptyTitle(th),
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      tooltip: { ...baseOption(th).tooltip, trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { ...ax.category, data: hours.map((_, h) => rt('reports.hour', { h: two(h) })), axisLabel: { ...ax.category.axisLabel, interval: 1 } },
      yAxis: ax.value,
      series: [{ name: rt('reports.series.current'), type: 'bar', data: hours, itemStyle: { color: th.bar } }],
    };
  }, { empty: hourTotal === 0 });

  const week = WEEK_ORDER.map((d) => (Array.isArray(a.by_weekday) ? Number(a.by_weekday[d]) || 0 : 0));
  const weekTotal = week.reduce((s, n) => s + n, 0);
  drawChart('chart-weekday', (th) => {
    const ax = axes(th);
    return {
      ...baseOption(th),
      title: weekTotal ? undefined : emptyTitle(th),
      grid: { left: 8, right: 16, top: 24, bottom: 8, containLabel: true },
      tooltip: { ...baseOption(th).tooltip, trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { ...ax.category, data: WEEK_ORDER.map((d) => rt(`reports.weekday.${d}`)) },
      yAxis: ax.value,
      series: [{ name: rt('reports.series.current'), type: 'bar', barMaxWidth: 48, data: week, itemStyle: { color: th.bar }, label: { show: true, position: 'top', color: th.text, fontSize: fs(15) } }],
    };
  }, { empty: weekTotal === 0 });
}

/**
 * A ranked list: one item per entry, or a line saying there are none.
 * @param {string} id
 * @param {any[]} items
 * @param {(item: any) => Node[]} row
 */
function fillList(id, items, row) {
  const list = byId(id);
  if (!items.length) {
    list.replaceChildren(el('li', 'rank-empty', rt('reports.list.none')));
    return;
  }
  list.replaceChildren(...items.map((it) => {
    const li = el('li', 'rank-item', null, row(it));
    li.dataset.key = String(it.key ?? '');
    return li;
  }));
}

/**
 * The frequent and rising categories and the hotspot grids.
 * @param {any} a
 * @param {'month'|'quarter'} kind
 */
function renderLists(a, kind) {
  const count = (/** @type {any} */ it) => el('span', 'rank-count', rt('reports.list.count', { n: int(Number(it.count) || 0) }));
  fillList('list-frequent', Array.isArray(a.frequent_categories) ? a.frequent_categories : [], (it) => [
    el('span', 'rank-name', categoryName(String(it.key))),
    count(it),
  ]);
  fillList('list-rising', Array.isArray(a.rising_categories) ? a.rising_categories : [], (it) => [
    el('span', 'rank-name', categoryName(String(it.key))),
    count(it),
    el('span', 'rank-change change-up', typeof it.change === 'number'
      ? rt('reports.list.rise', { prev: rt(`reports.previous.${kind}`), change: signedPercent(it.change), n: int(Number(it.previous) || 0) })
      : rt('reports.list.new', { prev: rt(`reports.previous.${kind}`) })),
  ]);
  fillList('list-hotspots', Array.isArray(a.hotspots) ? a.hotspots : [], (it) => [
    el('span', 'rank-name', gridName(String(it.key))),
    count(it),
  ]);
}

/** Wires the period form; the first period shown is this month. */
export function initAnalysis() {
  const now = thisMonth();
  sel.year = now.year;
  sel.month = now.month;
  sel.quarter = Math.floor((now.month - 1) / 3) + 1;
  writeForm();
  byId('period-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!readForm()) {
      setStatus({ key: 'reports.error.period' });
      return;
    }
    writeForm();
    loadAnalysis();
  });
  byId('period-kind').addEventListener('change', () => {
    const kind = /** @type {HTMLSelectElement} */ (byId('period-kind')).value === 'quarter' ? 'quarter' : 'month';
    sel.kind = kind;
    if (kind === 'quarter') sel.quarter = Math.floor((sel.month - 1) / 3) + 1;
    writeForm();
    loadAnalysis();
  });
  for (const [id, step] of /** @type {Array<[string, number]>} */ ([['period-prev', -1], ['period-next', 1]])) {
    byId(id).addEventListener('click', () => {
      readForm();
      shift(step);
      writeForm();
      loadAnalysis();
    });
  }
}

/** Resets the selection to this month (after signing in again). */
export function resetAnalysis() {
  seq += 1;
  data = null;
  status = null;
  const now = thisMonth();
  sel.kind = 'month';
  sel.year = now.year;
  sel.month = now.month;
  sel.quarter = Math.floor((now.month - 1) / 3) + 1;
  const box = byId('analysis');
  for (const k of ['state', 'period', 'kind', 'incidents']) delete box.dataset[k];
  byId('figures').replaceChildren();
  for (const id of ['list-frequent', 'list-rising', 'list-hotspots']) byId(id).replaceChildren();
  byId('analysis-heading').textContent = rt('reports.analysis.title');
  byId('analysis-range').textContent = '';
}

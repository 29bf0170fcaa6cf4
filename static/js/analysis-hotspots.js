// Hotspots (热点分析): the lowest-level grids coloured by their incidents
// over a span of local dates on a Leaflet map (vendored, canvas renderer),
// an hour-of-week heat map, and the patrol advice (巡逻建议, 警力跟着警情走).
//
// Hooks for tests: #hotspots[data-state=loading|loaded|failed][data-from]
// [data-to][data-grids][data-total][data-max]; #hotspots-from and
// #hotspots-to (input type=date), #hotspots-load; #hotspot-map
// [data-drawn] (grids drawn); #hotspot-legend li.legend-item[data-bucket];
// #chart-hour-of-week[data-ready="1"]; #patrol-advice > li.advice-item
// [data-code][data-rank][data-score]; #patrol-advice-status.

import { byId, el } from './dom.js';
import * as rapi from './analysis-api.js';
import { baseOption, drawChart, fs, printableMap } from './analysis-charts.js';
import { rt } from './analysis-i18n.js';
import { daysBefore, gridFeatures, gridName, int, placeMap, today, two } from './analysis-ref.js';
import { describeError } from './analysis-report.js';

/** Heat colours, bucket 0 (no incidents) to 5 (the most). analysis.css has the same as .heat-N. */
export const HEAT = ['#90a4ae', '#ffe082', '#ffb74d', '#ff8a65', '#e53935', '#8e0000'];
const BUCKETS = HEAT.length - 1;

/** Weekdays in the order shown (Monday first), as row indexes of hour_of_week (0 = Sunday). */
const WEEK_ORDER = [1, 2, 3, 4, 5, 6, 0];

/** @type {any} the Leaflet namespace */
let L = null;
/** @type {any} */
let map = null;
/** @type {any} base outlines */
let baseLayer = null;
/** @type {any} coloured grids */
let heatLayer = null;
/** @type {any} count labels */
let labelLayer = null;
let fitted = false;
/** @type {any} last hotspots answer */
let data = null;
/** @type {any} last patrol advice answer */
let advice = null;
/** @type {{key: string, params?: Record<string, string|number>}|null} */
let status = null;
/** @type {{key: string, params?: Record<string, string|number>}|null} */
let adviceStatus = null;
let seq = 0;

/**
 * The bucket of a count given the largest count.
 * @param {number} n
 * @param {number} step counts per bucket
 * @returns {number} 0 to BUCKETS
 */
function bucket(n, step) {
  if (n <= 0) return 0;
  return Math.min(BUCKETS, Math.ceil(n / step));
}

/**
 * Counts per bucket so that the largest count lands in the top one.
 * @param {number} max
 * @returns {number}
 */
function stepFor(max) {
  return Math.max(1, Math.ceil(max / BUCKETS));
}

/**
 * Creates the map the first time (its container must be visible).
 * @returns {boolean} false when Leaflet is missing
 */
function ensureMap() {
  if (map) return true;
  const box = byId('hotspot-map');
  map = placeMap(box, 4, { zoomSnap: 0.25 });
  if (!map) return false;
  L = /** @type {any} */ (window).L;
  baseLayer = L.layerGroup().addTo(map);
  heatLayer = L.layerGroup().addTo(map);
  labelLayer = L.layerGroup().addTo(map);
  printableMap(box, () => {
    if (map) map.invalidateSize({ animate: false });
  });
  return true;
}

/** Draws the street and community outlines under the grids. */
function drawBase() {
  if (!map) return;
  baseLayer.clearLayers();
  for (const f of gridFeatures()) {
    const level = f.properties.level;
    if (level === 'grid') continue;
    const weight = level === 'district' ? 3.5 : level === 'street' ? 2.5 : 1.5;
    L.geoJSON(f, { interactive: false, style: { color: '#78909c', weight, opacity: 0.9, fill: false } }).addTo(baseLayer);
  }
}

/**
 * A grid's tooltip: its name and count, as DOM nodes.
 * @param {any} props
 * @returns {HTMLElement}
 */
function gridTip(props) {
  return el('span', 'map-tip', null, [
    el('strong', null, gridName(String(props.code ?? ''), props)),
    el('br'),
    el('span', null, rt('reports.list.count', { n: int(Number(props.count) || 0) })),
  ]);
}

/** Draws the coloured grids, their labels and the legend. */
function drawHeat() {
  if (!data || !ensureMap()) return;
  const features = data.grids && Array.isArray(data.grids.features) ? data.grids.features.filter((f) => f && f.geometry && f.properties) : [];
  const max = features.reduce((m, f) => Math.max(m, Number(f.properties.count) || 0), 0);
  const step = stepFor(max);
  heatLayer.clearLayers();
  labelLayer.clearLayers();
  /** @type {any[]} */
  const drawn = [];
  for (const f of features) {
    const n = Number(f.properties.count) || 0;
    const b = bucket(n, step);
    const layer = L.geoJSON(f, {
      style: {
        color: '#37474f',
        weight: 1.2,
        opacity: 1,
        fillColor: HEAT[b],
        fillOpacity: b === 0 ? 0.12 : 0.78,
      },
    });
    layer.bindTooltip(() => gridTip(f.properties), { sticky: true, direction: 'top', opacity: 1, className: 'report-tip' });
    layer.addTo(heatLayer);
    drawn.push(layer);
    if (n > 0) {
      const label = el('span', `count-label heat-text-${b}`, int(n));
      const icon = L.divIcon({ className: 'count-icon', html: label, iconSize: [36, 22], iconAnchor: [18, 11] });
      L.marker(layer.getBounds().getCenter(), { icon, interactive: false, keyboard: false }).addTo(labelLayer);
    }
  }
  const box = byId('hotspot-map');
  box.dataset.drawn = String(drawn.length);
  if (drawn.length && !fitted) {
    fitted = true;
    map.fitBounds(L.featureGroup(drawn).getBounds(), { padding: [16, 16] });
  }
  renderLegend(max, step);
}

/**
 * The heat legend under the map: one swatch per bucket with its counts.
 * @param {number} max
 * @param {number} step
 */
function renderLegend(max, step) {
  const items = [];
  for (let b = 0; b <= BUCKETS; b += 1) {
    let text;
    if (b === 0) text = rt('reports.hotspots.legend.none');
    else {
      const lo = (b - 1) * step + 1;
      const hi = b === BUCKETS ? Math.max(max, b * step) : b * step;
      if (lo > max && b > 1) break;
      text = lo === hi ? int(lo) : rt('reports.hotspots.legend.range', { lo: int(lo), hi: int(hi) });
    }
    const item = el('li', 'legend-item', null, [el('span', `legend-swatch heat-${b}`), el('span', 'legend-text', text)]);
    item.dataset.bucket = String(b);
    items.push(item);
  }
  byId('hotspot-legend').replaceChildren(
    el('li', 'legend-title', rt('reports.hotspots.legend.title')),
    ...items,
  );
}

/**
 * The hour-of-week rows: the answer's own, else the sum of the grids'.
 * @param {any} d
 * @returns {number[][]} 7 rows (0 = Sunday) of 24 hours
 */
function hourOfWeek(d) {
  /** @type {number[][]} */
  const out = Array.from({ length: 7 }, () => new Array(24).fill(0));
  const add = (/** @type {any} */ rows) => {
    if (!Array.isArray(rows)) return false;
    for (let w = 0; w < 7; w += 1) {
      if (!Array.isArray(rows[w])) continue;
      for (let h = 0; h < 24; h += 1) out[w][h] += Number(rows[w][h]) || 0;
    }
    return true;
  };
  if (!add(d.hour_of_week)) {
    const features = d.grids && Array.isArray(d.grids.features) ? d.grids.features : [];
    for (const f of features) if (f && f.properties) add(f.properties.hour_of_week);
  }
  return out;
}

/** Draws the hour-of-week heat map. */
function drawHourOfWeek() {
  if (!data) return;
  const rows = hourOfWeek(data);
  let max = 0;
  for (const row of rows) for (const n of row) max = Math.max(max, n);
  /** @type {Array<{value: [number, number, number], label: {color: string}}>} */
  const cells = [];
  WEEK_ORDER.forEach((w, y) => {
    for (let h = 0; h < 24; h += 1) {
      const n = rows[w][h];
      // Dark cells (the most incidents) get white figures.
      cells.push({ value: [h, y, n], label: { color: max > 0 && n / max > 0.6 ? '#ffffff' : '#111111' } });
    }
  });
  drawChart('chart-hour-of-week', (th) => {
    const zero = th.text === '#111111' ? '#f4f4f4' : '#16212c';
    return {
      ...baseOption(th),
      tooltip: { ...baseOption(th).tooltip, trigger: 'item', formatter: (/** @type {any} */ p) => rt('reports.hotspots.cell', {
        day: rt(`reports.weekday.${WEEK_ORDER[p.value[1]]}`),
        h: two(p.value[0]),
        n: int(p.value[2]),
      }) },
      grid: { left: 8, right: 16, top: 8, bottom: fs(80), containLabel: true },
      xAxis: {
        type: 'category',
        data: Array.from({ length: 24 }, (_, h) => two(h)),
        splitArea: { show: false },
        axisLine: { lineStyle: { color: th.line } },
        axisLabel: { color: th.text, fontSize: fs(14) },
        name: rt('reports.hotspots.hourAxis'),
        nameLocation: 'middle',
        nameTextStyle: { color: th.muted, fontSize: fs(14) },
        nameGap: fs(28),
      },
      yAxis: {
        type: 'category',
        inverse: true,
        data: WEEK_ORDER.map((w) => rt(`reports.weekday.${w}`)),
        axisLine: { lineStyle: { color: th.line } },
        axisLabel: { color: th.text, fontSize: fs(15) },
      },
      visualMap: {
        min: 0,
        max: Math.max(1, max),
        calculable: false,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        itemWidth: fs(16),
        itemHeight: fs(260),
        text: [rt('reports.hotspots.more'), rt('reports.hotspots.fewer')],
        textStyle: { color: th.text, fontSize: fs(15) },
        inRange: { color: [zero, HEAT[1], HEAT[3], HEAT[4], HEAT[5]] },
      },
      series: [{
        name: rt('reports.hotspots.hourOfWeek'),
        type: 'heatmap',
        data: cells,
        label: { show: max > 0, fontSize: fs(13), formatter: (/** @type {any} */ p) => (p.value[2] ? String(p.value[2]) : '') },
        itemStyle: { borderColor: th.split, borderWidth: 1 },
      }],
    };
  }, { empty: max === 0 });
}

/**
 * Sets the hotspot status line.
 * @param {{key: string, params?: Record<string, string|number>}|null} s
 */
function setStatus(s) {
  status = s;
  const line = byId('hotspots-status');
  line.textContent = s ? rt(s.key, s.params) : '';
  line.hidden = !s;
}

/**
 * Sets the patrol advice status line.
 * @param {{key: string, params?: Record<string, string|number>}|null} s
 */
function setAdviceStatus(s) {
  adviceStatus = s;
  const line = byId('patrol-advice-status');
  line.textContent = s ? rt(s.key, s.params) : '';
  line.hidden = !s;
}

/** Shows the patrol advice, highest score first. */
function renderAdvice() {
  const list = byId('patrol-advice');
  if (!advice) {
    list.replaceChildren();
    return;
  }
  const rows = Array.isArray(advice.grids) ? advice.grids : [];
  if (!rows.length) {
    list.replaceChildren(el('li', 'rank-empty', rt('reports.list.none')));
    return;
  }
  list.replaceChildren(...rows.map((g, i) => {
    const score = Number(g.score) || 0;
    const li = el('li', `advice-item${i < 3 && score > 0 ? ' advice-top' : ''}`, null, [
      el('span', 'advice-rank', String(i + 1)),
      el('span', 'advice-name', gridName(String(g.code ?? ''), { name: g.name, name_en: g.name_en })),
      el('span', 'advice-figures', rt('reports.advice.figures', {
        n: int(Number(g.incidents_28d) || 0),
        m: int(Number(g.patrol_minutes_today) || 0),
      })),
      el('span', 'advice-score', rt('reports.advice.score', { s: score.toFixed(1) })),
    ]);
    li.dataset.code = String(g.code ?? '');
    li.dataset.rank = String(i + 1);
    li.dataset.score = String(score);
    return li;
  }));
}

/**
 * Fetches and shows the hotspots of the chosen dates and the patrol advice.
 * @returns {Promise<void>}
 */
export async function loadHotspots() {
  const my = ++seq;
  const box = byId('hotspots');
  const from = /** @type {HTMLInputElement} */ (byId('hotspots-from')).value;
  const to = /** @type {HTMLInputElement} */ (byId('hotspots-to')).value;
  if (from && to && to < from) {
    setStatus({ key: 'reports.error.range' });
    return;
  }
  box.dataset.state = 'loading';
  setStatus({ key: 'reports.loading' });
  setAdviceStatus({ key: 'reports.loading' });
  const [spots, adv] = await Promise.allSettled([rapi.hotspots(from, to), rapi.patrolAdvice()]);
  if (my !== seq) return;
  if (spots.status === 'fulfilled' && spots.value) {
    data = spots.value;
    box.dataset.state = 'loaded';
    box.dataset.from = String(data.from ?? '');
    box.dataset.to = String(data.to ?? '');
    const features = data.grids && Array.isArray(data.grids.features) ? data.grids.features : [];
    box.dataset.grids = String(features.length);
    box.dataset.total = String(features.reduce((s, f) => s + (Number(f?.properties?.count) || 0), 0));
    box.dataset.max = String(features.reduce((m, f) => Math.max(m, Number(f?.properties?.count) || 0), 0));
    if (data.from) /** @type {HTMLInputElement} */ (byId('hotspots-from')).value = String(data.from);
    if (data.to) /** @type {HTMLInputElement} */ (byId('hotspots-to')).value = String(data.to);
    setStatus(null);
    render();
  } else {
    box.dataset.state = 'failed';
    setStatus(describeError(spots.status === 'rejected' ? spots.reason : null));
  }
  if (adv.status === 'fulfilled' && adv.value) {
    advice = adv.value;
    setAdviceStatus(null);
    renderAdvice();
  } else {
    setAdviceStatus(describeError(adv.status === 'rejected' ? adv.reason : null));
  }
}

/** Draws everything again (e.g. in another language). */
export function render() {
  if (status) setStatus(status);
  if (adviceStatus) setAdviceStatus(adviceStatus);
  if (data) {
    byId('hotspots-range').textContent = rt('reports.hotspots.range', { from: String(data.from ?? ''), to: String(data.to ?? '') });
    drawBase();
    drawHeat();
    drawHourOfWeek();
  }
  renderAdvice();
}

/** Lets the map re-measure itself (after the page is shown or printed). */
export function refreshHotspotMap() {
  if (map) map.invalidateSize({ animate: false });
}

/** Wires the date form. */
export function initHotspots() {
  byId('hotspots-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    loadHotspots();
  });
}

/** Sets the default dates (the 28 days up to today) and forgets the last answers. */
export function resetHotspots() {
  seq += 1;
  data = null;
  advice = null;
  status = null;
  adviceStatus = null;
  fitted = false;
  const to = today();
  /** @type {HTMLInputElement} */ (byId('hotspots-to')).value = to;
  /** @type {HTMLInputElement} */ (byId('hotspots-from')).value = daysBefore(to, 27);
  const box = byId('hotspots');
  for (const k of ['state', 'from', 'to', 'grids', 'total', 'max']) delete box.dataset[k];
  byId('hotspots-range').textContent = '';
  byId('patrol-advice').replaceChildren();
  byId('hotspot-legend').replaceChildren();
  if (heatLayer) heatLayer.clearLayers();
  if (labelLayer) labelLayer.clearLayers();
}

// Track playback (轨迹回放): a unit's stored fixes over a time span, drawn
// on their own Leaflet map (vendored, canvas renderer), with a marker that
// moves along the path as a slider or the play button steps through the
// fixes. Fixes flagged "late" or "implausible" are marked on the path; the
// implausible ones are left out of the line itself, as they are jumps the
// unit did not make.
//
// Hooks for tests: #playback[data-state=idle|loading|loaded|failed]
// [data-points][data-unit][data-flagged]; #playback-unit (select),
// #playback-window (select: 10m|1h|6h|24h|custom), #playback-from and
// #playback-to (input type=datetime-local), #playback-load;
// #playback-map[data-drawn]; #playback-slider (input type=range)
// [data-index]; #playback-play[data-playing=1|0] (aria-pressed);
// #playback-speed; #playback-time[data-time] (RFC 3339 of the fix shown);
// #playback-flag; #playback-empty (shown when the track has no fixes).

import * as api from './api.js';
import { byId, el } from './dom.js';
import { parseTime } from './format.js';
import { t } from './i18n.js';
import * as rapi from './analysis-api.js';
import { printableMap } from './analysis-charts.js';
import { rt } from './analysis-i18n.js';
import { dateTime, fromZoneInput, gridFeatures, placeMap, zoneInput } from './analysis-ref.js';
import { describeError } from './analysis-report.js';
import { serverNow } from './clock.js';

/** Time windows offered, in minutes. */
const WINDOWS = { '10m': 10, '1h': 60, '6h': 360, '24h': 1440 };
/** Steps between fixes are played at least this long and at most that long. */
const STEP_MIN_MS = 40;
const STEP_MAX_MS = 1000;

/** @type {any} */
let L = null;
/** @type {any} */
let map = null;
/** @type {any} */
let baseLayer = null;
/** @type {any} */
let trackLayer = null;
/** @type {any} the travelled part of the path */
let doneLine = null;
/** @type {any} */
let cursor = null;
/** @type {any[]} units from the API */
let unitList = [];
/**
 * The track shown.
 * @type {{unit: string, coords: Array<[number, number]>, times: Array<Date|null>, raw: string[], flags: string[][], speeds: Array<number|null>}|null}
 */
let track = null;
let index = 0;
/** @type {ReturnType<typeof setTimeout>|undefined} */
let timer;
let playing = false;
let seq = 0;
/** @type {{key: string, params?: Record<string, string|number>}|null} */
let status = null;

/**
 * Sets from and to to the chosen window ending now.
 * @param {string} w a key of WINDOWS
 */
function applyWindow(w) {
  const minutes = /** @type {Record<string, number>} */ (WINDOWS)[w];
  if (!minutes) return;
  const to = new Date(serverNow() + 60000); // the current minute is included whole
  to.setSeconds(0, 0);
  const from = new Date(to.getTime() - minutes * 60000);
  /** @type {HTMLInputElement} */ (byId('playback-from')).value = zoneInput(from);
  /** @type {HTMLInputElement} */ (byId('playback-to')).value = zoneInput(to);
}

/**
 * Creates the map the first time (its container must be visible).
 * @returns {boolean} false when Leaflet is missing
 */
function ensureMap() {
  if (map) return true;
  const box = byId('playback-map');
  map = placeMap(box, 6);
  if (!map) return false;
  L = /** @type {any} */ (window).L;
  baseLayer = L.layerGroup().addTo(map);
  trackLayer = L.layerGroup().addTo(map);
  drawBase();
  printableMap(box, () => {
    if (map) map.invalidateSize({ animate: false });
  });
  return true;
}

/** Draws the grid outlines under the track. */
function drawBase() {
  if (!map) return;
  baseLayer.clearLayers();
  for (const f of gridFeatures()) {
    const level = f.properties.level;
    const weight = level === 'district' ? 3 : level === 'street' ? 2 : 1;
    L.geoJSON(f, { interactive: false, style: { color: level === 'grid' ? '#4a6a86' : '#78909c', weight, opacity: 0.8, fill: false } }).addTo(baseLayer);
  }
}

/**
 * A unit's label for the picker: callsign, type and id.
 * @param {any} u
 * @returns {string}
 */
function unitLabel(u) {
  const type = typeof u.type === 'string' ? u.type : 'unknown';
  const typeKey = `unitType.${type}`;
  const typeName = t(typeKey) === typeKey ? type : t(typeKey);
  return rt('reports.playback.unitOption', { callsign: String(u.callsign || u.id), type: typeName, id: String(u.id) });
}

/** Fills the unit picker, keeping the unit chosen. */
function renderUnits() {
  const select = /** @type {HTMLSelectElement} */ (byId('playback-unit'));
  const chosen = select.value;
  select.replaceChildren(...unitList.map((u) => {
    const o = /** @type {HTMLOptionElement} */ (el('option', null, unitLabel(u)));
    o.value = String(u.id);
    return o;
  }));
  if (chosen && unitList.some((u) => String(u.id) === chosen)) select.value = chosen;
}

/**
 * Fetches the units for the picker.
 * @returns {Promise<void>}
 */
export async function loadUnits() {
  try {
    const res = await api.units();
    const list = res && Array.isArray(res.units) ? res.units.filter((u) => u && typeof u.id === 'string') : [];
    list.sort((a, b) => String(a.id).localeCompare(String(b.id)));
    unitList = list;
    renderUnits();
    const select = /** @type {HTMLSelectElement} */ (byId('playback-unit'));
    if (!select.value || !unitList.some((u) => u.id === select.value)) {
      const car = unitList.find((u) => u.type === 'car');
      if (car) select.value = car.id;
    }
  } catch (err) {
    setStatus(describeError(err));
  }
}

/**
 * Sets the status line.
 * @param {{key: string, params?: Record<string, string|number>}|null} s
 */
function setStatus(s) {
  status = s;
  const line = byId('playback-status');
  line.textContent = s ? rt(s.key, s.params) : '';
  line.hidden = !s;
}

/**
 * Reads a track answer into parallel arrays.
 * @param {any} f the GeoJSON Feature
 * @param {string} unit
 * @returns {NonNullable<typeof track>}
 */
function parseTrack(f, unit) {
  const coords = f && f.geometry && Array.isArray(f.geometry.coordinates) ? f.geometry.coordinates : [];
  const props = (f && f.properties) || {};
  /** @type {NonNullable<typeof track>} */
  const out = { unit, coords: [], times: [], raw: [], flags: [], speeds: [] };
  coords.forEach((c, i) => {
    if (!Array.isArray(c) || !Number.isFinite(c[0]) || !Number.isFinite(c[1])) return;
    out.coords.push([Number(c[0]), Number(c[1])]);
    const raw = Array.isArray(props.times) ? String(props.times[i] ?? '') : '';
    out.raw.push(raw);
    out.times.push(parseTime(raw));
    const fl = Array.isArray(props.flags) && Array.isArray(props.flags[i]) ? props.flags[i].map(String) : [];
    out.flags.push(fl);
    const sp = Array.isArray(props.speeds_mps) ? props.speeds_mps[i] : null;
    out.speeds.push(typeof sp === 'number' && Number.isFinite(sp) ? sp : null);
  });
  return out;
}

/**
 * Fetches and draws the chosen unit's track.
 * @returns {Promise<void>}
 */
export async function loadTrack() {
  const unit = /** @type {HTMLSelectElement} */ (byId('playback-unit')).value;
  const fromV = /** @type {HTMLInputElement} */ (byId('playback-from')).value;
  const toV = /** @type {HTMLInputElement} */ (byId('playback-to')).value;
  const from = fromV ? fromZoneInput(fromV) : null;
  const to = toV ? fromZoneInput(toV) : null;
  if (!unit) {
    setStatus({ key: 'reports.playback.noUnit' });
    return;
  }
  if (!from || !to || Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || to <= from) {
    setStatus({ key: 'reports.error.range' });
    return;
  }
  const my = ++seq;
  pause();
  const box = byId('playback');
  box.dataset.state = 'loading';
  setStatus({ key: 'reports.loading' });
  try {
    const f = await rapi.track(unit, from.toISOString(), to.toISOString());
    if (my !== seq) return;
    track = parseTrack(f, unit);
    index = 0;
    box.dataset.state = 'loaded';
    box.dataset.unit = unit;
    box.dataset.points = String(track.coords.length);
    box.dataset.flagged = String(track.flags.filter((fl) => fl.length > 0).length);
    setStatus(null);
    drawTrack(true);
  } catch (err) {
    if (my !== seq) return;
    box.dataset.state = 'failed';
    setStatus(describeError(err));
  }
}

/**
 * The Leaflet position of a fix.
 * @param {[number, number]} c [lon, lat]
 * @returns {[number, number]}
 */
function ll(c) {
  return [c[1], c[0]];
}

/**
 * Draws the path, its flagged fixes and the moving marker.
 * @param {boolean} fit whether to fit the map to the path
 */
function drawTrack(fit) {
  if (!ensureMap()) return;
  trackLayer.clearLayers();
  doneLine = null;
  cursor = null;
  const n = track ? track.coords.length : 0;
  const slider = /** @type {HTMLInputElement} */ (byId('playback-slider'));
  slider.max = String(Math.max(0, n - 1));
  slider.disabled = n === 0;
  /** @type {HTMLButtonElement} */ (byId('playback-play')).disabled = n === 0;
  byId('playback-empty').hidden = !(track && n === 0);
  byId('playback-map').dataset.drawn = String(n);
  renderSummary();
  if (!track || n === 0) {
    renderPosition();
    return;
  }
  const tr = track;
  const good = tr.coords.filter((_, i) => !tr.flags[i].includes('implausible')).map(ll);
  L.polyline(good, { color: '#90caf9', weight: 4, opacity: 0.55, interactive: false }).addTo(trackLayer);
  doneLine = L.polyline([], { color: '#29b6f6', weight: 5, opacity: 1, interactive: false }).addTo(trackLayer);
  tr.coords.forEach((c, i) => {
    const fl = tr.flags[i];
    if (!fl.length) return;
    const implausible = fl.includes('implausible');
    L.circleMarker(ll(c), {
      radius: implausible ? 7 : 6,
      color: implausible ? '#e53935' : '#fb8c00',
      weight: 2.5,
      fill: true,
      fillColor: '#ffffff',
      fillOpacity: implausible ? 0.1 : 0.6,
      dashArray: implausible ? '3 3' : undefined,
      interactive: false,
    }).addTo(trackLayer);
  });
  const first = tr.coords.findIndex((_, i) => !tr.flags[i].includes('implausible'));
  const lastGood = [...tr.coords.keys()].reverse().find((i) => !tr.flags[i].includes('implausible'));
  if (first >= 0) L.circleMarker(ll(tr.coords[first]), { radius: 7, color: '#1b5e20', weight: 2, fillColor: '#43a047', fillOpacity: 1, interactive: false }).addTo(trackLayer);
  if (lastGood !== undefined && lastGood !== first) L.circleMarker(ll(tr.coords[lastGood]), { radius: 7, color: '#263238', weight: 2, fillColor: '#eceff1', fillOpacity: 1, interactive: false }).addTo(trackLayer);
  cursor = L.circleMarker(ll(tr.coords[0]), { radius: 10, color: '#ffffff', weight: 3, fillColor: '#1e88e5', fillOpacity: 1, interactive: false }).addTo(trackLayer);
  if (fit) {
    const pts = good.length ? good : tr.coords.map(ll);
    if (pts.length === 1) map.setView(pts[0], 17);
    else map.fitBounds(L.latLngBounds(pts), { padding: [40, 40], maxZoom: 18 });
  }
  renderPosition();
}

/** The line under the map: fixes, flagged fixes, first and last time. */
function renderSummary() {
  const line = byId('playback-summary');
  if (!track) {
    line.textContent = '';
    return;
  }
  const n = track.coords.length;
  if (!n) {
    line.textContent = '';
    return;
  }
  const late = track.flags.filter((f) => f.includes('late')).length;
  const bad = track.flags.filter((f) => f.includes('implausible')).length;
  const first = track.times.find((d) => d);
  const last = [...track.times].reverse().find((d) => d);
  line.textContent = rt('reports.playback.summary', {
    n,
    late,
    bad,
    from: first ? dateTime(first) : '—',
    to: last ? dateTime(last) : '—',
  });
}

/** Moves the marker, the travelled line, the slider and the time to the current fix. */
function renderPosition() {
  const slider = /** @type {HTMLInputElement} */ (byId('playback-slider'));
  const time = byId('playback-time');
  const flag = byId('playback-flag');
  if (!track || !track.coords.length) {
    slider.value = '0';
    slider.dataset.index = '0';
    time.textContent = '—';
    delete time.dataset.time;
    flag.textContent = '';
    flag.hidden = true;
    return;
  }
  const tr = track;
  index = Math.max(0, Math.min(index, tr.coords.length - 1));
  slider.value = String(index);
  slider.dataset.index = String(index);
  const d = tr.times[index];
  const speed = tr.speeds[index];
  time.textContent = rt('reports.playback.at', {
    time: d ? dateTime(d) : '—',
    i: index + 1,
    n: tr.coords.length,
  });
  time.dataset.time = tr.raw[index];
  slider.setAttribute('aria-valuetext', d ? dateTime(d) : String(index + 1));
  const fl = tr.flags[index];
  const parts = [];
  if (speed !== null) parts.push(rt('reports.playback.speed', { v: (speed * 3.6).toFixed(1) }));
  if (fl.includes('implausible')) parts.push(rt('reports.playback.flag.implausible'));
  else if (fl.includes('late')) parts.push(rt('reports.playback.flag.late'));
  flag.textContent = parts.join(' · ');
  flag.hidden = parts.length === 0;
  flag.classList.toggle('flagged', fl.length > 0);
  if (cursor) {
    cursor.setLatLng(ll(tr.coords[index]));
    cursor.setStyle({ fillColor: fl.includes('implausible') ? '#e53935' : fl.includes('late') ? '#fb8c00' : '#1e88e5' });
  }
  if (doneLine) {
    const done = [];
    for (let i = 0; i <= index; i += 1) if (!tr.flags[i].includes('implausible')) done.push(ll(tr.coords[i]));
    doneLine.setLatLngs(done);
  }
}

/** Labels the play button for the state it is in. */
function renderPlay() {
  const btn = byId('playback-play');
  btn.textContent = rt(playing ? 'reports.playback.pause' : 'reports.playback.play');
  btn.dataset.playing = playing ? '1' : '0';
  btn.setAttribute('aria-pressed', playing ? 'true' : 'false');
}

/** The chosen speed, as a multiple of real time. */
function speed() {
  const v = Number(/** @type {HTMLSelectElement} */ (byId('playback-speed')).value);
  return Number.isFinite(v) && v > 0 ? v : 10;
}

/** Schedules the next step of playback. */
function scheduleStep() {
  clearTimeout(timer);
  if (!playing || !track) return;
  if (index >= track.coords.length - 1) {
    pause();
    return;
  }
  const a = track.times[index];
  const b = track.times[index + 1];
  const gap = a && b ? Math.max(0, b.getTime() - a.getTime()) : 1000;
  const delay = Math.min(STEP_MAX_MS, Math.max(STEP_MIN_MS, gap / speed()));
  timer = setTimeout(() => {
    index += 1;
    renderPosition();
    scheduleStep();
  }, delay);
}

/** Starts playback (from the start again when at the end). */
function play() {
  if (!track || track.coords.length === 0) return;
  if (index >= track.coords.length - 1) index = 0;
  playing = true;
  renderPlay();
  renderPosition();
  scheduleStep();
}

/** Stops playback where it is. */
function pause() {
  playing = false;
  clearTimeout(timer);
  renderPlay();
}

/** Draws the labels again in the current language. */
export function render() {
  renderUnits();
  renderPlay();
  renderSummary();
  renderPosition();
  if (status) setStatus(status);
}

/** Lets the map re-measure itself. */
export function refreshPlaybackMap() {
  if (map) map.invalidateSize({ animate: false });
}

/** Creates the map (when the page is shown) so the base grids appear before a track. */
export function showPlaybackMap() {
  if (ensureMap()) {
    drawBase();
    map.invalidateSize({ animate: false });
  }
}

/** Wires the controls. */
export function initPlayback() {
  byId('playback-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    loadTrack();
  });
  byId('playback-window').addEventListener('change', () => {
    const w = /** @type {HTMLSelectElement} */ (byId('playback-window')).value;
    if (w !== 'custom') applyWindow(w);
  });
  for (const id of ['playback-from', 'playback-to']) {
    byId(id).addEventListener('input', () => {
      /** @type {HTMLSelectElement} */ (byId('playback-window')).value = 'custom';
    });
  }
  byId('playback-play').addEventListener('click', () => {
    if (playing) pause();
    else play();
  });
  byId('playback-slider').addEventListener('input', () => {
    index = Number(/** @type {HTMLInputElement} */ (byId('playback-slider')).value) || 0;
    renderPosition();
    if (playing) scheduleStep();
  });
  byId('playback-speed').addEventListener('change', () => {
    if (playing) scheduleStep();
  });
  document.addEventListener('keydown', (ev) => {
    if (ev.key !== ' ' || !(ev.target instanceof HTMLInputElement) || ev.target.id !== 'playback-slider') return;
    ev.preventDefault();
    if (playing) pause();
    else play();
  });
  renderPlay();
}

/** Forgets the track and sets the default window (the last hour). */
export function resetPlayback() {
  seq += 1;
  pause();
  track = null;
  index = 0;
  status = null;
  setStatus(null);
  /** @type {HTMLSelectElement} */ (byId('playback-window')).value = '1h';
  applyWindow('1h');
  const box = byId('playback');
  box.dataset.state = 'idle';
  for (const k of ['points', 'unit', 'flagged']) delete box.dataset[k];
  byId('playback-empty').hidden = true;
  if (trackLayer) trackLayer.clearLayers();
  doneLine = null;
  cursor = null;
  const slider = /** @type {HTMLInputElement} */ (byId('playback-slider'));
  slider.max = '0';
  slider.disabled = true;
  /** @type {HTMLButtonElement} */ (byId('playback-play')).disabled = true;
  renderSummary();
  renderPosition();
}

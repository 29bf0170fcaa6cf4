// What the reports page needs to know besides the figures: the deployment's
// time zone (reports count local days there), the map's centre and tiles,
// the grid polygons and their names, and number formats in the current
// language.

import * as api from './api.js';
import { addBaseMap } from './basemap.js';
import { serverDate } from './clock.js';
import { el } from './dom.js';
import { lang, locale, t } from './i18n.js';
import { rt } from './analysis-i18n.js';

/** @type {{timezone: string, center: [number, number], zoom: number, tileUrl: string, config: any}} */
const place = { timezone: '', center: [114.12, 22.543], zoom: 15, tileUrl: '', config: null };
/** @type {any[]} every grid feature (district, streets, communities, grids) */
let features = [];
/** @type {Map<string, {zh: string, en: string}>} */
const gridNames = new Map();

/**
 * Fetches the configuration and the grids. Either may fail: the page then
 * uses the browser's time zone and grid codes.
 * @returns {Promise<void>}
 */
export async function loadPlace() {
  const [cfg, grids] = await Promise.allSettled([api.config(), api.grids()]);
  if (cfg.status === 'fulfilled' && cfg.value) {
    const c = /** @type {any} */ (cfg.value);
    if (typeof c.timezone === 'string') place.timezone = c.timezone;
    if (c.map && Array.isArray(c.map.center) && c.map.center.length === 2) {
      place.center = [Number(c.map.center[0]), Number(c.map.center[1])];
    }
    if (c.map && Number.isFinite(c.map.zoom)) place.zoom = Number(c.map.zoom);
    if (c.map && typeof c.map.tile_url === 'string') place.tileUrl = c.map.tile_url.trim();
    place.config = c;
  }
  if (grids.status === 'fulfilled' && grids.value && Array.isArray(grids.value.features)) {
    features = grids.value.features.filter((f) => f && f.geometry && f.properties);
    gridNames.clear();
    for (const f of features) {
      const p = f.properties;
      if (typeof p.code === 'string') gridNames.set(p.code, { zh: String(p.name ?? ''), en: String(p.name_en ?? '') });
    }
  }
}

/** Forgets the grids (on sign-out). */
export function clearPlace() {
  features = [];
  gridNames.clear();
}

/**
 * Creates a Leaflet map of the deployment's place in box (which must be
 * visible), on a canvas, with the tiles when a template is configured.
 * Without Leaflet the box says the map is unavailable.
 * @param {HTMLElement} box
 * @param {number} tolerance how many pixels around a shape still hit it
 * @param {object} [options] further Leaflet map options
 * @returns {any} the map, or null when Leaflet is missing
 */
export function placeMap(box, tolerance, options = {}) {
  const L = /** @type {any} */ (window).L;
  if (!L || typeof L.map !== 'function') {
    box.dataset.unavailable = '1';
    box.replaceChildren(el('p', 'map-note', rt('reports.map.unavailable')));
    return null;
  }
  const map = L.map(box, {
    preferCanvas: true,
    renderer: L.canvas({ padding: 0.5, tolerance }),
    attributionControl: false,
    zoomControl: false,
    minZoom: 10,
    maxZoom: 19,
    ...options,
  });
  // The zoom buttons' titles from the catalogue, not Leaflet's English.
  if (options.zoomControl !== false) L.control.zoom({ position: 'topleft', zoomInTitle: t('map.zoomIn'), zoomOutTitle: t('map.zoomOut') }).addTo(map);
  const base = addBaseMap(L, map, box, place.config);
  map.setView([place.center[1], place.center[0]], place.zoom);
  if (!base && place.tileUrl) {
    try {
      L.tileLayer(place.tileUrl, { maxZoom: 19, className: 'map-tiles' }).addTo(map);
    } catch {
      // a malformed template: the grids are the map
    }
  }
  return map;
}

/**
 * Every grid feature from GET /api/v1/grids.
 * @returns {any[]}
 */
export function gridFeatures() {
  return features;
}

/**
 * A grid's name in the current language, or its code when unknown.
 * @param {string} code
 * @param {{name?: string, name_en?: string}} [props] names given with the data
 * @returns {string}
 */
export function gridName(code, props) {
  const known = gridNames.get(code);
  const zh = (props && props.name) || (known && known.zh) || '';
  const en = (props && props.name_en) || (known && known.en) || '';
  return (lang() === 'en' ? en || zh : zh || en) || String(code ?? '');
}

/**
 * Today's date and time fields in the deployment's time zone.
 * @param {Date} [d]
 * @returns {{year: number, month: number, day: number}}
 */
function localParts(d = serverDate()) {
  if (place.timezone) {
    try {
      const parts = new Intl.DateTimeFormat('en-CA', { timeZone: place.timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(d);
      /** @type {Record<string, number>} */
      const v = {};
      for (const p of parts) if (p.type !== 'literal') v[p.type] = Number(p.value);
      if (v.year && v.month && v.day) return { year: v.year, month: v.month, day: v.day };
    } catch {
      // an unknown zone: the browser's own
    }
  }
  return { year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate() };
}

/**
 * Pads a number to two digits.
 * @param {number} n
 * @returns {string}
 */
export function two(n) {
  return String(n).padStart(2, '0');
}

/**
 * Today in the deployment's time zone, as YYYY-MM-DD.
 * @returns {string}
 */
export function today() {
  const p = localParts();
  return `${p.year}-${two(p.month)}-${two(p.day)}`;
}

/**
 * A local date some days before a YYYY-MM-DD date.
 * @param {string} date
 * @param {number} days
 * @returns {string}
 */
export function daysBefore(date, days) {
  const [y, m, d] = date.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d - days));
  return `${t.getUTCFullYear()}-${two(t.getUTCMonth() + 1)}-${two(t.getUTCDate())}`;
}

/**
 * This month in the deployment's time zone.
 * @returns {{year: number, month: number}}
 */
export function thisMonth() {
  const p = localParts();
  return { year: p.year, month: p.month };
}

/**
 * Formats an integer in the current language.
 * @param {number} n
 * @returns {string}
 */
export function int(n) {
  try {
    return new Intl.NumberFormat(locale()).format(n);
  } catch {
    return String(n);
  }
}

/**
 * Formats a share (0.8224) as a percentage with one decimal, or "—".
 * @param {number|null|undefined} r
 * @returns {string}
 */
export function percent(r) {
  if (typeof r !== 'number' || !Number.isFinite(r)) return '—';
  return `${(r * 100).toFixed(1)}%`;
}

/**
 * Formats a relative change (0.25 = +25%) with its sign, or "—".
 * @param {number|null|undefined} c
 * @returns {string}
 */
export function signedPercent(c) {
  if (typeof c !== 'number' || !Number.isFinite(c)) return '—';
  const v = (c * 100).toFixed(1);
  if (Number(v) === 0) return '0.0%';
  return c > 0 ? `+${v}%` : `−${v.slice(1)}%`;
}

/**
 * Formats a duration in seconds as minutes and seconds (or hours and
 * minutes from an hour up), or "—".
 * @param {number|null|undefined} s
 * @returns {string}
 */
export function duration(s) {
  if (typeof s !== 'number' || !Number.isFinite(s) || s < 0) return '—';
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  if (h > 0) return rt('reports.duration.hm', { h, m });
  if (m > 0) return rt('reports.duration.ms', { m, s: sec });
  return rt('reports.duration.s', { s: sec });
}

/**
 * The wall-clock fields of a time in the deployment's time zone (the
 * browser's when the zone is unknown).
 * @param {Date} d
 * @returns {{year: number, month: number, day: number, hour: number, minute: number, second: number}}
 */
function zoneParts(d) {
  if (place.timezone) {
    try {
      const parts = new Intl.DateTimeFormat('en-CA', {
        timeZone: place.timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
        hour: '2-digit', minute: '2-digit', second: '2-digit',
      }).formatToParts(d);
      /** @type {Record<string, number>} */
      const v = {};
      for (const p of parts) if (p.type !== 'literal') v[p.type] = Number(p.value);
      if (v.year && v.month && v.day) {
        return { year: v.year, month: v.month, day: v.day, hour: v.hour % 24, minute: v.minute, second: v.second };
      }
    } catch {
      // an unknown zone: the browser's own
    }
  }
  return { year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate(), hour: d.getHours(), minute: d.getMinutes(), second: d.getSeconds() };
}

/**
 * Formats a time as YYYY-MM-DD HH:mm:ss in the deployment's time zone.
 * @param {Date} d
 * @returns {string}
 */
export function dateTime(d) {
  const p = zoneParts(d);
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}:${two(p.second)}`;
}

/**
 * Formats a time for an input of type datetime-local (minutes), as the
 * deployment's clocks show it.
 * @param {Date} d
 * @returns {string}
 */
export function zoneInput(d) {
  const p = zoneParts(d);
  return `${p.year}-${two(p.month)}-${two(p.day)}T${two(p.hour)}:${two(p.minute)}`;
}

/**
 * Reads the value of a datetime-local input as a time on the deployment's
 * clocks (not the browser's).
 * @param {string} v YYYY-MM-DDTHH:mm
 * @returns {Date|null}
 */
export function fromZoneInput(v) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(v);
  if (!m) return null;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  // The zone's offset at that moment: what its clocks show, less UTC; once
  // more at the corrected time, for a date across a change of offset.
  let t = wall;
  for (let i = 0; i < 2; i++) {
    const p = zoneParts(new Date(t));
    const shown = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    t = wall - (shown - t);
  }
  return new Date(t);
}

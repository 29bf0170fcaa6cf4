// Units on the map: one canvas marker per unit with a known position, its
// fill colour the status and its shape the type, moved in place by the
// unit.positions frames. Thousands of them are cheap because they are drawn
// on Leaflet's canvas renderer, not as DOM elements.

import { el, spaced } from './dom.js';
import { hhmmss, mmdd, parseTime, sameDay } from './format.js';
import { t } from './i18n.js';
import { serverDate } from './clock.js';

/** Unit statuses, in the legend's order. */
export const UNIT_STATUSES = ['available', 'dispatched', 'en_route', 'on_scene', 'off_duty'];

/** Unit types, in the legend's order. */
export const UNIT_TYPES = ['car', 'motorbike', 'foot', 'grid_officer', 'fire', 'medical'];

const STATUS_COLOURS = {
  available: '#43a047',
  dispatched: '#fb8c00',
  en_route: '#fdd835',
  on_scene: '#e53935',
  off_duty: '#78909c',
};
const UNKNOWN_STATUS_COLOUR = '#eceff1';

/** @type {Record<string, string>} */
const SHAPES = {
  car: 'square',
  motorbike: 'diamond',
  foot: 'circle',
  grid_officer: 'triangle',
  fire: 'hexagon',
  medical: 'cross',
};
const UNKNOWN_SHAPE = 'ring';

/** @type {Record<string, number>} marker radius in CSS pixels */
const RADII = { car: 9, motorbike: 9, foot: 7, grid_officer: 8, fire: 10, medical: 10 };
const DEFAULT_RADIUS = 8;

const OUTLINE = '#0a0e13';

/** From this zoom up (street level) callsigns are written beside units. */
export const CALLSIGN_ZOOM = 16;
/** Below this zoom (city level) units are drawn as clusters with counts. */
export const CLUSTER_ZOOM = 14;
/** The side in screen pixels of a cluster's cell. */
const CLUSTER_CELL_PX = 64;

/**
 * The colour of a unit status.
 * @param {string|undefined} status
 * @returns {string}
 */
export function statusColour(status) {
  return (status && STATUS_COLOURS[/** @type {keyof STATUS_COLOURS} */ (status)]) || UNKNOWN_STATUS_COLOUR;
}

/**
 * The marker shape of a unit type.
 * @param {string|undefined} type
 * @returns {string}
 */
export function unitShape(type) {
  return (type && SHAPES[type]) || UNKNOWN_SHAPE;
}

/**
 * A unit type's name in the current language; an unknown one as the server
 * spells it.
 * @param {string|undefined} type
 * @returns {string}
 */
export function unitTypeName(type) {
  if (!type) return t('unitType.unknown');
  const key = `unitType.${type}`;
  const name = t(key);
  return name === key ? type : name;
}

/**
 * A unit status's name in the current language; an unknown one as the
 * server spells it.
 * @param {string|undefined} status
 * @returns {string}
 */
export function unitStatusName(status) {
  if (!status) return t('unitStatus.unknown');
  const key = `unitStatus.${status}`;
  const name = t(key);
  return name === key ? status : name;
}

/**
 * Adds the outline of a marker shape centred on (x, y) to the current path
 * of ctx. Every shape stays within about r of the centre, the radius Leaflet
 * uses for the marker's bounds and hit testing.
 * @param {CanvasRenderingContext2D} ctx
 * @param {string} shape circle, ring, square, diamond, triangle, hexagon or cross
 * @param {number} x
 * @param {number} y
 * @param {number} r
 */
export function traceUnitShape(ctx, shape, x, y, r) {
  switch (shape) {
    case 'square': {
      const h = r * 0.8;
      ctx.rect(x - h, y - h, 2 * h, 2 * h);
      break;
    }
    case 'diamond': {
      const h = r * 1.12;
      ctx.moveTo(x, y - h);
      ctx.lineTo(x + h, y);
      ctx.lineTo(x, y + h);
      ctx.lineTo(x - h, y);
      ctx.closePath();
      break;
    }
    case 'triangle': {
      const h = r * 1.12;
      for (let i = 0; i < 3; i++) {
        const a = -Math.PI / 2 + (i * 2 * Math.PI) / 3;
        if (i === 0) ctx.moveTo(x + h * Math.cos(a), y + h * Math.sin(a) + r * 0.15);
        else ctx.lineTo(x + h * Math.cos(a), y + h * Math.sin(a) + r * 0.15);
      }
      ctx.closePath();
      break;
    }
    case 'hexagon': {
      const h = r * 1.05;
      for (let i = 0; i < 6; i++) {
        const a = (i * Math.PI) / 3;
        if (i === 0) ctx.moveTo(x + h * Math.cos(a), y + h * Math.sin(a));
        else ctx.lineTo(x + h * Math.cos(a), y + h * Math.sin(a));
      }
      ctx.closePath();
      break;
    }
    case 'cross': {
      const a = r * 1.05;
      const b = r * 0.4;
      ctx.moveTo(x - b, y - a);
      ctx.lineTo(x + b, y - a);
      ctx.lineTo(x + b, y - b);
      ctx.lineTo(x + a, y - b);
      ctx.lineTo(x + a, y + b);
      ctx.lineTo(x + b, y + b);
      ctx.lineTo(x + b, y + a);
      ctx.lineTo(x - b, y + a);
      ctx.lineTo(x - b, y + b);
      ctx.lineTo(x - a, y + b);
      ctx.lineTo(x - a, y - b);
      ctx.lineTo(x - b, y - b);
      ctx.closePath();
      break;
    }
    case 'ring':
      ctx.arc(x, y, r, 0, Math.PI * 2, false);
      ctx.moveTo(x + r * 0.45, y);
      ctx.arc(x, y, r * 0.45, 0, Math.PI * 2, true);
      break;
    default:
      ctx.arc(x, y, r, 0, Math.PI * 2, false);
  }
}

/**
 * A small canvas showing a marker shape, for the legend and tooltips.
 * @param {string} shape see traceUnitShape
 * @param {string} fill CSS colour
 * @param {number} [size] CSS pixels, square
 * @returns {HTMLCanvasElement}
 */
export function shapeSwatch(shape, fill, size = 20) {
  const canvas = document.createElement('canvas');
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(size * dpr);
  canvas.height = Math.round(size * dpr);
  canvas.className = 'swatch';
  canvas.style.width = `${size}px`;
  canvas.style.height = `${size}px`;
  canvas.setAttribute('aria-hidden', 'true');
  const ctx = canvas.getContext('2d');
  if (ctx) {
    ctx.scale(dpr, dpr);
    ctx.beginPath();
    traceUnitShape(ctx, shape, size / 2, size / 2, size * 0.34);
    ctx.fillStyle = fill;
    ctx.fill('evenodd');
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = OUTLINE;
    ctx.stroke();
  }
  return canvas;
}

/**
 * The Leaflet class of unit markers: a CircleMarker (so it keeps Leaflet's
 * bounds, hit testing and tooltips) drawn as the shape in options.shape.
 * It uses the canvas renderer's internals (_drawing, _ctx, _fillStroke) of
 * the vendored Leaflet 1.9.4; with any other renderer it stays a circle.
 * @param {any} L the Leaflet namespace
 * @returns {any} the marker class
 */
function unitMarkerClass(L) {
  return L.CircleMarker.extend({
    options: { shape: 'circle', label: '' },
    _updatePath() {
      const r = this._renderer;
      if (!(r instanceof L.Canvas)) {
        L.CircleMarker.prototype._updatePath.call(this);
        return;
      }
      if (!r._drawing || this._empty()) return;
      const ctx = r._ctx;
      ctx.beginPath();
      traceUnitShape(ctx, this.options.shape, this._point.x, this._point.y, Math.max(this._radius, 1));
      r._fillStroke(ctx, this);
      // The callsign beside the unit at street zoom, outlined to read on
      // any base map.
      if (this.options.label && this._map && this._map.getZoom() >= CALLSIGN_ZOOM) {
        ctx.save();
        ctx.font = '600 12px system-ui, "Noto Sans CJK SC", sans-serif';
        ctx.textBaseline = 'middle';
        ctx.lineWidth = 3;
        ctx.strokeStyle = 'rgba(10, 14, 19, 0.9)';
        ctx.fillStyle = '#e8eef4';
        const x = this._point.x + this._radius + 3;
        ctx.strokeText(this.options.label, x, this._point.y);
        ctx.fillText(this.options.label, x, this._point.y);
        ctx.restore();
      }
    },
  });
}

/**
 * @typedef {object} Fix
 * @property {number} lon
 * @property {number} lat
 * @property {string} at
 * @property {number} ms when, in milliseconds since the epoch (NaN if unknown)
 */

/**
 * @typedef {object} UnitEntry
 * @property {string} id
 * @property {string} [callsign]
 * @property {string} [type]
 * @property {string} [team]
 * @property {string} [status]
 * @property {string} [homeGrid]
 * @property {Fix|null} fix
 * @property {any} marker the Leaflet marker, or null when not drawn
 * @property {string} look the style the marker was last drawn with
 */

/**
 * Reads a position from the API or the stream.
 * @param {any} p
 * @returns {Fix|null} null when missing or not a valid WGS-84 point
 */
function readFix(p) {
  if (!p || typeof p !== 'object') return null;
  const { lon, lat } = p;
  if (typeof lon !== 'number' || typeof lat !== 'number') return null;
  if (!Number.isFinite(lon) || !Number.isFinite(lat) || Math.abs(lon) > 180 || Math.abs(lat) > 90) return null;
  const at = typeof p.at === 'string' ? p.at : '';
  return { lon, lat, at, ms: at ? Date.parse(at) : NaN };
}

/**
 * Reports whether fix should replace the one held: fixes only move forward
 * in time, so a late answer from the API cannot pull a marker back.
 * @param {Fix|null} held
 * @param {Fix} fix
 * @returns {boolean}
 */
function newer(held, fix) {
  if (!held || Number.isNaN(held.ms) || Number.isNaN(fix.ms)) return true;
  return fix.ms >= held.ms;
}

/**
 * The time of a fix for the tooltip, with the date when not today.
 * @param {Fix|null} fix
 * @returns {string}
 */
function fixText(fix) {
  const d = fix ? parseTime(fix.at) : null;
  if (!d) return t('unit.noFix');
  const time = sameDay(d, serverDate()) ? hhmmss(d) : `${mmdd(d)} ${hhmmss(d)}`;
  return t('unit.lastFix', { time });
}

/**
 * A unit's tooltip, built from DOM nodes: callsign, type and status (shape
 * and colour with their names), and the time of the last fix.
 * @param {UnitEntry} u
 * @returns {HTMLElement}
 */
function unitTooltip(u) {
  return el('div', 'tip-body unit-tip', null, [
    el('strong', 'tip-title', u.callsign || u.id),
    el('div', 'tip-line', null, spaced([
      shapeSwatch(unitShape(u.type), statusColour(u.status), 18),
      el('span', 'tip-type', unitTypeName(u.type)),
      el('span', 'tip-sep', t('unit.sep')),
      el('span', 'tip-status', unitStatusName(u.status)),
    ])),
    el('div', 'tip-meta', fixText(u.fix)),
  ]);
}

/** The units drawn on a Leaflet map. */
export class UnitLayer {
  /**
   * @param {any} L the Leaflet namespace
   * @param {any} map the Leaflet map (with a canvas renderer)
   * @param {object} [hooks]
   * @param {() => void} [hooks.onUnknown] a unit was heard of whose callsign
   *   and type are not known (ask the API again)
   * @param {() => void} [hooks.onChange] the set of drawn units changed
   */
  constructor(L, map, hooks = {}) {
    this.L = L;
    this.map = map;
    this.hooks = hooks;
    this.Marker = unitMarkerClass(L);
    this.group = L.layerGroup().addTo(map);
    /** Cluster markers with counts, shown instead of the units at city zoom. */
    this.clusters = L.layerGroup();
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    this.clusterTimer = undefined;
    map.on('zoomend moveend', () => this.recluster());
    /** @type {Map<string, UnitEntry>} */
    this.units = new Map();
    /** Number of unit markers on the map. */
    this.drawn = 0;
    /** Number of unit.positions frames applied. */
    this.frames = 0;
  }

  /**
   * The entry of a unit, created (undrawn) when new.
   * @param {string} id
   * @returns {{entry: UnitEntry, created: boolean}}
   */
  entry(id) {
    let entry = this.units.get(id);
    if (entry) return { entry, created: false };
    entry = { id, fix: null, marker: null, look: '' };
    this.units.set(id, entry);
    return { entry, created: true };
  }

  /**
   * Copies a unit's description (not status or position) from the API.
   * @param {UnitEntry} e
   * @param {any} u
   */
  describe(e, u) {
    if (typeof u.callsign === 'string' && u.callsign) e.callsign = u.callsign;
    if (typeof u.type === 'string' && u.type) e.type = u.type;
    if (typeof u.team === 'string') e.team = u.team;
    if (typeof u.home_grid === 'string') e.homeGrid = u.home_grid;
  }

  /**
   * Replaces every unit with the snapshot's list: units not in it go.
   * @param {any} list the snapshot's data.units
   */
  replace(list) {
    if (!Array.isArray(list)) return;
    const seen = new Set();
    for (const u of list) {
      if (!u || typeof u.id !== 'string' || u.id === '') continue;
      seen.add(u.id);
      const { entry } = this.entry(u.id);
      this.describe(entry, u);
      if (typeof u.status === 'string') entry.status = u.status;
      const fix = readFix(u.position);
      if (fix && newer(entry.fix, fix)) entry.fix = fix;
      else if (u.position === null) entry.fix = null;
      this.draw(entry);
    }
    for (const [id, entry] of this.units) {
      if (!seen.has(id)) this.drop(entry);
    }
    this.changed();
  }

  /**
   * Merges the API's unit list: descriptions always, a status only for a
   * unit not yet heard of (the stream's is newer), a position only when it
   * is newer than the one held.
   * @param {any} list GET /api/v1/units → units
   */
  merge(list) {
    if (!Array.isArray(list)) return;
    for (const u of list) {
      if (!u || typeof u.id !== 'string' || u.id === '') continue;
      const { entry } = this.entry(u.id);
      this.describe(entry, u);
      if (entry.status === undefined && typeof u.status === 'string') entry.status = u.status;
      const fix = readFix(u.position);
      if (fix && newer(entry.fix, fix)) entry.fix = fix;
      this.draw(entry);
    }
    this.changed();
  }

  /**
   * Applies a unit.positions frame: moves and restyles the units in it and
   * draws those not seen before.
   * @param {any} list the frame's data.units: {id, status, position}
   */
  move(list) {
    if (!Array.isArray(list)) return;
    let unknown = false;
    for (const u of list) {
      if (!u || typeof u.id !== 'string' || u.id === '') continue;
      const { entry, created } = this.entry(u.id);
      if (created || !entry.callsign) unknown = true;
      if (typeof u.status === 'string') entry.status = u.status;
      const fix = readFix(u.position);
      if (fix && newer(entry.fix, fix)) entry.fix = fix;
      this.draw(entry);
    }
    this.frames += 1;
    this.changed();
    if (unknown && this.hooks.onUnknown) this.hooks.onUnknown();
  }

  /**
   * Applies a unit.status event.
   * @param {any} data {unit_id, status, by, at}
   */
  setStatus(data) {
    if (!data || typeof data.unit_id !== 'string' || typeof data.status !== 'string') return;
    const { entry, created } = this.entry(data.unit_id);
    entry.status = data.status;
    this.draw(entry);
    this.changed();
    if (created && this.hooks.onUnknown) this.hooks.onUnknown();
  }

  /**
   * Applies a unit.changed event (the registry): a new or edited unit is
   * described and drawn, a retired one dropped.
   * @param {any} data {action, unit}
   */
  change(data) {
    const u = data && data.unit;
    if (!u || typeof u.id !== 'string' || u.id === '') return;
    if (u.retired === true) {
      const e = this.units.get(u.id);
      if (e) this.drop(e);
    } else {
      const { entry } = this.entry(u.id);
      this.describe(entry, u);
      if (entry.status === undefined || entry.status === 'retired') entry.status = 'available';
      this.draw(entry);
    }
    this.changed();
  }

  /**
   * A unit's callsign, if known.
   * @param {string} id
   * @returns {string|undefined}
   */
  callsign(id) {
    return this.units.get(id)?.callsign;
  }

  /**
   * Draws, moves or restyles the marker of one unit; removes it when the
   * unit has no position.
   * @param {UnitEntry} e
   */
  draw(e) {
    if (!e.fix) {
      this.undraw(e);
      return;
    }
    const shape = unitShape(e.type);
    const radius = (e.type && RADII[e.type]) || DEFAULT_RADIUS;
    const fillColor = statusColour(e.status);
    const fillOpacity = e.status === 'off_duty' ? 0.55 : 0.95;
    const label = e.callsign || '';
    const look = `${shape}|${radius}|${fillColor}|${fillOpacity}|${label}`;
    const latlng = [e.fix.lat, e.fix.lon];
    if (!e.marker) {
      e.marker = new this.Marker(latlng, {
        shape,
        label,
        radius,
        fillColor,
        fillOpacity,
        color: OUTLINE,
        weight: 1.5,
        opacity: 1,
        bubblingMouseEvents: false,
      });
      e.marker.bindTooltip(() => unitTooltip(e), { className: 'tip', direction: 'top', offset: [0, -radius], opacity: 1 });
      e.look = look;
      this.group.addLayer(e.marker);
      this.drawn += 1;
      return;
    }
    const at = e.marker.getLatLng();
    if (at.lat !== latlng[0] || at.lng !== latlng[1]) e.marker.setLatLng(latlng);
    if (look !== e.look) {
      e.look = look;
      e.marker.setStyle({ shape, label, radius, fillColor, fillOpacity });
    }
    if (e.marker.isTooltipOpen()) e.marker.getTooltip().update();
  }

  /**
   * Takes a unit's marker off the map.
   * @param {UnitEntry} e
   */
  undraw(e) {
    if (!e.marker) return;
    this.group.removeLayer(e.marker);
    e.marker = null;
    e.look = '';
    this.drawn -= 1;
  }

  /**
   * Forgets a unit.
   * @param {UnitEntry} e
   */
  drop(e) {
    this.undraw(e);
    this.units.delete(e.id);
  }

  /** Re-renders the open tooltips (after a language change). */
  relabel() {
    for (const e of this.units.values()) {
      if (e.marker && e.marker.isTooltipOpen()) e.marker.getTooltip().update();
    }
  }

  /** Forgets every unit (on sign-out). */
  clear() {
    this.group.clearLayers();
    this.clusters.clearLayers();
    this.units = new Map();
    this.drawn = 0;
    this.frames = 0;
    this.changed();
  }

  /** Tells the owner that what is drawn changed. */
  changed() {
    if (this.hooks.onChange) this.hooks.onChange();
    this.reclusterSoon();
  }

  /** Clusters again within a quarter second (frames come several a second). */
  reclusterSoon() {
    if (this.clusterTimer !== undefined) return;
    this.clusterTimer = setTimeout(() => {
      this.clusterTimer = undefined;
      this.recluster();
    }, 250);
  }

  /**
   * At city zoom, replaces the unit markers with one marker per screen cell
   * of CLUSTER_CELL_PX pixels, showing how many units it holds (a grid
   * clustering: linear in the units, cheap enough for frames of thousands);
   * at street zoom, shows the units themselves.
   */
  recluster() {
    const map = this.map;
    if (!map || !map._loaded) return;
    const clustered = map.getZoom() < CLUSTER_ZOOM;
    const box = map.getContainer();
    box.dataset.unitClusters = '0';
    if (!clustered) {
      if (map.hasLayer(this.clusters)) map.removeLayer(this.clusters);
      if (!map.hasLayer(this.group)) map.addLayer(this.group);
      return;
    }
    if (map.hasLayer(this.group)) map.removeLayer(this.group);
    /** @type {Map<string, {n: number, lat: number, lon: number}>} */
    const cells = new Map();
    for (const e of this.units.values()) {
      if (!e.fix) continue;
      const p = map.latLngToLayerPoint([e.fix.lat, e.fix.lon]);
      const key = `${Math.floor(p.x / CLUSTER_CELL_PX)}:${Math.floor(p.y / CLUSTER_CELL_PX)}`;
      const c = cells.get(key);
      if (c) {
        c.n += 1;
        c.lat += e.fix.lat;
        c.lon += e.fix.lon;
      } else {
        cells.set(key, { n: 1, lat: e.fix.lat, lon: e.fix.lon });
      }
    }
    this.clusters.clearLayers();
    for (const c of cells.values()) {
      const size = c.n >= 100 ? 'l' : c.n >= 10 ? 'm' : 's';
      const icon = this.L.divIcon({ className: `unit-cluster unit-cluster-${size}`, html: '', iconSize: null });
      const m = this.L.marker([c.lat / c.n, c.lon / c.n], { icon, keyboard: false, interactive: false });
      m.on('add', () => {
        const el = m.getElement();
        if (el) {
          el.textContent = String(c.n);
          el.dataset.count = String(c.n);
        }
      });
      this.clusters.addLayer(m);
    }
    if (!map.hasLayer(this.clusters)) map.addLayer(this.clusters);
    box.dataset.unitClusters = String(cells.size);
  }
}

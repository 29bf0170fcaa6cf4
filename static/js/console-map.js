// Small Leaflet maps of the console: the call map (a click or a drag of the
// marker places the call) and the dispatch map (the incident and its
// candidate units). Created when first shown, since Leaflet must measure a
// visible container.
//
// Hooks for tests on the container: data-base (idle|loading|loaded|failed),
// data-marker (1|0), data-units (how many unit markers).

import * as api from './api.js';
import { addBaseMap } from './basemap.js';
import { el } from './dom.js';
import { t } from './i18n.js';
import { isLonLat } from './minimap.js';
import { LEVELS } from './refdata.js';

const CENTRE = [22.545, 114.118];

/** A Leaflet map over the grid outlines. */
class BaseMap {
  /** @param {HTMLElement} box */
  constructor(box) {
    this.box = box;
    /** @type {any} */
    this.L = null;
    /** @type {any} */
    this.map = null;
    /** @type {any} the zoom buttons, titled from the catalogue */
    this.zoom = null;
    box.dataset.base = 'idle';
  }

  /**
   * Creates the map if needed and the box is visible; false otherwise.
   * @returns {boolean}
   */
  ensure() {
    if (this.map) {
      this.map.invalidateSize(false);
      return true;
    }
    const L = /** @type {any} */ (window).L;
    if (!L || typeof L.map !== 'function' || this.box.clientWidth === 0) return false;
    this.L = L;
    this.map = L.map(this.box, { preferCanvas: true, attributionControl: false, zoomControl: false, minZoom: 10, maxZoom: 19, keyboard: false });
    this.map.setView(CENTRE, 14);
    this.relabel();
    this.loadBase();
    this.created();
    return true;
  }

  /** Called once the map exists. */
  created() {}

  /** Loads the base map (as configured) and the grid outlines once. */
  async loadBase() {
    this.box.dataset.base = 'loading';
    try {
      const [cfg, grids] = await Promise.all([api.config().catch(() => null), api.grids()]);
      if (!this.map) return;
      if (cfg) addBaseMap(this.L, this.map, this.box, cfg);
      const layer = this.L.geoJSON(grids, {
        interactive: false,
        style: (/** @type {any} */ f) => {
          const strong = f && f.properties && (f.properties.level === 'district' || f.properties.level === 'street');
          return { color: strong ? '#90b8dc' : '#4a6a86', weight: strong ? 2 : 1, opacity: 0.8, fill: false, interactive: false };
        },
      });
      layer.addTo(this.map);
      layer.bringToBack();
      this.box.dataset.base = 'loaded';
    } catch {
      this.box.dataset.base = 'failed';
    }
  }

  /**
   * Labels the container and the zoom buttons in the current language
   * (Leaflet's own zoom control would say "Zoom in"/"Zoom out" in English).
   */
  relabel() {
    this.box.setAttribute('aria-label', t('console.place.mapHint'));
    if (!this.map) return;
    if (this.zoom) this.zoom.remove();
    this.zoom = this.L.control.zoom({ position: 'topleft', zoomInTitle: t('map.zoomIn'), zoomOutTitle: t('map.zoomOut') });
    this.zoom.addTo(this.map);
  }
}

/** The call map: one draggable marker that says where the call is. */
export class CallMap extends BaseMap {
  /**
   * @param {HTMLElement} box
   * @param {(lon: number, lat: number) => void} onPick called when a person places the marker
   */
  constructor(box, onPick) {
    super(box);
    this.onPick = onPick;
    /** @type {any} */
    this.marker = null;
    box.dataset.marker = '0';
  }

  created() {
    this.map.on('click', (/** @type {any} */ ev) => {
      this.place(ev.latlng.lng, ev.latlng.lat);
      this.onPick(round(ev.latlng.lng), round(ev.latlng.lat));
    });
  }

  /**
   * Puts the marker at a point (or removes it) without telling onPick.
   * @param {number|null} lon
   * @param {number|null} lat
   * @param {boolean} [pan] centre the map on it
   */
  place(lon, lat, pan = false) {
    if (!this.ensure()) {
      this.pending = lon === null ? null : [lon, lat];
      return;
    }
    if (lon === null || lat === null || !isLonLat(lon, lat)) {
      if (this.marker) this.marker.remove();
      this.marker = null;
      this.box.dataset.marker = '0';
      return;
    }
    if (!this.marker) {
      this.marker = this.L.marker([lat, lon], { draggable: true, keyboard: false, title: t('console.place.marker') }).addTo(this.map);
      this.marker.on('dragend', () => {
        const p = this.marker.getLatLng();
        this.onPick(round(p.lng), round(p.lat));
      });
    } else {
      this.marker.setLatLng([lat, lon]);
    }
    this.box.dataset.marker = '1';
    if (pan) this.map.setView([lat, lon], Math.max(this.map.getZoom(), 16));
  }

  /** Shows the map once its box is visible, with any point set meanwhile. */
  shown() {
    if (!this.ensure()) return;
    if (this.pending !== undefined) {
      const p = this.pending;
      this.pending = undefined;
      if (p) this.place(p[0], p[1], true);
    }
  }
}

/** The dispatch map: the incident and its candidate units. */
export class DispatchMap extends BaseMap {
  /** @param {HTMLElement} box */
  constructor(box) {
    super(box);
    /** @type {any} */
    this.layer = null;
    box.dataset.units = '0';
  }

  /**
   * Draws the incident and the units, fitted to them.
   * @param {any} inc
   * @param {any[]} units candidates with position
   */
  show(inc, units) {
    if (!this.ensure()) return;
    const L = this.L;
    if (this.layer) this.layer.remove();
    this.layer = L.layerGroup().addTo(this.map);
    const pts = [];
    const loc = inc && inc.location;
    if (loc && isLonLat(loc.lon, loc.lat)) {
      const level = LEVELS.includes(inc.level) ? inc.level : 'none';
      const disc = el('div', 'incident-disc', null, [el('span', 'incident-code', level === 'none' ? '?' : level)]);
      L.marker([loc.lat, loc.lon], { interactive: false, keyboard: false, icon: L.divIcon({ className: `incident-marker marker-level-${level}`, html: disc, iconSize: [28, 28], iconAnchor: [14, 14] }) }).addTo(this.layer);
      pts.push([loc.lat, loc.lon]);
    }
    let n = 0;
    for (const u of units) {
      const p = u.position;
      if (!p || !isLonLat(p.lon, p.lat)) continue;
      n += 1;
      const tag = el('div', 'unit-tag', String(u.callsign || u.id));
      L.marker([p.lat, p.lon], { interactive: false, keyboard: false, icon: L.divIcon({ className: 'cand-marker', html: tag, iconSize: [60, 18], iconAnchor: [30, 9] }) }).addTo(this.layer);
      pts.push([p.lat, p.lon]);
    }
    this.box.dataset.units = String(n);
    if (pts.length === 1) this.map.setView(pts[0], 16);
    else if (pts.length > 1) this.map.fitBounds(L.latLngBounds(pts), { padding: [24, 24], maxZoom: 17 });
  }
}

/**
 * Rounds a coordinate to 6 decimals (about 0.1 m).
 * @param {number} v
 * @returns {number}
 */
function round(v) {
  return Math.round(v * 1e6) / 1e6;
}

// A small Leaflet map for one order: the incident (a disc with its level's
// numeral) and the unit's own position, over the grid outlines (and the
// configured tiles, if any). Created the first time it is shown, since
// Leaflet must measure a visible container.
//
// Hooks for tests on the container: data-incident (1|0), data-unit (1|0),
// data-base (idle|loading|loaded|failed).

import * as api from './api.js';
import { addBaseMap } from './basemap.js';
import { el } from './dom.js';
import { t } from './i18n.js';
import { LEVELS } from './refdata.js';

const ZOOM = 16;

/**
 * Reports whether lon, lat is a WGS-84 point.
 * @param {unknown} lon
 * @param {unknown} lat
 * @returns {boolean}
 */
export function isLonLat(lon, lat) {
  return typeof lon === 'number' && typeof lat === 'number' && Number.isFinite(lon) && Number.isFinite(lat) &&
    Math.abs(lon) <= 180 && Math.abs(lat) <= 90;
}

/** A small map of one incident and one unit. */
export class MiniMap {
  /**
   * @param {HTMLElement} box the map's container
   */
  constructor(box) {
    this.box = box;
    /** @type {any} */
    this.L = null;
    /** @type {any} */
    this.map = null;
    /** @type {any} */
    this.incidentMarker = null;
    /** @type {any} */
    this.unitMarker = null;
    /** @type {string} what the view was last fitted to */
    this.fitted = '';
    /** @type {'idle'|'loading'|'loaded'|'failed'} */
    this.base = 'idle';
    /** @type {any} */
    this.zoom = null;
    this.incidentLook = '';
    box.dataset.incident = '0';
    box.dataset.unit = '0';
    box.dataset.base = 'idle';
  }

  /**
   * Creates the map if needed; false when Leaflet is missing.
   * @returns {boolean}
   */
  ensure() {
    if (this.map) return true;
    const L = /** @type {any} */ (window).L;
    if (!L || typeof L.map !== 'function') return false;
    this.L = L;
    this.map = L.map(this.box, {
      preferCanvas: true,
      attributionControl: false,
      zoomControl: false,
      minZoom: 10,
      maxZoom: 19,
    });
    this.relabel();
    if (typeof ResizeObserver === 'function') {
      new ResizeObserver(() => {
        if (this.map && this.box.clientWidth > 0 && this.box.clientHeight > 0) this.map.invalidateSize({ animate: false });
      }).observe(this.box);
    }
    this.loadBase();
    return true;
  }

  /** Loads the grid outlines (and the tiles, if configured) once. */
  async loadBase() {
    if (this.base === 'loading' || this.base === 'loaded') return;
    this.setBase('loading');
    const [cfg, grids] = await Promise.allSettled([api.config(), api.grids()]);
    if (!this.map) return;
    const L = this.L;
    const base = cfg.status === 'fulfilled' ? addBaseMap(L, this.map, this.box, cfg.value) : null;
    const url = !base && cfg.status === 'fulfilled' && cfg.value && cfg.value.map && typeof cfg.value.map.tile_url === 'string'
      ? cfg.value.map.tile_url.trim() : '';
    if (url) {
      try {
        const tiles = L.tileLayer(url, { maxZoom: 19, className: 'map-tiles' });
        tiles.on('tileerror', () => {});
        tiles.addTo(this.map);
        tiles.bringToBack();
      } catch {
        // a malformed template: the grids are the map
      }
    }
    if (grids.status === 'fulfilled' && grids.value && Array.isArray(grids.value.features)) {
      const layer = L.geoJSON(grids.value, {
        interactive: false,
        style: (/** @type {any} */ f) => {
          const level = f && f.properties && f.properties.level;
          const strong = level === 'district' || level === 'street';
          return { color: strong ? '#90b8dc' : '#4a6a86', weight: strong ? 3 : 1, opacity: 0.9, fill: false, interactive: false };
        },
      });
      layer.addTo(this.map);
      layer.bringToBack();
    }
    this.setBase(grids.status === 'fulfilled' ? 'loaded' : 'failed');
  }

  /**
   * Records the base layers' state on the container.
   * @param {'idle'|'loading'|'loaded'|'failed'} s
   */
  setBase(s) {
    this.base = s;
    this.box.dataset.base = s;
  }

  /** Labels the zoom buttons and the container in the current language. */
  relabel() {
    this.box.setAttribute('aria-label', t('responder.map.label'));
    if (!this.map) return;
    if (this.zoom) this.zoom.remove();
    this.zoom = this.L.control.zoom({ position: 'topleft', zoomInTitle: t('map.zoomIn'), zoomOutTitle: t('map.zoomOut') });
    this.zoom.addTo(this.map);
  }

  /**
   * Shows the incident and the unit; the view is fitted again when the
   * incident changes or the unit first appears.
   * @param {{id: string, level: string, lon: number, lat: number}|null} inc
   * @param {{lon: number, lat: number}|null} me
   */
  show(inc, me) {
    if (!this.ensure()) return;
    const L = this.L;
    this.map.invalidateSize(false);
    if (inc && isLonLat(inc.lon, inc.lat)) {
      const level = LEVELS.includes(inc.level) ? inc.level : 'none';
      const look = `${inc.id}|${level}`;
      if (!this.incidentMarker) {
        this.incidentMarker = L.marker([inc.lat, inc.lon], { keyboard: false, interactive: false, zIndexOffset: 1000 }).addTo(this.map);
      } else {
        this.incidentMarker.setLatLng([inc.lat, inc.lon]);
      }
      if (this.incidentLook !== look) {
        this.incidentLook = look;
        const disc = el('div', 'incident-disc', null, [el('span', 'incident-code', level === 'none' ? '?' : level)]);
        this.incidentMarker.setIcon(L.divIcon({ className: `incident-marker marker-level-${level}`, html: disc, iconSize: [32, 32], iconAnchor: [16, 16] }));
      }
    } else if (this.incidentMarker) {
      this.incidentMarker.remove();
      this.incidentMarker = null;
      this.incidentLook = '';
    }
    if (me && isLonLat(me.lon, me.lat)) {
      if (!this.unitMarker) {
        const dot = el('div', 'me-dot');
        this.unitMarker = L.marker([me.lat, me.lon], {
          keyboard: false,
          interactive: false,
          icon: L.divIcon({ className: 'me-marker', html: dot, iconSize: [22, 22], iconAnchor: [11, 11] }),
        }).addTo(this.map);
      } else {
        this.unitMarker.setLatLng([me.lat, me.lon]);
      }
    } else if (this.unitMarker) {
      this.unitMarker.remove();
      this.unitMarker = null;
    }
    this.box.dataset.incident = this.incidentMarker ? '1' : '0';
    this.box.dataset.unit = this.unitMarker ? '1' : '0';
    const key = `${inc ? inc.id : ''}|${this.unitMarker ? 'me' : ''}`;
    if (key === this.fitted) return;
    this.fitted = key;
    const pts = [];
    if (this.incidentMarker) pts.push(this.incidentMarker.getLatLng());
    if (this.unitMarker) pts.push(this.unitMarker.getLatLng());
    if (pts.length === 1) this.map.setView(pts[0], ZOOM);
    else if (pts.length === 2) this.map.fitBounds(L.latLngBounds(pts), { padding: [36, 36], maxZoom: 17 });
  }
}

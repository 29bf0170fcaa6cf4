// The base map under the grids, as GET /api/v1/config's map.base says:
// "pmtiles" draws the vector archive Watchfloor serves itself
// (/tiles/base.pmtiles, offline) with protomaps-leaflet (vendored, loaded as
// a classic script that sets window.protomapsL); "tianditu" and "amap" are
// online raster tiles. On a GCJ-02 base map (amap) the Leaflet map gets a
// CRS that shifts every WGS-84 position it draws onto GCJ-02 and shifts
// clicks back, so markers, grids, zones and picks all land on the base map's
// streets while everything stored and sent stays WGS-84.
//
// Hooks for tests on the map's container: data-basemap (the kind),
// data-base-datum, data-base-tiles (tiles drawn), data-base-features
// (vector features painted), data-base-labels (labels placed).

import { el } from './dom.js';
import { lang, onLangChange, t } from './i18n.js';
import { toGCJ02, toWGS84 } from './gcj02.js';

/** The maps by their container's id, for the page's tests. */
const maps = new Map();

/**
 * The Leaflet map drawn in the element with this id (tests use it).
 * @param {string} id
 */
export function mapOf(id) {
  return maps.get(id) || null;
}

/** System CJK fonts only: the page never downloads glyphs. */
const FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", sans-serif';

/**
 * A Leaflet CRS that draws WGS-84 positions on a GCJ-02 base map.
 * @param {any} L
 */
export function gcj02CRS(L) {
  const merc = L.Projection.SphericalMercator;
  const projection = {
    bounds: merc.bounds,
    /** @param {any} ll */
    project(ll) {
      const [lon, lat] = toGCJ02(ll.lng, ll.lat);
      return merc.project(L.latLng(lat, lon));
    },
    /** @param {any} p */
    unproject(p) {
      const ll = merc.unproject(p);
      const [lon, lat] = toWGS84(ll.lng, ll.lat);
      return L.latLng(lat, lon);
    },
  };
  return L.extend({}, L.CRS.EPSG3857, { code: 'GCJ02', projection });
}

/**
 * Counts what a symbolizer draws into the container's dataset.
 * @param {any} inner
 * @param {HTMLElement} box
 */
function counted(inner, box) {
  return {
    /** @param {any[]} args */
    before(...args) {
      if (typeof inner.before === 'function') inner.before(...args);
    },
    /** @param {any[]} args */
    draw(...args) {
      box.dataset.baseFeatures = String(Number(box.dataset.baseFeatures || 0) + 1);
      return inner.draw(...args);
    },
  };
}

/**
 * Counts the labels a label symbolizer places.
 * @param {any} inner
 * @param {HTMLElement} box
 */
function countedLabels(inner, box) {
  return {
    /** @param {any[]} args */
    place(...args) {
      const out = inner.place(...args);
      if (out && out.length) box.dataset.baseLabels = String(Number(box.dataset.baseLabels || 0) + 1);
      return out;
    },
  };
}

/** The name to label with, in the page's language. */
function names() {
  return lang() === 'en' ? ['name:en', 'name'] : ['name:zh', 'name'];
}

/**
 * The vector style: dark, like the wall screen. The layer names and kinds
 * are the Protomaps basemap schema's, so an extract of a public planet
 * build draws the same way as the sample city's schematic archive.
 * @param {any} P window.protomapsL
 * @param {HTMLElement} box
 */
function style(P, box) {
  /** @param {string} k @returns {(z: number, f: any) => boolean} */
  const kind = (k) => (_z, f) => f.props.kind === k;
  const road = (/** @type {number} */ base) => (/** @type {number} */ z) => Math.max(0.5, base * Math.pow(1.5, z - 14));
  const paintRules = [
    { dataLayer: 'earth', symbolizer: counted(new P.PolygonSymbolizer({ fill: '#121c26' }), box) },
    { dataLayer: 'landuse', symbolizer: counted(new P.PolygonSymbolizer({ fill: '#15232c', opacity: 0.8 }), box) },
    { dataLayer: 'water', symbolizer: counted(new P.PolygonSymbolizer({ fill: '#1c3d5a' }), box) },
    { dataLayer: 'buildings', minzoom: 14, symbolizer: counted(new P.PolygonSymbolizer({ fill: '#27333f', stroke: '#34485a', width: 0.5 }), box) },
    { dataLayer: 'roads', filter: (/** @type {number} */ _z, /** @type {any} */ f) => f.props.kind !== 'highway' && f.props.kind !== 'major_road',
      symbolizer: counted(new P.LineSymbolizer({ color: '#3e5062', width: road(2) }), box) },
    { dataLayer: 'roads', filter: kind('major_road'), symbolizer: counted(new P.LineSymbolizer({ color: '#62778c', width: road(4) }), box) },
    { dataLayer: 'roads', filter: kind('highway'), symbolizer: counted(new P.LineSymbolizer({ color: '#7d8f6a', width: road(5) }), box) },
  ];
  const text = { labelProps: names, fontFamily: FONT, fill: '#cfd8dc', stroke: '#0d151d', width: 3 };
  const labelRules = [
    { dataLayer: 'places', symbolizer: countedLabels(new P.CenteredTextSymbolizer({ ...text, fontSize: 15, fontWeight: 600 }), box) },
    { dataLayer: 'roads', minzoom: 13, symbolizer: countedLabels(new P.LineLabelSymbolizer({ ...text, fontSize: 13 }), box) },
    { dataLayer: 'pois', minzoom: 14, symbolizer: countedLabels(new P.CenteredTextSymbolizer({ ...text, fill: '#b0bec5', fontSize: 12 }), box) },
    { dataLayer: 'water', minzoom: 13, symbolizer: countedLabels(new P.CenteredTextSymbolizer({ ...text, fill: '#6fa8d6', fontSize: 12 }), box) },
  ];
  return { paintRules, labelRules };
}

/**
 * Puts the configured base map under everything on map (once): sets the
 * GCJ-02 CRS when the base map needs it, then adds the layer and its
 * attribution. Returns the layer, or null when there is no base map (the
 * grids are the map) or it cannot be drawn.
 * @param {any} L window.L
 * @param {any} map the Leaflet map
 * @param {HTMLElement} box its container
 * @param {any} cfg GET /api/v1/config
 */
export function addBaseMap(L, map, box, cfg) {
  if (box.id) maps.set(box.id, map);
  const base = cfg && cfg.map && cfg.map.base && typeof cfg.map.base === 'object' ? cfg.map.base : null;
  const kind = base && typeof base.kind === 'string' ? base.kind : 'none';
  box.dataset.basemap = kind;
  box.dataset.baseDatum = base && base.datum === 'gcj02' ? 'gcj02' : 'wgs84';
  if (!base || kind === 'none') return null;
  if (base.datum === 'gcj02') {
    const center = map._loaded ? map.getCenter() : null;
    map.options.crs = gcj02CRS(L);
    if (center) map.setView(center, map.getZoom(), { reset: true });
  }
  const maxZoom = Number.isInteger(base.max_zoom) ? base.max_zoom : 18;
  /** @type {any} */
  let layer = null;
  try {
    if (kind === 'pmtiles') {
      const P = /** @type {any} */ (window).protomapsL;
      if (!P || typeof P.leafletLayer !== 'function' || typeof base.url !== 'string') return null;
      box.dataset.baseFeatures = '0';
      box.dataset.baseLabels = '0';
      layer = P.leafletLayer({ url: base.url, maxDataZoom: maxZoom, backgroundColor: '#0f1820', attribution: '', ...style(P, box) });
    } else if (Array.isArray(base.tiles) && base.tiles.length) {
      const group = L.featureGroup();
      for (const url of base.tiles) {
        if (typeof url !== 'string') continue;
        const tiles = L.tileLayer(url, { subdomains: typeof base.subdomains === 'string' ? base.subdomains : 'abc', maxNativeZoom: maxZoom, maxZoom: 19, className: 'map-tiles', attribution: '' });
        tiles.on('tileerror', () => {});
        tiles.on('tileload', () => { box.dataset.baseTiles = String(Number(box.dataset.baseTiles || 0) + 1); });
        group.addLayer(tiles);
      }
      layer = group;
    }
  } catch {
    return null;
  }
  if (!layer) return null;
  box.dataset.baseTiles = '0';
  if (kind === 'pmtiles') layer.on('tileload', () => { box.dataset.baseTiles = String(Number(box.dataset.baseTiles || 0) + 1); });
  layer.addTo(map);
  if (typeof layer.bringToBack === 'function') layer.bringToBack();
  addAttribution(L, map, kind, typeof base.attribution === 'string' ? base.attribution : '');
  return layer;
}

/**
 * The base map's source in the corner, as text (never HTML).
 * @param {any} L
 * @param {any} map
 * @param {string} kind
 * @param {string} extra the configured attribution
 */
function addAttribution(L, map, kind, extra) {
  const Box = L.Control.extend({
    options: { position: 'bottomright' },
    onAdd() {
      const p = el('div', 'basemap-attribution');
      p.dataset.kind = kind;
      const fill = () => {
        p.textContent = [t(`basemap.source.${kind}`), extra].filter(Boolean).join(' · ');
      };
      fill();
      onLangChange(fill);
      return p;
    },
  });
  new Box().addTo(map);
}

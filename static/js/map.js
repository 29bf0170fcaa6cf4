// The situation map: Leaflet (vendored, loaded as a classic script that
// sets window.L) on its canvas renderer. The grids and key zones from the
// API are the base map, so it works with no tile server; units and open
// incidents are drawn over them. Text from the server only reaches the map
// as DOM nodes (tooltips are built with el(), never from HTML strings).
//
// Hooks for tests on #map: data-base (loading|loaded|failed),
// data-grids, data-zones, data-units-known, data-units-drawn,
// data-unit-frames, data-incident-markers, data-case-markers, data-tiles
// (on|off); data-watch-unit (set by a test) makes data-watch-at the
// drawn position "lon,lat" of that unit ("" when it is not drawn). Incident markers are .incident-marker elements with
// data-incident-id and data-level; grid case markers (small squares) are
// .case-marker elements with data-case-id, data-status, data-group
// (new|handling|handled) and data-overdue.

import * as api from './api.js';
import { addBaseMap } from './basemap.js';
import { caseGlyph, caseGridName, caseGroup, caseKindName, caseLevelName, caseStatusTag } from './caseview.js';
import { byId, el, show, spaced } from './dom.js';
import { lang, t } from './i18n.js';
import { LEVELS, levelName } from './refdata.js';
import { statusName } from './screen.js';
import { incidentWarnings } from './warnings.js';
import { shapeSwatch, statusColour, UNIT_STATUSES, UNIT_TYPES, UnitLayer, unitShape, unitStatusName, unitTypeName } from './units.js';

const DEFAULT_ZOOM = 15;
const FOCUS_ZOOM = 16;
const SELECT_MS = 8000;
const UNIT_REFRESH_MS = 15000;
const RETRY_MS = 10000;
/** Below this zoom the grid names would overlap: they are hidden. */
const LABEL_MIN_ZOOM = 14;

/** Grid levels, drawn in this order (the district outline on top). */
const GRID_LEVELS = ['grid', 'community', 'street', 'district'];

/** @type {Record<string, {color: string, weight: number, opacity: number}>} */
const GRID_STYLES = {
  grid: { color: '#4a6a86', weight: 1, opacity: 0.9 },
  community: { color: '#6f98bd', weight: 2, opacity: 0.95 },
  street: { color: '#90b8dc', weight: 3, opacity: 1 },
  district: { color: '#c3dcf2', weight: 4.5, opacity: 1 },
};

/** @type {Record<string, {color: string, fillColor: string, fillOpacity: number}>} */
const ZONE_STYLES = {
  sensitive: { color: '#ef5350', fillColor: '#e53935', fillOpacity: 0.22 },
  school: { color: '#ffb300', fillColor: '#ffa000', fillOpacity: 0.2 },
  other: { color: '#90a4ae', fillColor: '#78909c', fillOpacity: 0.16 },
};

/** @type {any} the Leaflet namespace, once the map exists */
let L = null;
/** @type {any} */
let map = null;
/** @type {UnitLayer|null} */
let units = null;
/** @type {any} */
let zoomControl = null;
/** @type {HTMLElement|null} */
let legendBox = null;
/** @type {any} */
let incidentLayer = null;
/** @type {any} */
let caseLayer = null;
/** @type {any[]} grid polygons, in drawing order */
let gridLayers = [];
/** @type {any[]} the district outline(s), also in gridLayers */
let districtLayers = [];
/** @type {any[]} zone polygons */
let zoneLayers = [];
/** @type {Map<string, any>} every grid's GeoJSON feature by code (warnings shade them) */
const gridFeatures = new Map();
/** @type {any} */
let tileLayer = null;
/** @type {'idle'|'loading'|'loaded'|'failed'} */
let baseState = 'idle';
/** @type {Promise<void>|null} */
let baseLoad = null;
/** Bumped by resetMap so answers to an older sign-in are dropped. */
let generation = 0;
let viewSet = false;
/** @type {Map<string, {inc: any, marker: any, look: string}>} */
const incidents = new Map();
/** @type {any} lines from units with an order to their incidents */
let orderLayer = null;
/** @type {{unit: string, incident: string, status: string}[]} */
let orderPairs = [];
/** @type {ReturnType<typeof setTimeout>|undefined} */
let orderLinesTimer;
/** @type {Map<string, {c: any, marker: any, look: string}>} */
const caseMarkers = new Map();
/** @type {string|null} */
let selectedId = null;
/** @type {string|null} */
let selectedCase = null;
/** @type {ReturnType<typeof setTimeout>|undefined} */
let caseSelectTimer;
/** @type {ReturnType<typeof setTimeout>|undefined} */
let selectTimer;
let lastUnitRefresh = 0;
/** @type {ReturnType<typeof setTimeout>|undefined} */
let unitRefreshTimer;
/** @type {ReturnType<typeof setTimeout>|undefined} */
let retryTimer;

/**
 * The map container.
 * @returns {HTMLElement}
 */
function container() {
  return byId('map');
}

/**
 * Shows a line over the map (loading, error), or hides it.
 * @param {string|null} key catalogue key, or null to hide
 */
function note(key) {
  const n = byId('map-note');
  if (key) {
    n.textContent = t(key);
    n.dataset.key = key;
  } else {
    n.textContent = '';
    delete n.dataset.key;
  }
  show(n, key !== null);
}

/**
 * Creates the map the first time the screen is shown (its container must
 * be visible so Leaflet can measure it); afterwards only re-measures it.
 * @returns {boolean} whether there is a map (false when Leaflet is missing)
 */
export function initMap() {
  if (map) {
    map.invalidateSize(false);
    return true;
  }
  const leaflet = /** @type {any} */ (window).L;
  if (!leaflet || typeof leaflet.map !== 'function') {
    note('map.unavailable');
    return false;
  }
  L = leaflet;
  const box = container();
  map = L.map(box, {
    preferCanvas: true,
    renderer: L.canvas({ padding: 0.5, tolerance: 4 }),
    attributionControl: false,
    zoomControl: false,
    minZoom: 3,
    maxZoom: 19,
  });
  map.createPane('gridLabels'); // .leaflet-gridLabels-pane: above the canvas, below the markers
  caseLayer = L.layerGroup().addTo(map);
  orderLayer = L.layerGroup().addTo(map);
  incidentLayer = L.layerGroup().addTo(map);
  units = new UnitLayer(L, map, { onUnknown: refreshUnitsSoon, onChange: countUnits });
  map.on('zoomend', labelZoom);
  // The panel changes size without a window resize (the link-down banner
  // comes and goes): re-measure then, after layout, so Leaflet's canvas and
  // view follow.
  if (typeof ResizeObserver === 'function') {
    let queued = false;
    new ResizeObserver(() => {
      if (queued) return;
      queued = true;
      requestAnimationFrame(() => {
        queued = false;
        if (map && box.clientWidth > 0 && box.clientHeight > 0) map.invalidateSize({ animate: false });
      });
    }).observe(box);
  }
  addControls();
  countUnits();
  countIncidents();
  countCases();
  box.dataset.base = baseState;
  box.dataset.tiles = 'off';
  return true;
}

/** Adds the zoom buttons and the legend, labelled in the current language. */
function addControls() {
  if (zoomControl) zoomControl.remove();
  zoomControl = L.control.zoom({ position: 'topleft', zoomInTitle: t('map.zoomIn'), zoomOutTitle: t('map.zoomOut') });
  zoomControl.addTo(map);
  if (!legendBox) {
    const Legend = L.Control.extend({
      options: { position: 'bottomright' },
      onAdd() {
        const box = el('section', 'legend');
        box.id = 'map-legend';
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        legendBox = box;
        renderLegend();
        return box;
      },
    });
    new Legend().addTo(map);
  } else {
    renderLegend();
  }
}

/**
 * One legend entry: a swatch and its name.
 * @param {Node} swatch
 * @param {string} text
 * @returns {HTMLElement}
 */
function legendItem(swatch, text) {
  return el('li', 'legend-item', null, [swatch, el('span', 'legend-text', text)]);
}

/**
 * A legend section.
 * @param {string} key catalogue key of its heading
 * @param {HTMLElement[]} items
 * @returns {HTMLElement}
 */
function legendSection(key, items) {
  return el('div', 'legend-section', null, [el('h3', 'legend-title', t(key)), el('ul', 'legend-list', null, items)]);
}

/** Fills the legend in the current language. */
function renderLegend() {
  if (!legendBox) return;
  legendBox.setAttribute('aria-label', t('legend.label'));
  const statuses = UNIT_STATUSES.map((s) => legendItem(shapeSwatch('circle', statusColour(s)), unitStatusName(s)));
  const types = UNIT_TYPES.map((ty) => legendItem(shapeSwatch(unitShape(ty), '#cfd8dc'), unitTypeName(ty)));
  const levels = LEVELS.map((l) => legendItem(
    el('span', `legend-level level-${l}`, l),
    levelName(l),
  ));
  const areas = ['sensitive', 'school', 'other'].map((k) => legendItem(el('span', `legend-area area-${k}`), t(`zoneKind.${k}`)));
  areas.push(legendItem(el('span', 'legend-area area-grid'), t('area.grid')));
  const caseKeys = /** @type {const} */ ([['new', 'case.group.new'], ['handling', 'case.group.handling'], ['handled', 'case.group.handled'], ['overdue', 'case.overdue']]);
  const caseItems = caseKeys.map(([g, key]) => legendItem(el('span', `legend-case case-${g}`), t(key)));
  // Folded to one button in the map's corner unless someone opens it.
  const prev = legendBox.querySelector('details');
  const fold = /** @type {HTMLDetailsElement} */ (el('details', 'legend-fold', null, [
    el('summary', 'legend-summary', t('wall.legend')),
    el('div', 'legend-body', null, [
      legendSection('legend.status', statuses),
      legendSection('legend.type', types),
      legendSection('legend.incident', [...levels, el('li', 'legend-note', t('legend.pulse'))]),
      legendSection('legend.case', caseItems),
      legendSection('legend.area', areas),
    ]),
  ]));
  fold.open = prev instanceof HTMLDetailsElement && prev.open;
  legendBox.replaceChildren(fold);
}

/** Hides the grid names when zoomed out too far to read them. */
function labelZoom() {
  container().classList.toggle('labels-hidden', map.getZoom() < LABEL_MIN_ZOOM);
}

/** Publishes the unit counts on #map and in the panel heading. */
function countUnits() {
  const box = container();
  const drawn = units ? units.drawn : 0;
  box.dataset.unitsDrawn = String(drawn);
  box.dataset.unitsKnown = String(units ? units.units.size : 0);
  box.dataset.unitFrames = String(units ? units.frames : 0);
  if (box.dataset.watchUnit) {
    const e = units && units.units.get(box.dataset.watchUnit);
    const at = e && e.marker ? e.marker.getLatLng() : null;
    box.dataset.watchAt = at ? `${at.lng},${at.lat}` : '';
  }
  byId('map-units-count').textContent = units && units.units.size ? t('map.units', { n: drawn }) : '';
  orderLinesSoon();
}

/** Publishes the number of incident markers on #map. */
function countIncidents() {
  container().dataset.incidentMarkers = String(incidents.size);
}

/** Publishes the number of grid case markers on #map. */
function countCases() {
  container().dataset.caseMarkers = String(caseMarkers.size);
}

/**
 * Loads what the map is built from (configuration, grids, zones, units)
 * unless already loaded or loading. Safe to call on every reconnection.
 * @returns {Promise<void>}
 */
export function loadMapData() {
  if (!map || baseState === 'loaded') return Promise.resolve();
  if (!baseLoad) {
    const p = fetchBase().finally(() => {
      if (baseLoad === p) baseLoad = null;
    });
    baseLoad = p;
  }
  return baseLoad;
}

/**
 * Does the loading for loadMapData.
 * @returns {Promise<void>}
 */
async function fetchBase() {
  const gen = generation;
  setBase('loading');
  if (!viewSet) note('map.loading');
  const [cfg, grids, zones, list] = await Promise.allSettled([api.config(), api.grids(), api.zones(), api.units()]);
  if (gen !== generation || !map) return;
  if (cfg.status === 'fulfilled') addTiles(cfg.value);
  if (grids.status === 'fulfilled') drawGrids(grids.value);
  if (zones.status === 'fulfilled') drawZones(zones.value);
  if (list.status === 'fulfilled' && list.value && units) {
    units.merge(list.value.units);
    lastUnitRefresh = Date.now();
  }
  if (!viewSet) setView(cfg.status === 'fulfilled' ? cfg.value : null);
  order();
  const ok = cfg.status === 'fulfilled' && grids.status === 'fulfilled' && zones.status === 'fulfilled';
  setBase(ok ? 'loaded' : 'failed');
  note(ok ? null : 'map.error');
  if (!ok) {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => {
      if (gen === generation) loadMapData();
    }, RETRY_MS);
  }
}

/**
 * Records the base map's state on #map.
 * @param {'idle'|'loading'|'loaded'|'failed'} s
 */
function setBase(s) {
  baseState = s;
  container().dataset.base = s;
}

/**
 * Adds the configured tile layer under everything (once). A tile that
 * fails to load leaves a gap; the grids still show.
 * @param {any} cfg GET /api/v1/config
 */
function addTiles(cfg) {
  if (tileLayer) return;
  tileLayer = addBaseMap(L, map, container(), cfg);
  if (tileLayer) {
    container().dataset.tiles = 'on';
    container().classList.add('has-tiles');
    return;
  }
  const url = cfg && cfg.map && typeof cfg.map.tile_url === 'string' ? cfg.map.tile_url.trim() : '';
  if (!url) return;
  try {
    tileLayer = L.tileLayer(url, { maxZoom: 19, className: 'map-tiles', crossOrigin: false });
    tileLayer.on('tileerror', () => {});
    tileLayer.addTo(map);
    tileLayer.bringToBack();
    container().dataset.tiles = 'on';
    container().classList.add('has-tiles');
  } catch {
    tileLayer = null; // a malformed template: the grids are the map
  }
}

/**
 * A feature's name in the current language.
 * @param {any} props
 * @returns {string}
 */
function placeName(props) {
  if (!props) return '';
  const zh = typeof props.name === 'string' ? props.name : '';
  const en = typeof props.name_en === 'string' ? props.name_en : '';
  return (lang() === 'en' ? en || zh : zh || en) || String(props.code ?? props.id ?? '');
}

/**
 * Reports whether a GeoJSON feature is a polygon Leaflet can draw.
 * @param {any} f
 * @returns {boolean}
 */
function isArea(f) {
  return !!f && !!f.geometry && (f.geometry.type === 'Polygon' || f.geometry.type === 'MultiPolygon');
}

/**
 * Draws the grid polygons (once): thin grid lines, thicker community and
 * street lines, the district outline thickest; each grid's name as a
 * permanent label.
 * @param {any} fc FeatureCollection
 */
function drawGrids(fc) {
  if (gridLayers.length || !fc || !Array.isArray(fc.features)) return;
  const features = fc.features.filter(isArea);
  const rank = (/** @type {any} */ f) => {
    const i = GRID_LEVELS.indexOf(f.properties && f.properties.level);
    return i < 0 ? 0 : i;
  };
  features.sort((a, b) => rank(a) - rank(b));
  const tiles = tileLayer !== null;
  for (const f of features) {
    if (f.properties && typeof f.properties.code === 'string') {
      gridFeatures.set(f.properties.code, f);
    }
    const level = GRID_LEVELS.includes(f.properties && f.properties.level) ? f.properties.level : 'grid';
    const style = GRID_STYLES[level];
    const layer = L.geoJSON(f, {
      interactive: false,
      style: () => ({
        ...style,
        interactive: false,
        fill: level === 'district' && !tiles,
        fillColor: '#15202b',
        fillOpacity: 0.55,
      }),
    });
    if (level === 'grid') {
      layer.bindTooltip(() => el('span', 'grid-label-text', placeName(f.properties)), {
        permanent: true,
        direction: 'center',
        className: 'grid-label',
        pane: 'gridLabels',
        interactive: false,
      });
    }
    layer.addTo(map);
    gridLayers.push(layer);
    if (level === 'district') districtLayers.push(layer);
  }
  container().dataset.grids = String(features.length);
  labelZoom();
}

/**
 * A grid's name in the current language, if the map has loaded it.
 * @param {string} code
 * @returns {string|undefined}
 */
export function gridNameOf(code) {
  const p = gridFeatures.get(code)?.properties;
  return p ? placeName(p) : undefined;
}

/**
 * What the warnings' shading draws with (warnmap.js): Leaflet, the map and
 * the grids' features by code; null until the map exists.
 * @returns {{L: any, map: any, features: Map<string, any>}|null}
 */
export function mapContext() {
  return map ? { L, map, features: gridFeatures } : null;
}

/**
 * A zone's tooltip: its name and translated kind.
 * @param {any} props
 * @returns {HTMLElement}
 */
function zoneTooltip(props) {
  return el('div', 'tip-body zone-tip', null, [
    el('strong', 'tip-title', placeName(props)),
    el('div', 'tip-meta', t(`zoneKind.${zoneKind(props)}`)),
  ]);
}

/**
 * The style family of a zone: sensitive, school or other.
 * @param {any} props
 * @returns {'sensitive'|'school'|'other'}
 */
function zoneKind(props) {
  const k = props && props.kind;
  return k === 'sensitive' || k === 'school' ? k : 'other';
}

/**
 * Draws the key zones (once): sensitive ones red, schools amber, others
 * grey, each with a tooltip.
 * @param {any} fc FeatureCollection
 */
function drawZones(fc) {
  if (zoneLayers.length || !fc || !Array.isArray(fc.features)) return;
  const features = fc.features.filter(isArea);
  for (const f of features) {
    const kind = zoneKind(f.properties);
    const layer = L.geoJSON(f, {
      style: () => ({ ...ZONE_STYLES[kind], weight: 2, opacity: 0.95 }),
    });
    layer.bindTooltip(() => zoneTooltip(f.properties), { className: 'tip', sticky: true, direction: 'top', opacity: 1 });
    layer.addTo(map);
    zoneLayers.push(layer);
  }
  container().dataset.zones = String(features.length);
}

/**
 * Puts the base layers under the units on the shared canvas: grids at the
 * back, then zones, then everything drawn since (units).
 */
function order() {
  for (const group of [zoneLayers, gridLayers]) {
    for (let i = group.length - 1; i >= 0; i--) group[i].bringToBack();
  }
  if (tileLayer) tileLayer.bringToBack();
}

/**
 * Opens the map at the configured centre ([lon, lat]) and zoom; without a
 * usable centre, fits the district (or all grids, or the units).
 * @param {any} cfg GET /api/v1/config, or null
 */
function setView(cfg) {
  const m = cfg && cfg.map;
  const c = m && m.center;
  if (Array.isArray(c) && c.length >= 2 && isLonLat(c[0], c[1])) {
    const zoom = typeof m.zoom === 'number' && Number.isFinite(m.zoom) ? m.zoom : DEFAULT_ZOOM;
    map.setView([c[1], c[0]], zoom);
    viewSet = true;
    return;
  }
  for (const set of [districtLayers, gridLayers]) {
    if (!set.length) continue;
    const bounds = L.featureGroup(set).getBounds();
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [16, 16] });
      viewSet = true;
      return;
    }
  }
  if (units && units.units.size) {
    const pts = [...units.units.values()].filter((u) => u.fix).map((u) => [u.fix.lat, u.fix.lon]);
    if (pts.length) {
      map.fitBounds(L.latLngBounds(pts), { padding: [40, 40], maxZoom: DEFAULT_ZOOM });
      viewSet = true;
    }
  }
}

/**
 * Reports whether lon, lat is a WGS-84 point.
 * @param {unknown} lon
 * @param {unknown} lat
 * @returns {boolean}
 */
function isLonLat(lon, lat) {
  return typeof lon === 'number' && typeof lat === 'number' && Number.isFinite(lon) && Number.isFinite(lat) &&
    Math.abs(lon) <= 180 && Math.abs(lat) <= 90;
}

/**
 * Asks the API for the units again soon (at most every 15 s), to learn the
 * callsign and type of units first heard of in the stream.
 */
function refreshUnitsSoon() {
  if (unitRefreshTimer !== undefined) return;
  const wait = Math.max(0, lastUnitRefresh + UNIT_REFRESH_MS - Date.now());
  const gen = generation;
  unitRefreshTimer = setTimeout(() => {
    unitRefreshTimer = undefined;
    lastUnitRefresh = Date.now();
    api.units()
      .then((res) => {
        if (gen === generation && units && res) units.merge(res.units);
      })
      .catch(() => {});
  }, wait);
}

/**
 * Replaces the units with a snapshot's list.
 * @param {any} list the snapshot's data.units
 */
export function replaceUnits(list) {
  if (units) units.replace(list);
  if (map && !viewSet && baseState !== 'loading') setView(null);
}

/**
 * Applies a unit.positions frame.
 * @param {any} list the frame's data.units
 */
export function moveUnits(list) {
  if (units) units.move(list);
}

/**
 * Applies a unit.status event.
 * @param {any} data {unit_id, status, by, at}
 */
export function setUnitStatus(data) {
  if (units) units.setStatus(data);
}

/**
 * Applies a unit.changed event: adds, redraws or drops the unit.
 * @param {any} data {action, unit}
 */
export function changeUnit(data) {
  if (units) units.change(data);
}

/**
 * A unit's callsign, if the map knows it.
 * @param {string} id
 * @returns {string|undefined}
 */
export function unitCallsign(id) {
  return units ? units.callsign(id) : undefined;
}

/**
 * The incident's location as [lat, lng], or null.
 * @param {any} inc
 * @returns {[number, number]|null}
 */
function incidentLatLng(inc) {
  const l = inc && inc.location;
  if (!l || !isLonLat(l.lon, l.lat)) return null;
  return [l.lat, l.lon];
}

/**
 * The level of an incident for styling: I–IV or none.
 * @param {any} inc
 * @returns {string}
 */
function levelOf(inc) {
  return LEVELS.includes(inc.level) ? inc.level : 'none';
}

/**
 * An incident marker's icon: a disc in the level's colour with the level's
 * numeral, pulsing for I and II. Built from DOM nodes; the only text is
 * the numeral, from the fixed list of levels.
 * @param {any} inc
 * @returns {any} an L.DivIcon
 */
function incidentIcon(inc) {
  const level = levelOf(inc);
  const shape = el('div', 'incident-disc');
  if (level === 'I' || level === 'II') shape.append(el('span', 'incident-pulse'));
  shape.append(el('span', 'incident-code', level === 'none' ? '?' : level));
  const classes = ['incident-marker', `marker-level-${level}`];
  if (inc.drill === true) classes.push('drill');
  if (inc.location_approximate === true) classes.push('approximate');
  if (inc.id === selectedId) classes.push('selected');
  return L.divIcon({ className: classes.join(' '), html: shape, iconSize: [32, 32], iconAnchor: [16, 16], tooltipAnchor: [0, -17] });
}

/**
 * An incident's tooltip: level (numeral and name, never colour alone),
 * title, status and drill mark.
 * @param {any} inc
 * @returns {HTMLElement}
 */
function incidentTooltip(inc) {
  const level = levelOf(inc);
  const status = typeof inc.status === 'string' ? inc.status : '';
  return el('div', 'tip-body incident-tip', null, [
    el('div', 'tip-line', null, spaced([
      el('span', `tip-level level-${level}`, `${level === 'none' ? '?' : level} ${levelName(inc.level)}`),
      inc.drill === true ? el('span', 'tag drill-tag', t('incident.drill')) : null,
      status ? el('span', `tag status-tag status-${status}`, statusName(status)) : null,
    ])),
    el('strong', 'tip-title', typeof inc.title === 'string' ? inc.title : ''),
    inc.location_approximate === true ? el('div', 'tip-meta', t('map.approx')) : null,
    incidentWarnings(inc),
  ]);
}

/**
 * What an incident marker's icon depends on, to tell when to rebuild it.
 * @param {any} inc
 * @returns {string}
 */
function incidentLook(inc) {
  return `${levelOf(inc)}|${inc.drill === true}|${inc.location_approximate === true}|${inc.id === selectedId}`;
}

/** Z order offsets: more serious incidents on top. */
const LEVEL_Z = { I: 4000, II: 3000, III: 2000, IV: 1000, none: 0 };

/**
 * Marks an incident marker's element for tests and styling.
 * @param {{inc: any, marker: any}} e
 */
function tagMarker(e) {
  const node = e.marker.getElement();
  if (!node) return;
  node.dataset.incidentId = e.inc.id;
  node.dataset.level = levelOf(e.inc);
  node.setAttribute('aria-hidden', 'true');
}

/**
 * Makes the incident markers follow the open incidents: new ones added,
 * moved ones moved, a changed level restyled, closed ones removed.
 * @param {any[]} list the open incidents
 */
export function renderIncidentMarkers(list) {
  if (!map) return;
  const seen = new Set();
  for (const inc of list) {
    const ll = incidentLatLng(inc);
    if (!ll) continue;
    seen.add(inc.id);
    const level = levelOf(inc);
    const look = incidentLook(inc);
    let e = incidents.get(inc.id);
    if (!e) {
      const entry = { inc, marker: null, look };
      entry.marker = L.marker(ll, {
        icon: incidentIcon(inc),
        keyboard: false,
        riseOnHover: true,
        zIndexOffset: LEVEL_Z[level],
      });
      entry.marker.bindTooltip(() => incidentTooltip(entry.inc), { className: 'tip', direction: 'top', opacity: 1 });
      entry.marker.on('add', () => tagMarker(entry));
      incidents.set(inc.id, entry);
      incidentLayer.addLayer(entry.marker);
      continue;
    }
    e.inc = inc;
    const at = e.marker.getLatLng();
    if (at.lat !== ll[0] || at.lng !== ll[1]) e.marker.setLatLng(ll);
    if (look !== e.look) {
      e.look = look;
      e.marker.setIcon(incidentIcon(inc));
      e.marker.setZIndexOffset(LEVEL_Z[level]);
      tagMarker(e);
    }
    if (e.marker.isTooltipOpen()) e.marker.getTooltip().update();
  }
  for (const [id, e] of incidents) {
    if (seen.has(id)) continue;
    incidentLayer.removeLayer(e.marker);
    incidents.delete(id);
    if (selectedId === id) selectedId = null;
  }
  countIncidents();
}

/**
 * Sets the active orders whose units get a line to their incident.
 * @param {any[]} list active orders ({unit_id, incident_id, status})
 */
export function setOrderLines(list) {
  orderPairs = [];
  for (const d of list || []) {
    if (d && typeof d.unit_id === 'string' && typeof d.incident_id === 'string') {
      orderPairs.push({ unit: d.unit_id, incident: d.incident_id, status: String(d.status ?? '') });
    }
  }
  drawOrderLines();
}

/** Draws the order lines again soon (units move several times a second). */
function orderLinesSoon() {
  if (orderLinesTimer !== undefined || orderPairs.length === 0) return;
  orderLinesTimer = setTimeout(() => {
    orderLinesTimer = undefined;
    drawOrderLines();
  }, 500);
}

/** Draws a dashed line from each unit with an order to its incident. */
function drawOrderLines() {
  if (!map || !orderLayer || !units) return;
  orderLayer.clearLayers();
  let n = 0;
  for (const p of orderPairs) {
    const e = units.units.get(p.unit);
    const inc = incidents.get(p.incident);
    if (!e || !e.fix || !inc) continue;
    const to = inc.marker.getLatLng();
    orderLayer.addLayer(L.polyline([[e.fix.lat, e.fix.lon], [to.lat, to.lng]], {
      color: p.status === 'offered' ? '#ffe082' : '#80deea',
      weight: 2,
      opacity: 0.85,
      dashArray: p.status === 'on_scene' ? null : '6 6',
      interactive: false,
    }));
    n += 1;
  }
  container().dataset.orderLines = String(n);
}

/**
 * Pans the map to an incident and highlights its marker for a while.
 * @param {string} id
 * @returns {boolean} false when the incident has no marker
 */
export function focusIncident(id) {
  const e = incidents.get(id);
  if (!map || !e) return false;
  map.setView(e.marker.getLatLng(), Math.max(map.getZoom(), FOCUS_ZOOM), { animate: true });
  select(id);
  e.marker.openTooltip();
  clearTimeout(selectTimer);
  selectTimer = setTimeout(() => {
    select(null);
    const cur = incidents.get(id);
    if (cur) cur.marker.closeTooltip();
  }, SELECT_MS);
  return true;
}

/**
 * Highlights one incident marker (or none).
 * @param {string|null} id
 */
function select(id) {
  const prev = selectedId;
  selectedId = id;
  for (const key of [prev, id]) {
    const e = key ? incidents.get(key) : undefined;
    if (!e) continue;
    e.look = incidentLook(e.inc);
    e.marker.setIcon(incidentIcon(e.inc));
    tagMarker(e);
  }
}

/**
 * A grid case marker's icon: a small square (incidents are discs, units are
 * drawn on the canvas) in its group's colour, red when overdue, with the
 * kind's character. Built from DOM nodes; the only text is that character,
 * from the catalogue.
 * @param {any} c
 * @returns {any} an L.DivIcon
 */
function caseIcon(c) {
  const group = caseGroup(c);
  const classes = ['case-marker', `case-${group}`];
  if (c.overdue === true) classes.push('overdue');
  if (c.drill === true) classes.push('drill');
  if (c.id === selectedCase) classes.push('selected');
  const square = el('div', 'case-square', null, [el('span', 'case-glyph', caseGlyph(c.kind))]);
  return L.divIcon({ className: classes.join(' '), html: square, iconSize: [20, 20], iconAnchor: [10, 10], tooltipAnchor: [0, -11] });
}

/**
 * What a case marker's icon depends on, to tell when to rebuild it.
 * @param {any} c
 * @returns {string}
 */
function caseLook(c) {
  return `${caseGroup(c)}|${c.overdue === true}|${c.drill === true}|${c.kind}|${lang()}|${c.id === selectedCase}`;
}

/**
 * A grid case's tooltip: kind, status (and overdue), title, grid and
 * handling level.
 * @param {any} c
 * @returns {HTMLElement}
 */
function caseTooltip(c) {
  return el('div', 'tip-body case-tip', null, [
    el('div', 'tip-line', null, spaced([
      el('span', 'tip-case-kind', caseKindName(c.kind)),
      caseStatusTag(c, 'tag'),
      c.overdue === true ? el('span', 'tag case-overdue-tag', t('case.overdue')) : null,
      c.supervision ? el('span', 'tag case-supervised-tag', t('case.supervised')) : null,
      c.drill === true ? el('span', 'tag drill-tag', t('incident.drill')) : null,
    ])),
    el('strong', 'tip-title', typeof c.title === 'string' ? c.title : String(c.id ?? '')),
    el('div', 'tip-meta', [caseGridName(c), caseLevelName(c.handling_level), String(c.id ?? '')].filter(Boolean).join(t('unit.sep'))),
  ]);
}

/**
 * Marks a case marker's element for tests and styling.
 * @param {{c: any, marker: any}} e
 */
function tagCaseMarker(e) {
  const node = e.marker.getElement();
  if (!node) return;
  node.dataset.caseId = e.c.id;
  node.dataset.status = String(e.c.status ?? '');
  node.dataset.group = caseGroup(e.c);
  node.dataset.overdue = String(e.c.overdue === true);
  node.setAttribute('aria-hidden', 'true');
}

/**
 * Makes the case markers follow the open grid cases: new ones added, changed
 * ones restyled, those no longer in the list (closed, evaluated, rejected)
 * removed.
 * @param {any[]} list the open cases
 */
export function renderCaseMarkers(list) {
  if (!map) return;
  const seen = new Set();
  for (const c of list) {
    if (!c || typeof c.id !== 'string' || caseGroup(c) === 'done') continue;
    const l = c.location;
    if (!l || !isLonLat(l.lon, l.lat)) continue;
    const ll = [l.lat, l.lon];
    seen.add(c.id);
    const look = caseLook(c);
    const z = c.overdue === true ? -500 : -1000; // under the incidents
    const e = caseMarkers.get(c.id);
    if (!e) {
      const entry = { c, marker: null, look };
      entry.marker = L.marker(ll, { icon: caseIcon(c), keyboard: false, riseOnHover: true, zIndexOffset: z });
      entry.marker.bindTooltip(() => caseTooltip(entry.c), { className: 'tip', direction: 'top', opacity: 1 });
      entry.marker.on('add', () => tagCaseMarker(entry));
      caseMarkers.set(c.id, entry);
      caseLayer.addLayer(entry.marker);
      continue;
    }
    e.c = c;
    const at = e.marker.getLatLng();
    if (at.lat !== ll[0] || at.lng !== ll[1]) e.marker.setLatLng(ll);
    if (look !== e.look) {
      e.look = look;
      e.marker.setIcon(caseIcon(c));
      e.marker.setZIndexOffset(z);
    }
    tagCaseMarker(e);
    if (e.marker.isTooltipOpen()) e.marker.getTooltip().update();
  }
  for (const [id, e] of caseMarkers) {
    if (seen.has(id)) continue;
    caseLayer.removeLayer(e.marker);
    caseMarkers.delete(id);
    if (selectedCase === id) selectedCase = null;
  }
  countCases();
}

/**
 * Pans the map to a grid case and highlights its marker for a while.
 * @param {string} id
 * @returns {boolean} false when the case has no marker
 */
export function focusCase(id) {
  const e = caseMarkers.get(id);
  if (!map || !e) return false;
  map.setView(e.marker.getLatLng(), Math.max(map.getZoom(), FOCUS_ZOOM), { animate: true });
  selectCase(id);
  e.marker.openTooltip();
  clearTimeout(caseSelectTimer);
  caseSelectTimer = setTimeout(() => {
    selectCase(null);
    const cur = caseMarkers.get(id);
    if (cur) cur.marker.closeTooltip();
  }, SELECT_MS);
  return true;
}

/**
 * Highlights one case marker (or none).
 * @param {string|null} id
 */
function selectCase(id) {
  const prev = selectedCase;
  selectedCase = id;
  for (const key of [prev, id]) {
    const e = key ? caseMarkers.get(key) : undefined;
    if (!e) continue;
    e.look = caseLook(e.c);
    e.marker.setIcon(caseIcon(e.c));
    tagCaseMarker(e);
  }
}

/** Re-renders everything on the map that has words, in the current language. */
export function relabelMap() {
  const n = byId('map-note');
  if (n.dataset.key) n.textContent = t(n.dataset.key);
  if (!map) return;
  container().setAttribute('aria-label', t('map.label'));
  addControls();
  for (const layer of gridLayers) {
    const tip = layer.getTooltip();
    if (tip && layer.isTooltipOpen()) tip.update();
  }
  for (const layer of zoneLayers) {
    const tip = layer.getTooltip();
    if (tip && layer.isTooltipOpen()) tip.update();
  }
  for (const e of incidents.values()) {
    if (e.marker.isTooltipOpen()) e.marker.getTooltip().update();
  }
  renderCaseMarkers([...caseMarkers.values()].map((e) => e.c)); // the kind's character
  if (units) units.relabel();
  countUnits();
}

/**
 * Forgets everything the map drew from the server (on sign-out): units,
 * incidents and the base layers, which are loaded again at the next
 * sign-in. The Leaflet map itself stays.
 */
export function resetMap() {
  generation += 1;
  clearTimeout(selectTimer);
  clearTimeout(caseSelectTimer);
  clearTimeout(unitRefreshTimer);
  unitRefreshTimer = undefined;
  clearTimeout(retryTimer);
  retryTimer = undefined;
  selectedId = null;
  selectedCase = null;
  baseLoad = null;
  clearTimeout(orderLinesTimer);
  orderLinesTimer = undefined;
  orderPairs = [];
  if (!map) return;
  if (units) units.clear();
  orderLayer.clearLayers();
  incidentLayer.clearLayers();
  incidents.clear();
  caseLayer.clearLayers();
  caseMarkers.clear();
  for (const layer of [...gridLayers, ...zoneLayers]) layer.remove();
  gridLayers = [];
  gridFeatures.clear();
  districtLayers = [];
  zoneLayers = [];
  if (tileLayer) tileLayer.remove();
  tileLayer = null;
  viewSet = false;
  setBase('idle');
  const box = container();
  box.dataset.tiles = 'off';
  box.classList.remove('has-tiles');
  delete box.dataset.grids;
  delete box.dataset.zones;
  countIncidents();
  countCases();
  note(null);
}

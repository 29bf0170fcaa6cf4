// The warnings' areas on the wall's map (issue 20): each active warning's
// area shaded in its colour (fill at 0.18, a dashed outline) in a pane of
// its own above the grids and below the incident and unit markers. Streets
// and communities are the grids' features the map already loaded, a
// polygon comes with the warning, the city is its districts.
//
// Hooks for tests on #map: data-warnings (the ids shaded, comma-separated,
// most severe first); each shape is an SVG path.warn-area with
// data-warning-id and data-colour.

import { COLOUR_HEX } from './warnings.js';
import { mapContext } from './map.js';

const FILL_OPACITY = 0.18;

/** @type {Map<string, {layer: any, look: string}>} drawn warnings by id */
const drawn = new Map();
/** @type {any} the SVG renderer of the warnings' pane */
let renderer = null;
/** @type {any} the map the renderer belongs to */
let rendererMap = null;

/**
 * The GeoJSON geometries of a warning's area.
 * @param {any} w
 * @param {Map<string, any>} features the grids by code
 * @returns {any[]}
 */
function geometries(w, features) {
  const a = w.area || {};
  if (a.kind === 'polygon' && Array.isArray(a.polygon)) return [{ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: a.polygon } }];
  if (a.kind === 'city') return [...features.values()].filter((f) => f.properties && f.properties.level === 'district');
  const codes = Array.isArray(a.codes) ? a.codes : [];
  return codes.map((/** @type {string} */ c) => features.get(c)).filter(Boolean);
}

/**
 * The pane and renderer the shading is drawn with, made once per map.
 * @param {any} L
 * @param {any} map
 * @returns {any}
 */
function paneRenderer(L, map) {
  if (renderer && rendererMap === map) return renderer;
  if (!map.getPane('warnings')) {
    const pane = map.createPane('warnings');
    pane.style.zIndex = '450'; // over the grids' canvas (400), under markers (600)
    pane.style.pointerEvents = 'none';
  }
  renderer = L.svg({ pane: 'warnings', padding: 0.5 });
  rendererMap = map;
  return renderer;
}

/**
 * Draws the given active warnings' areas and removes the others'.
 * @param {any[]} warnings active warnings, most severe first
 */
export function renderShading(warnings) {
  const ctx = mapContext();
  if (!ctx) return;
  const { L, map, features } = ctx;
  const r = paneRenderer(L, map);
  const keep = new Set();
  // The least severe drawn first, so the most severe lies on top.
  for (const w of [...warnings].reverse()) {
    const geo = geometries(w, features);
    if (!geo.length) continue;
    const look = `${w.version}|${w.colour}|${geo.length}`;
    keep.add(w.id);
    const had = drawn.get(w.id);
    if (had && had.look === look) {
      had.layer.bringToFront();
      continue;
    }
    if (had) had.layer.remove();
    const hex = COLOUR_HEX[/** @type {'red'} */ (w.colour)] ?? '#90a4ae';
    const layer = L.geoJSON({ type: 'FeatureCollection', features: geo }, {
      pane: 'warnings',
      interactive: false,
      style: () => ({
        renderer: r, pane: 'warnings', interactive: false, color: hex, weight: 3, opacity: 0.95, dashArray: '10 7',
        fill: true, fillColor: hex, fillOpacity: FILL_OPACITY, className: 'warn-area',
      }),
    }).addTo(map);
    layer.eachLayer((/** @type {any} */ l) => {
      const node = l.getElement && l.getElement();
      if (node) {
        node.setAttribute('data-warning-id', String(w.id));
        node.setAttribute('data-colour', String(w.colour));
      }
    });
    drawn.set(w.id, { layer, look });
  }
  for (const [id, e] of drawn) {
    if (!keep.has(id)) {
      e.layer.remove();
      drawn.delete(id);
    }
  }
  map.getContainer().dataset.warnings = warnings.filter((w) => drawn.has(w.id)).map((w) => w.id).join(',');
}

/** Removes all shading (sign-out). */
export function clearShading() {
  for (const e of drawn.values()) e.layer.remove();
  drawn.clear();
  const ctx = mapContext();
  if (ctx) ctx.map.getContainer().dataset.warnings = '';
}

// The screen's day strip: today's bulletin since local midnight (三通报:
// calls and dispatches, incidents, alarms) and the units by status. The
// bulletin is read from the server (counters kept as things happen); the
// unit counts follow the live unit statuses.

import * as api from './api.js';
import { byId } from './dom.js';
import { UNIT_STATUSES } from './units.js';
import { renderCharts } from './wallcharts.js';

/** @type {Map<string, string>} unit id → status */
const statuses = new Map();
let bulletin = null;
let timer;
let pending;

/** Replaces the unit statuses from a snapshot's units. */
export function dayUnits(list) {
  statuses.clear();
  for (const u of list || []) statuses.set(u.id, u.status);
  renderDay();
}

/** Applies statuses from a frame's units or a unit.status event. */
export function dayUnitStatus(data) {
  if (!data) return;
  if (Array.isArray(data)) {
    for (const u of data) if (u && u.id && u.status) statuses.set(u.id, u.status);
  } else if (data.unit_id) {
    statuses.set(data.unit_id, data.status);
  }
  renderDay();
}

/** Reads today's bulletin now, and every minute after. */
export function startDay() {
  stopDay();
  refresh();
  timer = setInterval(refresh, 60000);
}

/** Stops reading the bulletin. */
export function stopDay() {
  clearInterval(timer);
  clearTimeout(pending);
  timer = undefined;
  bulletin = null;
}

/** Reads the bulletin again soon (after a new incident or alarm). */
export function dayChanged() {
  clearTimeout(pending);
  pending = setTimeout(refresh, 1500);
}

async function refresh() {
  try {
    bulletin = await api.request('GET', '/api/v1/bulletins/daily');
  } catch {
    // keep the last figures; the link state says whether the page is live
  }
  renderDay();
  renderCharts(bulletin);
}

function set(id, text) {
  const el = byId(id);
  if (el) el.textContent = String(text);
}

/** Renders the strip in the current language. */
export function renderDay() {
  const b = bulletin;
  set('day-calls', b ? b.calls.total : '—');
  set('day-dispatches', b ? b.calls.dispatches : '—');
  set('day-incidents', b ? b.incidents.total : '—');
  set('day-alarms', b ? b.alarms.raised : '—');
  const counts = Object.fromEntries(UNIT_STATUSES.map((s) => [s, 0]));
  for (const s of statuses.values()) if (s in counts) counts[s]++;
  for (const s of UNIT_STATUSES) set('units-' + s, counts[s]);
  const strip = byId('day-strip');
  if (strip) strip.dataset.ready = b ? '1' : '0';
}

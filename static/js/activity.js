// The activity feed: units entering or leaving their home grid and key
// zones (unit.entered / unit.left) and reporting deadlines falling due or
// missed (deadline.due / deadline.overdue), newest first, the last few
// only. The events are kept as received and re-rendered on a language
// change; their text is only ever set through DOM nodes.

import { deadlineName } from './deadlines.js';
import { byId, el, show } from './dom.js';
import { hhmm, hhmmss, parseTime } from './format.js';
import { lang, t, tNodes } from './i18n.js';

/** How many events the feed keeps. */
export const ACTIVITY_MAX = 20;

/** @type {Array<{type: string, data: any, at?: string}>} newest first */
let events = [];

/** @type {(id: string) => string|undefined} */
let callsignOf = () => undefined;

/**
 * Sets where the feed looks up a unit's callsign when an event lacks one.
 * @param {(id: string) => string|undefined} fn
 */
export function setCallsignLookup(fn) {
  callsignOf = fn;
}

/**
 * Adds a unit.entered, unit.left, deadline.due or deadline.overdue message
 * to the top of the feed and re-renders it; anything else is ignored.
 * @param {any} msg {type, at, data}: for units {unit_id, callsign, kind,
 *   code, name, name_en, zone_kind, at}; for deadlines {incident_id, title,
 *   level, deadline}
 */
export function addActivity(msg) {
  if (!msg || typeof msg.type !== 'string') return;
  const d = msg.data;
  if (!d || typeof d !== 'object') return;
  if (msg.type === 'unit.entered' || msg.type === 'unit.left') {
    if (typeof d.unit_id !== 'string') return;
  } else if (msg.type === 'deadline.due' || msg.type === 'deadline.overdue') {
    if (typeof d.incident_id !== 'string' || !d.deadline || typeof d.deadline !== 'object') return;
  } else {
    return;
  }
  events.unshift({ type: msg.type, data: d, at: typeof msg.at === 'string' ? msg.at : undefined });
  if (events.length > ACTIVITY_MAX) events.length = ACTIVITY_MAX;
  renderActivity();
}

/** Empties the feed (on sign-out). */
export function clearActivity() {
  events = [];
  renderActivity();
}

/**
 * A string field of an event, or ''.
 * @param {any} d
 * @param {string} key
 * @returns {string}
 */
function str(d, key) {
  return typeof d[key] === 'string' ? d[key] : '';
}

/**
 * Which kind of place an event is about: home_grid, sensitive, school or zone.
 * @param {any} d
 * @returns {string}
 */
function where(d) {
  if (d.kind === 'home_grid') return 'home_grid';
  const zk = str(d, 'zone_kind');
  return zk === 'sensitive' || zk === 'school' ? zk : 'zone';
}

/**
 * One deadline item: the time, then "<title>: report to the higher level
 * due at 21:30" or "… overdue".
 * @param {{type: string, data: any, at?: string}} ev
 * @returns {HTMLLIElement}
 */
function deadlineItem(ev) {
  const d = ev.data;
  const overdue = ev.type === 'deadline.overdue';
  const li = /** @type {HTMLLIElement} */ (el('li', `activity-item deadline-event ${overdue ? 'overdue' : 'due'}`));
  li.dataset.type = ev.type;
  li.dataset.incidentId = d.incident_id;
  li.dataset.kind = String(d.deadline.kind ?? '');
  const at = parseTime(ev.at) ?? parseTime(overdue ? d.deadline.overdue_at : d.deadline.warned_at);
  if (at) {
    const time = el('time', 'activity-time', hhmmss(at));
    time.setAttribute('datetime', at.toISOString());
    li.append(time, document.createTextNode(' '));
  }
  const due = parseTime(d.deadline.due_at);
  li.append(el('span', 'activity-text', null, tNodes(overdue ? 'activity.deadline.overdue' : 'activity.deadline.due', {
    title: el('strong', 'activity-incident', str(d, 'title') || d.incident_id),
    kind: el('span', 'activity-deadline', deadlineName(d.deadline.kind)),
    time: due ? hhmm(due) : '',
  })));
  return li;
}

/**
 * One feed item: the time, then "<callsign> left home grid <name>".
 * @param {{type: string, data: any}} ev
 * @returns {HTMLLIElement}
 */
function activityItem(ev) {
  if (ev.type === 'deadline.due' || ev.type === 'deadline.overdue') return deadlineItem(ev);
  const d = ev.data;
  const entered = ev.type === 'unit.entered';
  const w = where(d);
  const li = /** @type {HTMLLIElement} */ (el('li', `activity-item ${entered ? 'entered' : 'left'} where-${w}`));
  li.dataset.unitId = d.unit_id;
  li.dataset.type = ev.type;
  const place = (lang() === 'en' ? str(d, 'name_en') || str(d, 'name') : str(d, 'name') || str(d, 'name_en')) || str(d, 'code');
  const callsign = str(d, 'callsign') || callsignOf(d.unit_id) || d.unit_id;
  const at = parseTime(d.at);
  if (at) {
    const time = el('time', 'activity-time', hhmmss(at));
    time.setAttribute('datetime', at.toISOString());
    li.append(time, document.createTextNode(' '));
  }
  li.append(el('span', 'activity-text', null, tNodes(entered ? 'activity.entered' : 'activity.left', {
    unit: el('strong', 'activity-unit', callsign),
    where: el('span', 'activity-where', t(`activity.where.${w}`)),
    place: el('strong', 'activity-place', place),
  })));
  return li;
}

/** Renders the feed in the current language. */
export function renderActivity() {
  byId('activity').replaceChildren(...events.map(activityItem));
  show(byId('activity-empty'), events.length === 0);
}

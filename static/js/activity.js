// The activity feed: units entering or leaving their home grid and key
// zones (unit.entered / unit.left), summarised per place per minute ("湖贝
// 第3网格：4 个单位进出"), dispatch steps (acknowledged, en route, on scene,
// cleared) and reporting deadlines falling due or missed (deadline.due /
// deadline.overdue), newest first, the last few only. The events are kept as received and re-rendered on a language
// change; their text is only ever set through DOM nodes.

import { deadlineName } from './deadlines.js';
import { byId, el, show, replaceLive } from './dom.js';
import { hhmm, hhmmss, parseTime } from './format.js';
import { orderStatusName } from './incidentview.js';
import { lang, t, tNodes } from './i18n.js';
import { serverDate } from './clock.js';

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

/** Dispatch statuses that are steps worth a line in the feed. */
export const STEPS = ['acked', 'en_route', 'on_scene', 'cleared'];

/** @type {(id: string) => string|undefined} */
let incidentTitleOf = () => undefined;

/**
 * Sets how an incident's title is found (the screen's open incidents).
 * @param {(id: string) => string|undefined} fn
 */
export function setActivityIncidentLookup(fn) {
  incidentTitleOf = fn;
}

/**
 * The minute (epoch ms, floored) of a time, or of now.
 * @param {unknown} at
 * @returns {number}
 */
function minuteOf(at) {
  const d = parseTime(at) ?? serverDate();
  return Math.floor(d.getTime() / 60000) * 60000;
}

/**
 * Adds one stream event to the feed. Grid and zone enter/leave events fold
 * into one line per place per minute with the number of moves; a dispatch
 * update is a line when it is one of the STEPS (each step once).
 * @param {any} msg {type, at, data}
 */
export function addActivity(msg) {
  if (!msg || typeof msg.type !== 'string') return;
  const d = msg.data;
  if (!d || typeof d !== 'object') return;
  const at = typeof msg.at === 'string' ? msg.at : undefined;
  if (msg.type === 'unit.entered' || msg.type === 'unit.left') {
    if (typeof d.unit_id !== 'string') return;
    const place = str(d, 'code') || str(d, 'name');
    const minute = minuteOf(d.at ?? at);
    const key = `${place}|${minute}`;
    const same = events.find((e) => e.type === 'moves' && e.key === key);
    if (same) {
      same.count += 1;
      same.units.add(d.unit_id);
      same.last = msg.type;
      same.data = d;
    } else {
      events.unshift({ type: 'moves', key, minute, count: 1, units: new Set([d.unit_id]), last: msg.type, data: d });
    }
  } else if (msg.type === 'deadline.due' || msg.type === 'deadline.overdue') {
    if (typeof d.incident_id !== 'string' || !d.deadline || typeof d.deadline !== 'object') return;
    events.unshift({ type: msg.type, data: d, at });
  } else if (msg.type === 'dispatch.updated' || msg.type === 'dispatch.created') {
    // data is {dispatch_id, dispatch: order}
    const o = d.dispatch && typeof d.dispatch === 'object' ? d.dispatch : null;
    if (!o) return;
    const status = str(o, 'status');
    if (!STEPS.includes(status)) return;
    const key = `${str(o, 'id') || str(d, 'dispatch_id')}|${status}`;
    if (events.some((e) => e.type === 'step' && e.key === key)) return;
    events.unshift({ type: 'step', key, data: o, at });
  } else {
    return;
  }
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
 * A time element for the start of a line.
 * @param {Date|null} at
 * @param {(d: Date) => string} fmt
 * @returns {Node[]}
 */
function timeNodes(at, fmt) {
  if (!at) return [];
  const time = el('time', 'activity-time', fmt(at));
  time.setAttribute('datetime', at.toISOString());
  return [time, document.createTextNode(' ')];
}

/**
 * One place's moves in one minute; a single move reads as before ("车01 进入
 * 责任网格 …").
 * @param {any} ev
 * @returns {HTMLLIElement}
 */
function movesItem(ev) {
  if (ev.count === 1) return moveItem({ type: ev.last, data: ev.data });
  const d = ev.data;
  const li = /** @type {HTMLLIElement} */ (el('li', `activity-item moves where-${where(d)}`));
  li.dataset.type = 'moves';
  li.dataset.place = str(d, 'code');
  li.dataset.count = String(ev.count);
  const place = (lang() === 'en' ? str(d, 'name_en') || str(d, 'name') : str(d, 'name') || str(d, 'name_en')) || str(d, 'code');
  const start = new Date(ev.minute);
  li.append(...timeNodes(start, hhmm), el('span', 'activity-text', null, tNodes('wall.activity.grid', {
    grid: el('strong', 'activity-place', place),
    n: el('strong', 'activity-count', String(ev.count)),
    time: `${hhmm(start)}–${hhmm(new Date(ev.minute + 60000))}`,
  })));
  li.title = [...ev.units].map((id) => callsignOf(id) || id).join(' ');
  return li;
}

/**
 * A dispatch step: "车01 现场处置：东门聚集".
 * @param {any} ev
 * @returns {HTMLLIElement}
 */
function stepItem(ev) {
  const d = ev.data;
  const status = str(d, 'status');
  const li = /** @type {HTMLLIElement} */ (el('li', `activity-item step step-${status}`));
  li.dataset.type = 'step';
  li.dataset.status = status;
  li.dataset.dispatchId = str(d, 'id');
  const at = parseTime(d.updated_at) ?? parseTime(ev.at);
  const unit = str(d, 'callsign') || callsignOf(str(d, 'unit_id')) || str(d, 'unit_id');
  const title = str(d, 'incident_title') || incidentTitleOf(str(d, 'incident_id')) || '';
  li.append(...timeNodes(at, hhmmss), el('span', 'activity-text', null, tNodes('wall.activity.step', {
    unit: el('strong', 'activity-unit', unit),
    step: el('span', 'activity-step', orderStatusName(status)),
    title: el('span', 'activity-incident', title),
  })));
  return li;
}

/**
 * One line of the feed.
 * @param {any} ev
 * @returns {HTMLLIElement}
 */
function activityItem(ev) {
  if (ev.type === 'moves') return movesItem(ev);
  if (ev.type === 'step') return stepItem(ev);
  return moveItem(ev);
}

/**
 * One unit entering or leaving a place ("<callsign> left home grid
 * <name>"), or a deadline line.
 * @param {any} ev
 * @returns {HTMLLIElement}
 */
function moveItem(ev) {
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
  replaceLive(byId('activity'), () => events.map(activityItem));
  show(byId('activity-empty'), events.length === 0);
}

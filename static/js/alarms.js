// The wall screen's alarm panel: open alarms (snapshot data.alarms, then
// alarm.raised / alarm.acked) in red with a flashing border until someone
// acknowledges them. Operators, leaders, deputies and admins get an
// acknowledge button (an account limited to an area, none on an alarm of
// no area: the server refuses it); the alarm leaves every screen when
// alarm.acked arrives. Alarm text is only ever set through DOM nodes.
//
// On the wall they collapse into a strip of kinds with counts (newest kind
// first); the full list folds out on demand, repeated alarms of one kind for
// one incident merged into one row with a count.
//
// Hooks for tests: #alarm-panel (always there, data-count, data-open,
// data-area once the account's area is known),
// #alarm-groups > li.alarm-group[data-kind][data-count],
// #alarms > li.alarm[data-alarm-id][data-kind][data-level][data-count] (a
// case.overdue or supervision.overdue one also has data-case-id), button.alarm-ack (data-alarm-id:
// the merged ids, space-separated), .alarm-error, .alarm-approver (the
// leader on duty named by the alarm).

import * as api from './api.js';
import { caseStepName, nextStep } from './caseview.js';
import { deadlineName } from './deadlines.js';
import { byId, el, show, spaced, replaceLive } from './dom.js';
import { hhmm, hhmmss, mmdd, parseTime } from './format.js';
import { t } from './i18n.js';
import { badge } from './incidentview.js';
import { categoryName } from './refdata.js';
import { getRole } from './session.js';
import { beep } from './sound.js';

/** Roles that may acknowledge an alarm. */
export const ACK_ROLES = ['operator', 'leader', 'deputy', 'admin'];

/** @type {Map<string, any>} open alarms by id */
let alarms = new Map();
/** @type {Map<string, string>} a failed acknowledgement's message key, by alarm id */
const errors = new Map();
/** @type {Set<string>} alarms being acknowledged */
const busy = new Set();

/** @type {(id: string) => string|undefined} */
let incidentTitle = () => undefined;

/**
 * Sets where the panel looks up an incident's title (for alarms about an
 * order, whose own title is the unit's callsign).
 * @param {(id: string) => string|undefined} fn
 */
export function setIncidentLookup(fn) {
  incidentTitle = fn;
}

/** The signed-in account's area ('' for the whole city). */
let accountArea = '';

/**
 * Sets the signed-in account's area: an account limited to an area may not
 * acknowledge an alarm of no area (the city's), so it gets no button there.
 * @param {string} area
 */
export function setAccountArea(area) {
  accountArea = area;
  byId('alarm-panel').dataset.area = area;
  renderAlarms();
}

/**
 * Reports whether the signed-in role may acknowledge alarms.
 * @returns {boolean}
 */
export function canAck() {
  return ACK_ROLES.includes(getRole());
}

/**
 * Reports whether the signed-in account may acknowledge every alarm of a
 * row: its role may, and each alarm has an area when the account has one
 * (the alarms it is shown are of its area and below, or of no area).
 * @param {any[]} group
 * @returns {boolean}
 */
function mayAck(group) {
  return canAck() && (!accountArea || group.every((a) => typeof a.area === 'string' && a.area !== ''));
}

/**
 * Replaces the open alarms with a snapshot's list.
 * @param {any} list the snapshot's data.alarms
 */
export function replaceAlarms(list) {
  if (!Array.isArray(list)) return;
  const m = new Map();
  for (const a of list) {
    if (a && typeof a.id === 'string' && !a.acked_at) m.set(a.id, a);
  }
  alarms = m;
  for (const id of [...errors.keys()]) if (!m.has(id)) errors.delete(id);
  renderAlarms();
}

/**
 * Applies alarm.raised (a new or raised-again alarm: beeps when the sound
 * is on) or alarm.acked (the alarm leaves the panel).
 * @param {any} msg
 */
export function applyAlarm(msg) {
  const a = msg && msg.data;
  if (!a || typeof a.id !== 'string') return;
  if (msg.type === 'alarm.raised' && !a.acked_at) {
    const fresh = !alarms.has(a.id);
    alarms.set(a.id, a);
    errors.delete(a.id);
    if (fresh) beep();
  } else if (msg.type === 'alarm.acked' || a.acked_at) {
    alarms.delete(a.id);
    errors.delete(a.id);
    busy.delete(a.id);
  }
  renderAlarms();
}

/** Forgets every alarm (on sign-out). */
export function clearAlarms() {
  alarms = new Map();
  accountArea = '';
  delete byId('alarm-panel').dataset.area;
  errors.clear();
  busy.clear();
  renderAlarms();
}

/**
 * Reports whether any alarm is open.
 * @returns {boolean}
 */
export function alarmsOpen() {
  return alarms.size > 0;
}

/**
 * Sends the acknowledgement of one alarm. On success (or when someone else
 * was quicker) the alarm leaves the panel at once.
 * @param {string} id
 */
async function acknowledge(id) {
  if (busy.has(id)) return;
  busy.add(id);
  errors.delete(id);
  renderAlarms();
  try {
    await api.ackAlarm(id);
    alarms.delete(id);
  } catch (err) {
    if (err instanceof api.ApiError && err.status === 409) {
      alarms.delete(id); // already acknowledged elsewhere
    } else if (err instanceof api.ApiError && err.status === 403) {
      errors.set(id, 'alarm.error.forbidden');
    } else if (err instanceof api.ApiError && err.status === 404) {
      // Kept: it is still open as far as the stream says.
      errors.set(id, 'alarm.error.notFound');
    } else if (err instanceof api.ApiError) {
      errors.set(id, 'alarm.error.other');
    } else {
      errors.set(id, 'alarm.error.network');
    }
  } finally {
    busy.delete(id);
    renderAlarms();
  }
}

/**
 * The parts of an alarm id after its kind: case.overdue:C-…:dispatched is
 * about case C-… waiting in status dispatched; daily_report.missing:
 * <area>:<date> about an area's report of a date.
 * @param {any} a
 * @returns {string[]}
 */
function idParts(a) {
  const id = typeof a.id === 'string' ? a.id : '';
  const kind = typeof a.kind === 'string' ? a.kind : '';
  return id.startsWith(`${kind}:`) ? id.slice(kind.length + 1).split(':') : [];
}

/**
 * A 督办 date as a supervision.overdue alarm's id carries it
 * (20261204T110000Z), as MM-DD HH:mm in the configured zone.
 * @param {string|undefined} stamp
 * @returns {string}
 */
function stampText(stamp) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp ?? '');
  if (!m) return stamp ?? '';
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return `${mmdd(d)} ${hhmm(d)}`;
}

/**
 * What an alarm is about, in words, as DOM nodes.
 * @param {any} a
 * @returns {HTMLElement}
 */
function alarmText(a) {
  const title = typeof a.title === 'string' ? a.title : '';
  const incTitle = (a.incident_id && incidentTitle(a.incident_id)) || '';
  switch (a.kind) {
    case 'incident.serious':
      return el('div', 'alarm-text', null, spaced([
        el('strong', 'alarm-title', title || incTitle),
        a.detail ? el('span', 'alarm-detail', categoryName(a.detail)) : null,
      ]));
    case 'dispatch.expired':
      return el('div', 'alarm-text', null, spaced([
        el('strong', 'alarm-unit', title || String(a.unit_id ?? '')),
        el('span', 'alarm-detail', t('alarm.expired.text')),
        incTitle ? el('span', 'alarm-incident', incTitle) : null,
      ]));
    case 'deadline.overdue':
      return el('div', 'alarm-text', null, spaced([
        el('strong', 'alarm-title', title || incTitle),
        el('span', 'alarm-detail', t('alarm.deadline.text', { kind: deadlineName(a.detail) })),
      ]));
    case 'case.overdue': {
      const [caseId, status] = idParts(a);
      const step = nextStep(status);
      return el('div', 'alarm-text', null, spaced([
        el('strong', 'alarm-title', title || caseId || ''),
        step ? el('span', 'alarm-detail', t('alarm.case.text', { step: caseStepName(step) })) : null,
        caseId ? el('span', 'alarm-case-id', caseId) : null,
      ]));
    }
    case 'supervision.overdue': {
      const [caseId, stamp] = idParts(a);
      return el('div', 'alarm-text', null, spaced([
        el('strong', 'alarm-title', title || caseId || ''),
        el('span', 'alarm-detail', t('alarm.supervision.text', { date: stampText(stamp) })),
        caseId ? el('span', 'alarm-case-id', caseId) : null,
      ]));
    }
    case 'order.assembly_overdue':
      return el('div', 'alarm-text', null, spaced([
        el('strong', 'alarm-unit', title || String(a.unit_id ?? '')),
        el('span', 'alarm-detail', t('alarm.assembly.text')),
        incTitle ? el('span', 'alarm-incident', incTitle) : null,
      ]));
    case 'daily_report.missing': {
      const parts = idParts(a);
      const date = parts.length > 1 ? parts[parts.length - 1] : '';
      return el('div', 'alarm-text', null, spaced([
        el('strong', 'alarm-title', title || parts[0] || ''),
        el('span', 'alarm-detail', t('alarm.daily.text', { date })),
      ]));
    }
    default:
      return el('div', 'alarm-text', null, spaced([
        el('strong', 'alarm-title', title || incTitle),
        a.detail ? el('span', 'alarm-detail', String(a.detail)) : null,
      ]));
  }
}

/**
 * An alarm kind's name in the current language.
 * @param {string} kind
 * @returns {string}
 */
export function alarmKindName(kind) {
  const key = `alarm.kind.${kind}`;
  const name = t(key);
  return name === key ? String(kind ?? '') : name;
}

/**
 * One alarm in the panel.
 * @param {any} a
 * @param {boolean} ackable
 * @param {any[]} [group] the alarms merged into this row, newest first
 * @returns {HTMLLIElement}
 */
function alarmItem(a, ackable, group = [a]) {
  const li = /** @type {HTMLLIElement} */ (el('li', 'alarm'));
  li.dataset.alarmId = a.id;
  li.dataset.count = String(group.length);
  li.dataset.kind = String(a.kind ?? '');
  if (a.level) li.dataset.level = String(a.level);
  if (a.incident_id) li.dataset.incidentId = String(a.incident_id);
  if ((a.kind === 'case.overdue' || a.kind === 'supervision.overdue') && idParts(a)[0]) li.dataset.caseId = idParts(a)[0];
  const raised = parseTime(a.raised_at);
  const time = raised ? el('time', 'alarm-time', hhmmss(raised)) : null;
  if (time && raised) time.setAttribute('datetime', raised.toISOString());
  const head = el('div', 'alarm-head', null, spaced([
    el('span', 'alarm-kind', alarmKindName(a.kind)),
    a.level ? badge(a.level) : null,
    group.length > 1 ? el('span', 'alarm-merged', t('wall.alarms.merged', { n: group.length })) : null,
    time,
  ]));
  const body = el('div', 'alarm-body', null, [head, alarmText(a)]);
  // The leader on duty when it was raised, the default approver (issue 19).
  if (a.approver_name) body.append(el('p', 'alarm-approver', t('alarm.approver', { name: String(a.approver_name) })));
  const err = errors.get(a.id);
  if (err) body.append(el('p', 'alarm-error', t(err)));
  li.append(body);
  if (ackable) {
    const btn = /** @type {HTMLButtonElement} */ (el('button', 'btn alarm-ack', t(busy.has(a.id) ? 'alarm.acking' : 'alarm.ack')));
    btn.type = 'button';
    btn.dataset.alarmId = group.map((x) => x.id).join(' ');
    btn.disabled = group.some((x) => busy.has(x.id));
    li.append(btn);
  }
  return li;
}

/**
 * The merge key of an alarm: repeated alarms of one kind for one incident
 * (expired automatic orders, say) are shown as one row with a count.
 * @param {any} a
 * @returns {string}
 */
function mergeKey(a) {
  return a.incident_id ? `${a.kind}|${a.incident_id}` : `id|${a.id}`;
}

/**
 * The open alarms merged by kind and incident, newest first; each group
 * lists its alarms newest first.
 * @returns {any[][]}
 */
export function mergedAlarms() {
  const list = [...alarms.values()].sort((a, b) => String(b.raised_at).localeCompare(String(a.raised_at)));
  /** @type {Map<string, any[]>} */
  const groups = new Map();
  for (const a of list) {
    const k = mergeKey(a);
    const g = groups.get(k);
    if (g) g.push(a);
    else groups.set(k, [a]);
  }
  return [...groups.values()];
}

/**
 * The strip: one chip per alarm kind with its count, the kind with the
 * newest alarm first.
 * @param {any[]} list open alarms, newest first
 * @returns {HTMLElement[]}
 */
function kindChips(list) {
  /** @type {Map<string, number>} */
  const n = new Map();
  for (const a of list) n.set(String(a.kind ?? ''), (n.get(String(a.kind ?? '')) ?? 0) + 1);
  return [...n].map(([kind, k]) => {
    const li = el('li', 'alarm-group', null, [el('span', 'alarm-group-kind', alarmKindName(kind)), el('span', 'alarm-group-count', `×${k}`)]);
    li.dataset.kind = kind;
    li.dataset.count = String(k);
    return li;
  });
}

/** Shows the open alarms: the strip by kind, and the merged list in the drawer. */
export function renderAlarms() {
  const list = [...alarms.values()].sort((a, b) => String(b.raised_at).localeCompare(String(a.raised_at)));
  replaceLive(byId('alarms'), () => mergedAlarms().map((g) => alarmItem(g[0], mayAck(g), g)));
  replaceLive(byId('alarm-groups'), () => kindChips(list));
  const panel = byId('alarm-panel');
  panel.dataset.count = String(list.length);
  byId('alarm-count').textContent = list.length ? t('alarm.count', { n: list.length }) : '';
  if (list.length === 0) setDrawer(false);
  const btn = byId('alarm-expand');
  btn.textContent = t(byId('alarm-drawer').hidden ? 'wall.alarms.expand' : 'wall.alarms.collapse');
}

/**
 * Opens or closes the drawer with the full list.
 * @param {boolean} open
 */
function setDrawer(open) {
  show(byId('alarm-drawer'), open);
  byId('alarm-expand').setAttribute('aria-expanded', String(open));
  byId('alarm-panel').dataset.open = String(open);
}

/** Wires the acknowledge buttons (once). */
export function initAlarms() {
  byId('alarms').addEventListener('click', (ev) => {
    const target = ev.target instanceof Element ? ev.target : null;
    const btn = target && target.closest('button.alarm-ack');
    if (btn instanceof HTMLButtonElement && btn.dataset.alarmId && !btn.disabled) {
      for (const id of btn.dataset.alarmId.split(' ')) acknowledge(id);
    }
  });
  byId('alarm-expand').addEventListener('click', () => {
    setDrawer(byId('alarm-drawer').hidden);
    renderAlarms();
  });
}

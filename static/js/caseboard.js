// The wall screen's grid cases (网格事件) panel: three counts with short
// lists (new: status collected; overdue; supervised 挂牌督办) of the open
// cases, kept current from a fetch after each screen snapshot and the
// case.created / case.updated events, with the cases drawn on the map; and
// a note of the grids whose patrol minutes today are below target (巡查未达
// 标), fetched every five minutes. Case text is only ever set through DOM
// nodes and attributes.
//
// Hooks for tests: #cases-panel[data-state] (loading|ready|failed)
// [data-open]; #cases-count-open (the open cases, in words); #cases-count-new, #cases-count-overdue,
// #cases-count-supervised (the numbers); #cases-new, #cases-overdue,
// #cases-supervised > li.case-row[data-case-id][data-status][data-kind]
// [data-overdue]; #patrol-note[data-state] (loading|below|met|failed)
// [data-count] with the grid names in its title; map markers in map.js.

import * as api from './api.js';
import { caseDue, caseGridName, caseKindName, caseKindShort, caseOpen, caseStatusName, loadCaseKinds, OPEN_CASE_STATUSES } from './caseview.js';
import { byId, el, show, spaced, replaceLive } from './dom.js';
import { hhmm, mmdd, parseTime, sameDay } from './format.js';
import { lang, t } from './i18n.js';
import { focusCase, gridNameOf, renderCaseMarkers } from './map.js';
import { serverDate, serverNow } from './clock.js';

/** How many cases each short list shows. */
const LIST_MAX = 3;
/** How often the patrol note is fetched again. */
export const PATROL_MS = 5 * 60 * 1000;
/** After a failed fetch of the cases, try again this soon. */
const RETRY_MS = 30000;

/** @type {Map<string, any>} open cases by id */
let cases = new Map();
/** @type {'loading'|'ready'|'failed'} */
let loadState = 'loading';
/** Bumped on every load and on reset, so older answers are dropped. */
let generation = 0;
/** @type {any[]|null} events received while a load is in flight */
let buffered = null;
/** @type {ReturnType<typeof setTimeout>|undefined} */
let retryTimer;

/** @type {any} the last patrol answer */
let patrolData = null;
/** @type {'loading'|'below'|'met'|'failed'} */
let patrolState = 'loading';
/** @type {ReturnType<typeof setInterval>|undefined} */
let patrolTimer;
let patrolGen = 0;

/**
 * A case's version for ordering changes: its version, else its update time.
 * @param {any} c
 * @returns {number}
 */
function versionOf(c) {
  if (typeof c.version === 'number') return c.version;
  const ms = Date.parse(c.updated_at);
  return Number.isNaN(ms) ? 0 : ms;
}

/**
 * Applies one case as the server now shows it: an open case is kept (unless
 * an older state of it), a closed, evaluated or rejected one leaves.
 * @param {any} c
 * @returns {boolean} whether anything changed
 */
function put(c) {
  if (!c || typeof c !== 'object' || typeof c.id !== 'string') return false;
  const known = cases.get(c.id);
  if (known && versionOf(known) > versionOf(c)) return false;
  if (!caseOpen(c)) return cases.delete(c.id);
  cases.set(c.id, c);
  return true;
}

/**
 * Loads the open cases (one request per open status), replacing what the
 * screen had; events that arrive meanwhile are applied on top. Called after
 * every screen snapshot.
 * @returns {Promise<void>}
 */
export async function loadCases() {
  generation += 1;
  const gen = generation;
  clearTimeout(retryTimer);
  buffered = [];
  // The kinds' names come from the configuration (GET /api/v1/case-kinds),
  // loaded with the cases; the catalogue only stands in until they arrive.
  const [answers] = await Promise.all([
    Promise.allSettled(OPEN_CASE_STATUSES.map((status) => api.cases({ status }))),
    loadCaseKinds().catch(() => []),
  ]);
  if (gen !== generation) return;
  const events = buffered ?? [];
  buffered = null;
  if (answers.some((a) => a.status === 'rejected')) {
    // The cases shown stay as they were (with the events on top) until a
    // later load succeeds.
    for (const c of events) put(c);
    loadState = 'failed';
    retryTimer = setTimeout(() => {
      if (gen === generation) loadCases();
    }, RETRY_MS);
    renderCases();
    return;
  }
  const prev = cases;
  cases = new Map();
  for (const a of answers) {
    const list = a.status === 'fulfilled' && a.value && Array.isArray(a.value.cases) ? a.value.cases : [];
    for (const c of list) put(c);
  }
  // A change seen on the stream just before the fetch answered may be newer
  // than the answer: keep the newer state.
  for (const [id, c] of prev) {
    const now = cases.get(id);
    if (now && versionOf(c) > versionOf(now)) cases.set(id, c);
  }
  for (const c of events) put(c);
  loadState = 'ready';
  renderCases();
}

/**
 * Applies case.created or case.updated.
 * @param {any} msg
 */
export function applyCase(msg) {
  const c = msg && msg.data;
  if (!c || typeof c.id !== 'string') return;
  if (buffered) buffered.push(c);
  if (put(c)) renderCases();
}

/**
 * The open cases, each list sorted for its column.
 * @returns {{open: any[], fresh: any[], overdue: any[], supervised: any[]}}
 */
function columns() {
  const open = [...cases.values()];
  const time = (/** @type {unknown} */ s) => {
    const ms = typeof s === 'string' ? Date.parse(s) : NaN;
    return Number.isNaN(ms) ? Infinity : ms;
  };
  const fresh = open.filter((c) => c.status === 'collected').sort((a, b) => time(b.created_at) - time(a.created_at));
  const overdue = open.filter((c) => c.overdue === true).sort((a, b) => time(a.due_at) - time(b.due_at));
  const supervised = open.filter((c) => c.supervision && typeof c.supervision === 'object')
    .sort((a, b) => time(a.supervision.due_at) - time(b.supervision.due_at));
  return { open, fresh, overdue, supervised };
}

/**
 * A time as HH:mm, with MM-DD in front when not today.
 * @param {unknown} s RFC 3339
 * @returns {string}
 */
function when(s) {
  const d = parseTime(s);
  if (!d) return '';
  return sameDay(d, serverDate()) ? hhmm(d) : `${mmdd(d)} ${hhmm(d)}`;
}

/**
 * One row of a short list: the kind's short name and the title; the whole
 * story in its title attribute.
 * @param {any} c
 * @param {'new'|'overdue'|'supervised'} column
 * @returns {HTMLLIElement}
 */
function caseRow(c, column) {
  const li = /** @type {HTMLLIElement} */ (el('li', `case-row${c.overdue === true ? ' overdue' : ''}`));
  li.dataset.caseId = c.id;
  li.dataset.status = String(c.status ?? '');
  li.dataset.kind = String(c.kind ?? '');
  li.dataset.overdue = String(c.overdue === true);
  const title = typeof c.title === 'string' ? c.title : c.id;
  let extra = null;
  if (column === 'overdue') {
    const due = caseDue(c, serverNow());
    if (due.short) extra = el('span', 'case-row-extra', due.short);
  } else if (column === 'supervised' && c.supervision) {
    const d = parseTime(c.supervision.due_at);
    if (d) extra = el('span', 'case-row-extra', sameDay(d, serverDate()) ? hhmm(d) : mmdd(d));
  }
  li.append(...spaced([
    el('span', `case-row-kind kind-${String(c.kind ?? 'other')}`, caseKindShort(c.kind)),
    el('span', 'case-row-title', title),
    extra,
  ]));
  const sep = t('unit.sep');
  const parts = [caseKindName(c.kind), title, caseStatusName(c.status), caseGridName(c)];
  if (c.overdue === true) parts.push(t('case.overdue'));
  if (c.supervision && c.supervision.due_at) parts.push(t('cases.supervisedUntil', { time: when(c.supervision.due_at) }));
  li.title = parts.filter(Boolean).join(sep);
  return li;
}

/**
 * Fills one column: its count and its first few cases.
 * @param {'new'|'overdue'|'supervised'} column
 * @param {any[]} list
 */
function fillColumn(column, list) {
  byId(`cases-count-${column}`).textContent = String(list.length);
  byId(`cases-col-${column}`).classList.toggle('zero', list.length === 0);
  const ol = byId(`cases-${column}`);
  replaceLive(ol, () => (list.length ? list.slice(0, LIST_MAX).map((c) => caseRow(c, column)) : [el('li', 'case-empty', t('cases.none'))]));
  ol.dataset.count = String(list.length);
}

/** Renders the panel and the map's case markers in the current language. */
export function renderCases() {
  const panel = byId('cases-panel');
  const { open, fresh, overdue, supervised } = columns();
  panel.dataset.state = loadState;
  panel.dataset.open = String(open.length);
  byId('cases-count-open').textContent = loadState === 'loading' ? '' : t('cases.open', { n: open.length });
  fillColumn('new', fresh);
  fillColumn('overdue', overdue);
  fillColumn('supervised', supervised);
  const note = byId('cases-note');
  note.textContent = loadState === 'failed' ? t('cases.error') : '';
  show(note, loadState === 'failed');
  renderCaseMarkers(open);
  renderPatrol();
}

/**
 * A patrol grid's name in the current language.
 * @param {any} g
 * @returns {string}
 */
function patrolGridName(g) {
  const zh = typeof g.name === 'string' ? g.name : '';
  const en = typeof g.name_en === 'string' ? g.name_en : '';
  const code = String(g.code ?? '');
  // The patrol answer names grids in Chinese only: the map's grids know
  // their English names.
  return (lang() === 'en' ? en || gridNameOf(code) || zh : zh || gridNameOf(code) || en) || code;
}

/** Shows the number of grids below their patrol target today. */
function renderPatrol() {
  const note = byId('patrol-note');
  note.dataset.state = patrolState;
  if (patrolState !== 'below' && patrolState !== 'met') {
    note.textContent = '';
    note.removeAttribute('title');
    delete note.dataset.count;
    show(note, false);
    return;
  }
  const grids = Array.isArray(patrolData && patrolData.grids) ? patrolData.grids : [];
  const below = grids.filter((g) => g && g.met !== true);
  note.dataset.count = String(below.length);
  note.textContent = below.length ? t('patrol.below', { n: below.length }) : t('patrol.allMet');
  if (below.length) {
    note.title = below.map((g) => t('patrol.grid', {
      name: patrolGridName(g),
      minutes: Number.isFinite(g.minutes) ? g.minutes : 0,
      target: Number.isFinite(g.target) ? g.target : (patrolData.target_minutes ?? ''),
    })).join(t('patrol.sep'));
  } else {
    note.removeAttribute('title');
  }
  show(note, true);
}

/** Fetches today's patrol minutes and shows the note. */
export async function loadPatrol() {
  const gen = patrolGen;
  try {
    const data = await api.patrol();
    if (gen !== patrolGen) return;
    patrolData = data;
    const grids = Array.isArray(data && data.grids) ? data.grids : [];
    patrolState = grids.some((g) => g && g.met !== true) ? 'below' : 'met';
  } catch {
    if (gen !== patrolGen) return;
    // Kept as it was when a refresh fails; unknown when there is nothing.
    if (!patrolData) patrolState = 'failed';
  }
  renderPatrol();
}

/** Starts the patrol note's five-minute refresh (and fetches it now). */
export function startPatrol() {
  stopPatrol();
  loadPatrol();
  patrolTimer = setInterval(loadPatrol, PATROL_MS);
}

/** Stops the patrol note's refresh. */
export function stopPatrol() {
  clearInterval(patrolTimer);
  patrolTimer = undefined;
}

/** Forgets every case and the patrol figures (on sign-out). */
export function clearCases() {
  generation += 1;
  patrolGen += 1;
  clearTimeout(retryTimer);
  buffered = null;
  cases = new Map();
  loadState = 'loading';
  patrolData = null;
  patrolState = 'loading';
  stopPatrol();
  renderCases();
}

/** Wires the panel: a click on a case pans the map to it (once). */
export function initCases() {
  byId('cases-panel').addEventListener('click', (ev) => {
    const target = ev.target instanceof Element ? ev.target : null;
    const li = target && target.closest('li[data-case-id]');
    if (li instanceof HTMLElement && li.dataset.caseId) focusCase(li.dataset.caseId);
  });
}

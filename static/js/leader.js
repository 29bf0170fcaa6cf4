// The leaders' page (预案审批): for 带班领导 / 总指挥 and 副总指挥 on a tablet
// or a desk. It follows /ws/leader: plans proposed for incidents wait here
// for approval or rejection, active plans are moved to recovery and ended.
// Who may decide is the plan's to say per level; the server refuses others
// with 403 and its reason, which is shown as such.
//
// Hooks for tests: #proposed-list, #active-list > article.act-card
// [data-activation-id][data-status][data-plan-id][data-level][data-phase];
// inside a card: textarea.reason-input, button[data-action]
// (approve|reject|phase|end), .card-error[data-status] (the HTTP status,
// e.g. 403), .perm-hint; #history-list > li.history-item
// [data-activation-id][data-status]; #link-state (.up/.down).
// An active card lists its working groups' task progress:
// li.act-group[data-group-id] > .act-group-progress. Approving first opens
// #confirm-dialog listing #confirm-groups > li.confirm-group[data-group-id]
// (the units that will get tasks); #confirm-send sends, #confirm-cancel
// does not. #deadlines-list > li.deadline-item[data-incident-id][data-kind]
// [data-state] > .deadline-left counts down every open reporting deadline;
// #deadlines-more says how many incidents the read left out,
// #deadlines-failed and #history-failed that their last read failed.

import { ActivationBook, activationStatusName, approversText, changedAt, isActivation, phaseName, progressText, whyText } from './activations.js';
import * as api from './api.js';
import { MessageBus } from './bus.js';
import { deadlineName, SOON_MS } from './deadlines.js';
import { byId, el, show, spaced, replaceLive } from './dom.js';
import { countdown, hhmm, hhmmss, mmdd, parseTime, sameDay } from './format.js';
import { applyLabels, labelLangToggles, lang, onLangChange, t, toggleLang } from './i18n.js';
import { badge, casualties, localText, placeText, reasonTexts, statusName } from './incidentview.js';
import { createLiveLink, streamURL } from './live.js';
import { mountWarnings } from './console-warnings.js';
import { initStart, openStartFor } from './leader-start.js';
import { showLinkState } from './linkstate.js';
import { endSession, initLogin, renderLogin, resetLogin } from './login.js';
import { categoryName, clearReference, LEVELS, loadReference, referenceLoaded, roleName } from './refdata.js';
import { SeqGate } from './seq.js';
import { clearSession, getRole, getToken, getUsername, setSessionScope } from './session.js';
import { areaText, colourChip, incidentWarnings, typeName } from './warnings.js';
import { serverDate, serverNow } from './clock.js';

setSessionScope('leader');

/** Roles that may open /ws/leader. */
const LEADER_ROLES = ['leader', 'deputy', 'admin'];
const HISTORY_MAX = 15;
const EVENT_TYPES = ['activation.proposed', 'activation.approved', 'activation.rejected', 'activation.phase', 'activation.ended'];
/** How many incidents with an open deadline are read, the earliest due first. */
const DEADLINES_MAX = 500;
/** How often the deadlines are fetched again (new incidents, reports sent). */
const DEADLINES_REFRESH_MS = 30 * 1000;

const bus = new MessageBus();
const gate = new SeqGate();
const book = new ActivationBook();
/** @type {Map<string, any>} incidents by id */
const incidents = new Map();
/** @type {Map<string, Promise<void>>} incidents being fetched */
const fetching = new Map();
/** Incidents to read again once the read under way ends (a proposal came meanwhile). @type {Set<string>} */
const rereads = new Set();
/** @type {Map<string, HTMLTextAreaElement>} each card's reason field, kept across renders */
const reasonFields = new Map();
/** @type {Map<string, {key: string, params?: Record<string, string|number>, detail?: string, status?: number}>} */
const errors = new Map();
/** @type {Map<string, string>} the action in flight, by activation id */
const busy = new Map();
/** @type {'connecting'|'up'|'down'} */
let linkState = 'connecting';
let onApp = false;
let ready = false;
/** Bumped on sign-out so late answers are dropped. */
let generation = 0;
/** @type {ReturnType<typeof setInterval>|undefined} */
let tickTimer;
/** @type {ReturnType<typeof setInterval>|undefined} */
let deadlinesTimer;
/** @type {{incident: any, deadline: any}[]} open deadlines, soonest first */
let deadlines = [];
let deadlinesLoaded = false;
/** How many incidents with a deadline open the read left out (past DEADLINES_MAX). */
let deadlinesLeftOut = 0;
/** Counts the reads of the deadlines asked for: only the last one asked is shown. */
let deadlinesAsked = 0;
/** Whether the last read of the deadlines failed (what is shown may be old). */
let deadlinesFailed = false;
/** Whether the last read of the history failed. */
let historyFailed = false;
/** @type {Map<string, string>} callsigns by unit id */
const callsigns = new Map();
/** @type {string|null} the activation whose approval is being confirmed */
let confirming = null;

// Issue 20: the warnings with their plans on stand-by; a leader issues and
// changes them, and starts a plan on stand-by (启动预案) from its card.
const warnings = mountWarnings(byId('warnings-panel'), {
  canEdit: () => getRole() === 'leader',
  foldForm: true, // the approvals keep their room
  onEvent: (type, fn) => bus.on(type, fn),
  onStart: (w, s) => {
    openStartFor(w, String(s.plan_id));
  },
  started: (wid, planId) => [...book.byId.values()].some((a) => a.warning_id === wid && a.plan_id === planId && (a.status === 'active' || a.status === 'proposed')),
  onChange: () => {
    if (onApp) render(); // a plan started for a warning names it
  },
});

const link = createLiveLink({
  url: () => streamURL('/ws/leader', gate.lastSeq),
  onMessage(msg) {
    if (gate.admit(msg)) bus.dispatch(msg);
  },
  onState(s) {
    linkState = s;
    if (s === 'up' && !referenceLoaded()) refreshReference();
    renderLink();
  },
  onClosed: checkSession,
  upOnOpen: true,
});

/** Routes each type of stream message to what it changes. */
function routeMessages() {
  bus.on('snapshot', (msg) => {
    const list = msg.data && Array.isArray(msg.data.activations) ? msg.data.activations : [];
    const seen = new Set();
    for (const item of list) {
      if (!isActivation(item)) continue;
      seen.add(item.id);
      const { incident, ...act } = item;
      if (incident && typeof incident.id === 'string') incidents.set(incident.id, incident);
      book.put({ ...act, incident: incident ?? incidents.get(act.incident_id) });
      if (incident) book.setIncident(incident);
      else needIncident(act.incident_id);
    }
    book.dropOpen(seen); // proposed or active before, missing now: decided while away
    ready = true;
    warnings.reload();
    loadHistory();
    loadDeadlines();
    render();
  });
  for (const type of ['task.acknowledged', 'task.done']) {
    bus.on(type, (msg) => {
      if (book.progress(msg.data)) render();
    });
  }
  for (const type of ['deadline.due', 'deadline.overdue']) {
    bus.on(type, () => loadDeadlines());
  }
  bus.on('incident.status', (msg) => {
    // An incident of a plan shown was closed, reopened or moved on.
    const d = msg.data;
    if (!d || typeof d.id !== 'string' || typeof d.status !== 'string') return;
    const known = incidents.get(d.id);
    if (!known) {
      if (fetching.has(d.id)) rereads.add(d.id); // the read under way may be from before it
      return;
    }
    if (Number(known.version) > Number(d.version)) return;
    const inc = { ...known, status: d.status, closed_at: d.closed_at, reopened_at: d.reopened_at, updated_at: d.updated_at, version: d.version };
    incidents.set(d.id, inc);
    if (book.setIncident(inc)) render();
  });
  for (const type of EVENT_TYPES) {
    bus.on(type, (msg) => {
      const a = msg.data;
      if (!book.put(a)) return;
      // The plan moved on (here or elsewhere): an earlier error is stale.
      if (!busy.has(a.id)) errors.delete(a.id);
      needIncident(a.incident_id, type === 'activation.proposed');
      // A proposal means a serious incident, whose deadlines start now.
      if (type === 'activation.proposed') loadDeadlines();
      render();
      if (a.warning_id) warnings.renderCards(); // its stand-by plan shows as started; open action forms stay as typed
    });
  }
}

/**
 * Makes sure an incident is known (events carry only the activation);
 * fresh reads it again though it is (a new proposal comes of new facts: a
 * level raised, more people).
 * @param {string} id
 * @param {boolean} [fresh]
 */
function needIncident(id, fresh = false) {
  if (typeof id !== 'string' || !id) return;
  const known = incidents.get(id);
  if (known) book.setIncident(known); // shown meanwhile, should the read fail
  if (known && !fresh) return;
  if (fetching.has(id)) {
    if (fresh) rereads.add(id); // the read under way may be from before the change
    return;
  }
  const gen = generation;
  const p = api.incident(id)
    .then((inc) => {
      if (gen !== generation || !inc) return;
      // An incident.status heard meanwhile may be newer than this read.
      const cur = incidents.get(id);
      if (cur && Number(cur.version) > Number(inc.version)) return;
      incidents.set(id, inc);
      if (book.setIncident(inc)) render();
    })
    .catch(() => {})
    .finally(() => {
      fetching.delete(id);
      if (gen === generation && rereads.delete(id)) needIncident(id, true);
    });
  fetching.set(id, p);
}

/** Fetches the plans ended and rejected last, for the history. */
async function loadHistory() {
  const gen = generation;
  const [ended, rejected] = await Promise.allSettled([api.activations('ended', HISTORY_MAX), api.activations('rejected', HISTORY_MAX)]);
  if (gen !== generation) return;
  historyFailed = false;
  for (const r of [ended, rejected]) {
    if (r.status === 'fulfilled' && r.value && Array.isArray(r.value.activations)) {
      for (const a of r.value.activations) book.put(a);
    } else {
      historyFailed = true; // not "no history": the next snapshot reads it again
    }
  }
  for (const a of historyList()) needIncident(a.incident_id);
  render();
}

/** Fetches the incidents with a deadline open and keeps their pending and overdue deadlines. */
async function loadDeadlines() {
  const gen = generation;
  const asked = ++deadlinesAsked;
  let res;
  try {
    res = await api.dueIncidents(DEADLINES_MAX);
  } catch {
    res = null;
  }
  // An answer to a read asked before another is dropped: it may be older.
  if (gen !== generation || asked !== deadlinesAsked) return;
  if (!res || !Array.isArray(res.incidents)) {
    deadlinesFailed = true; // keep what was shown, say so; the next refresh tries again
    renderDeadlines();
    return;
  }
  deadlinesFailed = false;
  /** @type {{incident: any, deadline: any}[]} */
  const out = [];
  for (const inc of res.incidents) {
    if (!inc || !Array.isArray(inc.deadlines)) continue;
    for (const d of inc.deadlines) {
      if (d && (d.status === 'pending' || d.status === 'overdue') && parseTime(d.due_at)) out.push({ incident: inc, deadline: d });
    }
  }
  out.sort((a, b) => dueMs(a) - dueMs(b));
  deadlines = out;
  deadlinesLeftOut = Math.max(0, (Number(res.total) || 0) - res.incidents.length);
  deadlinesLoaded = true;
  renderDeadlines();
}

/** Fetches the units' callsigns once, for the approval's confirmation. */
async function loadCallsigns() {
  if (callsigns.size) return;
  try {
    const res = await api.units();
    for (const u of (res && Array.isArray(res.units) ? res.units : [])) {
      if (u && typeof u.id === 'string') callsigns.set(u.id, typeof u.callsign === 'string' && u.callsign ? u.callsign : u.id);
    }
  } catch {
    // the ids are shown instead
  }
}

/**
 * The plans ended or rejected, newest first, the last few.
 * @returns {any[]}
 */
function historyList() {
  const list = [...book.list('ended', 'desc'), ...book.list('rejected', 'desc')];
  list.sort((a, b) => changedAt(b) - changedAt(a) || String(b.id).localeCompare(String(a.id)));
  return list.slice(0, HISTORY_MAX);
}

/**
 * A deadline's due time as milliseconds, for ordering (RFC 3339 texts of
 * different lengths do not sort as text).
 * @param {{deadline: any}} x
 * @returns {number}
 */
function dueMs(x) {
  const d = parseTime(x.deadline.due_at);
  return d ? d.getTime() : 0;
}

// Actions

/**
 * Sends a decision: approve, reject, phase (to recovery) or end. An
 * approval is first confirmed in #confirm-dialog.
 * @param {string} id
 * @param {string} action
 * @param {boolean} [confirmed] whether the approval was confirmed
 */
async function decide(id, action, confirmed = false) {
  if (busy.has(id)) return;
  const a = book.byId.get(id);
  if (!a) return;
  // A card shown a moment too long (held while a press was under way) may
  // offer what the plan no longer allows: its list is redrawn right after.
  if (a.status !== (action === 'approve' || action === 'reject' ? 'proposed' : 'active')) return;
  if (action === 'approve' && !confirmed) {
    openConfirm(a);
    return;
  }
  const field = reasonFields.get(id);
  const reason = field ? field.value.trim() : '';
  if ((action === 'reject' || action === 'end') && !reason) {
    errors.set(id, { key: action === 'reject' ? 'leader.error.reasonReject' : 'leader.error.reasonEnd' });
    render();
    const f = reasonFields.get(id);
    if (f) f.focus();
    return;
  }
  busy.set(id, action);
  errors.delete(id);
  render();
  const gen = generation;
  try {
    const res = await api.activationAction(id, /** @type {any} */ (action), reason);
    if (gen !== generation) return;
    if (isActivation(res)) book.put(res);
    const f = reasonFields.get(id);
    if (f) f.value = '';
  } catch (err) {
    if (gen !== generation) return;
    errors.set(id, describe(err, a));
  } finally {
    if (gen === generation) {
      busy.delete(id);
      render();
    }
  }
}

/**
 * Maps a refused decision to a message; a 403 names who may decide.
 * @param {unknown} err
 * @param {any} a the activation
 * @returns {{key: string, params?: Record<string, string|number>, detail?: string, status?: number}}
 */
function describe(err, a) {
  if (!(err instanceof api.ApiError)) return { key: 'leader.error.network' };
  const p = err.problem;
  let detail = p && typeof p.detail === 'string' ? p.detail : '';
  if (p && Array.isArray(p.errors) && p.errors.length) {
    detail = p.errors.map((/** @type {any} */ e) => [e.field, e.message].filter(Boolean).join(': ')).join('; ');
  }
  switch (err.status) {
    case 403:
      return { key: 'leader.error.forbidden', params: { who: approversText(a) }, detail, status: 403 };
    case 409:
      // A proposal outlives its incident's close: it may then only be rejected.
      if (/^incident \S+ is closed: plan /.test(detail)) return { key: 'leader.error.incidentClosed', detail, status: 409 };
      return { key: 'leader.error.conflict', detail, status: 409 };
    case 400:
      return { key: 'leader.error.invalid', detail, status: 400 };
    case 404:
      return { key: 'leader.error.notFound', detail, status: 404 };
    default:
      return { key: 'leader.error.other', params: { status: err.status }, detail, status: err.status };
  }
}

// The approval's confirmation

/**
 * Opens the confirmation of an approval: the plan, and each working group
 * with the units that will get its tasks.
 * @param {any} a
 */
async function openConfirm(a) {
  confirming = a.id;
  renderConfirm();
  const dlg = /** @type {HTMLDialogElement} */ (byId('confirm-dialog'));
  if (!dlg.open) dlg.showModal();
  await loadCallsigns();
  if (confirming === a.id) renderConfirm();
}

/** Renders the open confirmation in the current language. */
function renderConfirm() {
  const a = confirming ? book.byId.get(confirming) : null;
  if (!a) return;
  byId('confirm-plan').textContent = localText(a.plan_name) || String(a.plan_id ?? '');
  const groups = Array.isArray(a.groups) ? a.groups : [];
  byId('confirm-groups').replaceChildren(...groups.map((/** @type {any} */ g) => {
    const units = Array.isArray(g.units) ? g.units : [];
    const li = el('li', 'confirm-group', null, [
      el('strong', 'confirm-group-name', localText(g.name) || String(g.id ?? '')),
      el('span', 'confirm-group-count', ` ${t('leader.confirm.members', { n: units.length })}`),
      el('div', 'confirm-group-members', units.length
        ? units.map((/** @type {string} */ u) => callsigns.get(u) ?? String(u)).join(t('list.and'))
        : t('leader.confirm.none')),
    ]);
    li.dataset.groupId = String(g.id ?? '');
    return li;
  }));
}

/** Closes the confirmation without sending. */
function closeConfirm() {
  confirming = null;
  const dlg = /** @type {HTMLDialogElement} */ (byId('confirm-dialog'));
  if (dlg.open) dlg.close();
}

// Rendering

/** Renders the open reporting deadlines, soonest first. */
function renderDeadlines() {
  if (!onApp) return;
  replaceLive(byId('deadlines-list'), () => deadlines.map(({ incident: inc, deadline: d }) => {
    const li = el('li', 'deadline-item', null, spaced([
      badge(inc.level),
      el('span', 'deadline-incident', typeof inc.title === 'string' ? inc.title : String(inc.id)),
      el('span', 'deadline-kind', deadlineName(d.kind)),
      timeNode(d.due_at, 'deadline-due'),
      el('span', 'deadline-left'),
    ]));
    li.dataset.incidentId = String(inc.id);
    li.dataset.kind = String(d.kind ?? '');
    li.dataset.status = String(d.status);
    li.dataset.due = String(d.due_at);
    return li;
  }), tickDeadlines);
  byId('deadlines-count').textContent = deadlinesLoaded ? t('list.total', { n: deadlines.length }) : '';
  show(byId('deadlines-empty'), deadlinesLoaded && deadlines.length === 0);
  const more = byId('deadlines-more');
  more.textContent = deadlinesLeftOut > 0 ? t('leader.deadlines.more', { n: deadlinesLeftOut, max: DEADLINES_MAX }) : '';
  show(more, deadlinesLoaded && deadlinesLeftOut > 0);
  show(byId('deadlines-failed'), deadlinesFailed);
}

/** Moves the deadlines' countdowns on. */
function tickDeadlines() {
  const now = serverNow();
  for (const node of document.querySelectorAll('#deadlines-list .deadline-item')) {
    const li = /** @type {HTMLElement} */ (node);
    const due = Date.parse(li.dataset.due ?? '');
    if (Number.isNaN(due)) continue;
    const left = due - now;
    const state = li.dataset.status === 'overdue' || left <= 0 ? 'overdue' : left < SOON_MS ? 'soon' : 'ok';
    li.dataset.state = state;
    const out = li.querySelector('.deadline-left');
    if (out) out.textContent = t(state === 'overdue' ? 'leader.deadline.over' : 'leader.deadline.left', { time: countdown(left) });
  }
}

/**
 * The working groups of an active plan with their task progress.
 * @param {any} a
 * @returns {HTMLElement|null}
 */
function groupsBlock(a) {
  if (!Array.isArray(a.groups) || a.groups.length === 0) return null;
  return el('ul', 'act-groups', null, a.groups.map((/** @type {any} */ g) => {
    const li = el('li', 'act-group', null, [
      el('span', 'act-group-name', localText(g.name) || String(g.id ?? '')),
      el('span', 'act-group-progress', progressText(g)),
    ]);
    li.dataset.groupId = String(g.id ?? '');
    return li;
  }));
}

/**
 * A time as HH:mm:ss, with MM-DD in front when not today.
 * @param {unknown} s
 * @param {string} cls
 * @returns {HTMLElement|null}
 */
function timeNode(s, cls) {
  const d = parseTime(s);
  if (!d) return null;
  const node = el('time', cls, sameDay(d, serverDate()) ? hhmmss(d) : `${mmdd(d)} ${hhmm(d)}`);
  node.setAttribute('datetime', d.toISOString());
  return node;
}

/**
 * A labelled line: "<label> <value>".
 * @param {string} key catalogue key of the label
 * @param {Node|string|null} value
 * @param {string} cls
 * @returns {HTMLElement|null}
 */
function line(key, value, cls) {
  if (value === null || value === '') return null;
  return el('p', `act-line ${cls}`, null, spaced([
    el('span', 'act-label', t(key)),
    typeof value === 'string' ? el('span', 'act-value', value) : value,
  ]));
}

/**
 * The incident's facts in a card.
 * @param {any} a
 * @returns {HTMLElement}
 */
function incidentBlock(a) {
  const inc = a.incident;
  if (!a.incident_id && a.request) return requestBlock(a.request);
  if (!a.incident_id && a.warning_id) return warningBlock(a.warning_id);
  if (!inc) {
    return el('div', 'act-incident loading', null, [
      el('p', 'act-incident-title', String(a.incident_id ?? '')),
      el('p', 'act-muted', t('leader.incidentLoading')),
    ]);
  }
  const occurred = parseTime(inc.occurred_at);
  const reasons = reasonTexts(inc);
  const box = el('div', 'act-incident', null, [
    el('div', 'act-incident-head', null, spaced([
      badge(inc.level),
      el('div', 'act-incident-main', null, [
        el('p', 'act-incident-title', typeof inc.title === 'string' ? inc.title : String(inc.id)),
        el('p', 'act-incident-meta', null, spaced([
          el('span', 'meta category', categoryName(inc.category)),
          el('span', 'meta place', placeText(inc)),
          occurred ? el('span', 'meta occurred', t('leader.occurred', { time: sameDay(occurred, serverDate()) ? hhmm(occurred) : `${mmdd(occurred)} ${hhmm(occurred)}` })) : null,
          inc.status ? el('span', `tag status-tag status-${inc.status}`, statusName(inc.status)) : null,
          inc.drill === true ? el('span', 'tag drill-tag', t('incident.drill')) : null,
        ])),
      ]),
    ])),
    el('p', 'act-facts', null, [casualties(inc) ?? el('span', 'act-muted', t('leader.noCasualties'))]),
    incidentWarnings(inc),
    typeof inc.description === 'string' && inc.description.trim() ? el('p', 'act-description', inc.description.trim()) : null,
    reasons.length ? el('div', 'act-reasons', null, [
      el('p', 'act-label', t('leader.levelReasons')),
      el('ul', 'act-reason-list', null, reasons.map((r) => el('li', 'act-reason', r))),
    ]) : null,
  ].filter(Boolean));
  box.dataset.incidentId = String(inc.id);
  return box;
}

/**
 * The warning a plan was started for (no incident).
 * @param {string} id
 * @returns {HTMLElement}
 */
function warningBlock(id) {
  const w = warnings.book.byId.get(id);
  const box = el('div', 'act-incident act-warning', null, w ? spaced([
    colourChip(w.colour),
    el('span', 'meta warn-type', typeName(w.type)),
    el('strong', 'act-incident-title', String(w.title ?? '')),
    w.status !== 'active' ? el('span', `tag warn-status warn-status-${w.status}`, t(`warn.status.${w.status}`)) : null,
    el('span', 'meta warn-area', areaText(w)),
    el('span', 'meta warn-id', String(w.id)),
  ]) : [el('span', 'act-incident-title', t('warn.leader.basis', { id }))]);
  box.dataset.warningId = id;
  return box;
}

/**
 * Whether the warning id is known and no longer in force (lifted or
 * expired).
 * @param {unknown} id
 * @returns {boolean}
 */
function warningEnded(id) {
  const w = typeof id === 'string' && id ? warnings.book.byId.get(id) : undefined;
  return !!w && w.status !== 'active';
}

/**
 * A higher body's request a plan was started on (no incident).
 * @param {any} r
 * @returns {HTMLElement}
 */
function requestBlock(r) {
  const at = parseTime(r.at);
  return el('div', 'act-incident act-request', null, [
    el('p', 'act-label', t('leader.start.requestBy', { from: String(r.from ?? ''), time: at ? `${mmdd(at)} ${hhmm(at)}` : '' })),
    el('p', 'act-description', String(r.text ?? '')),
  ]);
}

/**
 * The reason field of a card, the same element across renders.
 * @param {any} a
 * @returns {HTMLElement}
 */
function reasonBlock(a) {
  let field = reasonFields.get(a.id);
  if (!field) {
    field = /** @type {HTMLTextAreaElement} */ (el('textarea', 'field reason-input'));
    field.id = `reason-${a.id}`;
    field.rows = 2;
    field.maxLength = 2000;
    reasonFields.set(a.id, field);
  }
  field.placeholder = t(a.status === 'proposed' ? 'leader.reason.placeholderProposed' : 'leader.reason.placeholderActive');
  const label = el('label', 'field-label reason-label', t(a.status === 'proposed' ? 'leader.reason.proposed' : 'leader.reason.active'));
  label.setAttribute('for', field.id);
  return el('div', 'reason-block', null, [label, field]);
}

/**
 * A button of a card.
 * @param {any} a
 * @param {string} action approve, reject, phase or end
 * @param {string} cls
 * @returns {HTMLButtonElement}
 */
function actionButton(a, action, cls) {
  const doing = busy.get(a.id);
  const b = /** @type {HTMLButtonElement} */ (el('button', `btn act-btn ${cls}`, t(doing === action ? 'leader.busy' : `leader.action.${action}`)));
  b.type = 'button';
  b.dataset.action = action;
  b.dataset.activationId = a.id;
  b.disabled = doing !== undefined;
  return b;
}

/**
 * The error line of a card, if any.
 * @param {string} id
 * @returns {HTMLElement|null}
 */
function errorLine(id) {
  const e = errors.get(id);
  if (!e) return null;
  const node = el('div', 'card-error', null, [
    el('strong', 'card-error-text', t(e.key, e.params)),
    // The server's detail is English: shown only in English, kept as data
    // for support otherwise.
    e.detail && lang() === 'en' ? el('span', 'card-error-detail', e.detail) : null,
  ].filter(Boolean));
  node.setAttribute('role', 'alert');
  if (e.detail) node.dataset.detail = e.detail;
  if (e.status) node.dataset.status = String(e.status);
  return node;
}

/**
 * Who may decide, and a hint when the signed-in role may not.
 * @param {any} a
 * @returns {HTMLElement[]}
 */
function authority(a) {
  const out = [];
  const who = approversText(a);
  const l = line('leader.approvers', who, 'approvers');
  if (l) out.push(l);
  const commander = localText(a.commander);
  const c = line('leader.commander', commander, 'commander');
  if (c) out.push(c);
  const role = getRole();
  if (Array.isArray(a.approvers) && role && !a.approvers.includes(role)) {
    out.push(el('p', 'perm-hint', t('leader.permHint', { role: roleName(role), who })));
  }
  return out;
}

/**
 * A card for a plan waiting for approval.
 * @param {any} a
 * @returns {HTMLElement}
 */
function proposedCard(a) {
  // Its incident closed meanwhile: the proposal may only be rejected.
  const closed = a.incident && a.incident.status === 'closed';
  const since = parseTime(a.proposed_at);
  const waiting = el('span', 'act-waiting');
  if (since) waiting.dataset.since = since.toISOString();
  const card = el('article', 'act-card proposed', null, [
    el('header', 'act-head', null, spaced([
      el('h3', 'act-plan', localText(a.plan_name) || String(a.plan_id ?? '')),
      el('span', 'tag act-status', activationStatusName('proposed')),
      timeNode(a.proposed_at, 'act-time'),
      waiting,
    ])),
    incidentBlock(a),
    Array.isArray(a.why) && a.why.length ? el('div', 'act-why', null, [
      el('p', 'act-label', t('leader.why')),
      el('ul', 'act-why-list', null, a.why.map((w) => el('li', 'act-why-item', whyText(w)))),
    ]) : null,
    closed ? el('p', 'act-line incident-closed', t('leader.proposalLapsed')) : null,
    ...authority(a),
    reasonBlock(a),
    errorLine(a.id),
    el('div', 'act-buttons', null, [closed ? null : actionButton(a, 'approve', 'btn-approve'), actionButton(a, 'reject', 'btn-reject')]),
  ].filter(Boolean));
  tagCard(card, a);
  return card;
}

/**
 * A card for an active plan.
 * @param {any} a
 * @returns {HTMLElement}
 */
function activeCard(a) {
  const phase = a.phase === 'recovery' ? 'recovery' : 'action';
  const decided = a.auto ? t('leader.auto') : a.by_hand && a.decided_by ? t('leader.start.startedBy', { who: String(a.decided_by) })
    : a.decided_by ? t('leader.approvedBy', { who: String(a.decided_by) }) : '';
  const inc = a.incident;
  const card = el('article', `act-card active phase-${phase}`, null, [
    el('header', 'act-head', null, spaced([
      el('h3', 'act-plan', localText(a.plan_name) || String(a.plan_id ?? '')),
      el('span', `tag act-phase phase-${phase}`, phaseName(phase)),
      timeNode(a.decided_at, 'act-time'),
    ])),
    inc ? el('div', 'act-incident compact', null, spaced([
      badge(inc.level),
      el('span', 'act-incident-title', typeof inc.title === 'string' ? inc.title : String(inc.id)),
      inc.status === 'closed' ? el('span', 'tag status-tag status-closed', statusName('closed')) : null,
      casualties(inc),
    ])) : incidentBlock(a),
    // Closed (or its warning ended) while its plan runs: the leader ends the
    // plan (its tasks close).
    inc && inc.status === 'closed' ? el('p', 'act-line incident-closed', t('leader.incidentClosed')) : null,
    !a.incident_id && warningEnded(a.warning_id) ? el('p', 'act-line incident-closed', t('leader.warningEnded')) : null,
    decided ? el('p', 'act-line decided', decided) : null,
    a.reason ? line('leader.decisionReason', String(a.reason), 'decision-reason') : null,
    groupsBlock(a),
    ...authority(a),
    reasonBlock(a),
    errorLine(a.id),
    el('div', 'act-buttons', null, [
      phase === 'action' ? actionButton(a, 'phase', 'btn-phase') : null,
      actionButton(a, 'end', 'btn-end'),
    ].filter(Boolean)),
  ].filter(Boolean));
  tagCard(card, a);
  card.dataset.phase = phase;
  return card;
}

/**
 * Marks a card for tests and styling.
 * @param {HTMLElement} card
 * @param {any} a
 */
function tagCard(card, a) {
  card.dataset.activationId = a.id;
  card.dataset.status = String(a.status);
  card.dataset.planId = String(a.plan_id ?? '');
  card.dataset.incidentId = String(a.incident_id ?? '');
  if (a.warning_id) card.dataset.warningId = String(a.warning_id);
  if (a.level) card.dataset.level = String(a.level);
}

/**
 * One ended or rejected plan in the history.
 * @param {any} a
 * @returns {HTMLLIElement}
 */
function historyItem(a) {
  const inc = a.incident;
  const ended = a.status === 'ended';
  const by = ended ? a.ended_by : a.decided_by;
  const reason = ended ? a.end_reason : a.reason;
  const li = /** @type {HTMLLIElement} */ (el('li', `history-item ${a.status}`, null, [
    el('div', 'history-head', null, spaced([
      el('span', `tag act-status status-${a.status}`, activationStatusName(a.status)),
      el('strong', 'history-plan', localText(a.plan_name) || String(a.plan_id ?? '')),
      timeNode(ended ? a.ended_at : a.decided_at, 'history-time'),
    ])),
    el('div', 'history-meta', null, spaced([
      el('span', 'history-incident', inc && inc.title ? String(inc.title) : String(a.incident_id ?? '')),
      a.withdrawn ? el('span', 'history-reason history-withdrawn', t('leader.withdrawn')) : null,
      by && !a.withdrawn ? el('span', 'history-by', t('leader.by', { who: String(by) })) : null,
      reason && !a.withdrawn ? el('span', 'history-reason', t('leader.reasonWas', { reason: String(reason) })) : null,
    ])),
  ]));
  li.dataset.activationId = a.id;
  li.dataset.status = String(a.status);
  return li;
}

/** Shows the link state: the header indicator and the banner while down. */
function renderLink() {
  showLinkState(linkState, 'leader.linkBanner');
  byId('main').classList.toggle('stale', linkState === 'down');
}

/** Moves the waiting times on. */
function tick() {
  const now = serverNow();
  for (const node of document.querySelectorAll('.act-waiting[data-since]')) {
    const since = Date.parse(/** @type {HTMLElement} */ (node).dataset.since ?? '');
    if (!Number.isNaN(since)) node.textContent = t('leader.waiting', { time: countdown(now - since) });
  }
  byId('clock-time').textContent = hhmmss(serverDate());
  tickDeadlines();
}

/**
 * Orders plans waiting for approval: the most serious level first, then
 * the longest waiting.
 * @param {any} a
 * @param {any} b
 * @returns {number}
 */
function byLevel(a, b) {
  const ra = LEVELS.indexOf(a.level);
  const rb = LEVELS.indexOf(b.level);
  if (ra !== rb) return (ra < 0 ? 9 : ra) - (rb < 0 ? 9 : rb);
  return String(a.proposed_at).localeCompare(String(b.proposed_at));
}

/** Renders the lists in the current language, keeping focus in a reason field. */
function render() {
  if (!onApp) return;
  const proposed = book.list('proposed').sort(byLevel);
  const active = book.list('active');
  const past = historyList();
  replaceLive(byId('proposed-list'), () => proposed.map(proposedCard));
  replaceLive(byId('active-list'), () => active.map(activeCard));
  replaceLive(byId('history-list'), () => past.map(historyItem));
  byId('proposed-count').textContent = ready ? t('list.total', { n: proposed.length }) : '';
  byId('active-count').textContent = ready ? t('list.total', { n: active.length }) : '';
  show(byId('proposed-loading'), !ready);
  show(byId('proposed-empty'), ready && proposed.length === 0);
  show(byId('active-empty'), ready && active.length === 0);
  show(byId('history-empty'), ready && past.length === 0 && !historyFailed);
  show(byId('history-failed'), historyFailed);

  // Forget the fields of cards that are gone.
  const shown = new Set([...proposed, ...active].map((a) => a.id));
  for (const id of [...reasonFields.keys()]) if (!shown.has(id)) reasonFields.delete(id);
  document.title = proposed.length ? `(${proposed.length}) ${t('leader.title')}` : t('leader.title');
  if (confirming && !proposed.some((a) => a.id === confirming)) closeConfirm(); // decided meanwhile
  renderConfirm();
  renderDeadlines();
  tick();
}

/** Shows the signed-in user and role. */
function renderUser() {
  byId('user-name').textContent = getUsername();
  byId('user-role').textContent = getRole() ? roleName(getRole()) : '';
}

// Life cycle

/** Loads categories and level names, then relabels what uses them. */
function refreshReference() {
  loadReference()
    .then(() => render())
    .catch(() => {});
}

/**
 * After the socket closes, signs out if the token is gone (signed out in
 * another tab). Whether the session still holds the live link asks itself
 * when its next dial fails (live.js).
 */
function checkSession() {
  if (!getToken()) {
    signedOut();
  }
}

/** Shows the page and starts the live link. */
function showApp() {
  if (!LEADER_ROLES.includes(getRole())) {
    signedOut();
    return;
  }
  onApp = true;
  show(byId('login'), false);
  show(byId('app'), true);
  renderUser();
  renderLink();
  render();
  link.start();
  refreshReference();
  clearInterval(tickTimer);
  tickTimer = setInterval(tick, 1000);
  clearInterval(deadlinesTimer);
  deadlinesTimer = setInterval(loadDeadlines, DEADLINES_REFRESH_MS);
}

/** Stops everything live and shows the sign-in form. */
function signedOut() {
  generation += 1;
  link.stop();
  clearInterval(tickTimer);
  clearInterval(deadlinesTimer);
  closeConfirm();
  deadlines = [];
  deadlinesLoaded = false;
  deadlinesLeftOut = 0;
  deadlinesFailed = false;
  historyFailed = false;
  callsigns.clear();
  clearSession();
  clearReference();
  gate.reset();
  book.reset();
  warnings.reset();
  incidents.clear();
  rereads.clear();
  reasonFields.clear();
  errors.clear();
  busy.clear();
  ready = false;
  linkState = 'connecting';
  if (onApp) resetLogin();
  onApp = false;
  show(byId('app'), false);
  show(byId('login'), true);
  document.title = t('leader.title');
  const user = /** @type {HTMLInputElement} */ (byId('username'));
  if (!user.value) user.focus();
  else byId('password').focus();
}

/** Ends the session on the server (best effort) and signs out here. */
async function logout() {
  link.stop();
  await endSession(signedOut);
}

/**
 * A click on a card's button.
 * @param {MouseEvent} ev
 */
function onCardClick(ev) {
  const target = ev.target instanceof Element ? ev.target : null;
  const btn = target && target.closest('button[data-action]');
  if (!(btn instanceof HTMLButtonElement) || btn.disabled) return;
  const id = btn.dataset.activationId;
  const action = btn.dataset.action;
  if (id && action) decide(id, action);
}

function main() {
  routeMessages();
  applyLabels(document);
  labelLangToggles();
  renderLogin();
  onLangChange(() => {
    labelLangToggles();
    renderLogin();
    if (onApp) {
      renderUser();
      renderLink();
      render();
      warnings.render();
    }
  });
  for (const b of document.querySelectorAll('.lang-toggle')) {
    b.addEventListener('click', () => toggleLang());
  }
  byId('proposed-list').addEventListener('click', onCardClick);
  byId('active-list').addEventListener('click', onCardClick);
  byId('confirm-cancel').addEventListener('click', closeConfirm);
  // The close event comes after the dialog closed, in a task of its own: a
  // confirmation opened again meanwhile (cancel, then approve at once)
  // keeps what it confirms, or its send would do nothing.
  byId('confirm-dialog').addEventListener('close', (ev) => {
    if (!(/** @type {HTMLDialogElement} */ (ev.currentTarget)).open) confirming = null;
  });
  byId('confirm-send').addEventListener('click', () => {
    const id = confirming;
    closeConfirm();
    if (id) decide(id, 'approve', true);
  });
  byId('logout').addEventListener('click', () => {
    logout();
  });
  initStart();
  api.onUnauthorized(() => {
    if (onApp || getToken()) signedOut();
  });
  initLogin(showApp, { roles: LEADER_ROLES, roleError: 'leader.error.role' });
  if (getToken()) showApp();
  else signedOut();
}

main();

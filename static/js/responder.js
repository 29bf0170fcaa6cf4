// The responder's page (处置终端): a phone in portrait, used one-handed. It
// signs a unit's account in, follows /ws/responder, shows the current order
// with one big button for the next step (确认接单 → 出发 → 到达现场 → 处置完毕),
// the plans' tasks, past orders, and shares the phone's position.
//
// Every sequenced message passes the state's seq gate (a replay after a
// reconnection is dropped there, and orders are kept by dispatch_id), then
// is routed by type through one MessageBus. Replies to what the phone sent
// are volatile and matched to their request by id.
//
// Hooks for tests: #order[data-state] (none|offered|acked|en_route|on_scene)
// with data-dispatch-id; #action-btn[data-step] (ack|en_route|on_scene|
// cleared), disabled while a request is in flight (aria-busy) or the link is
// down, data-settling while it still ignores taps (just after it shows
// another step or order); #action-error[data-code]; #notice[data-kind]; #ack-countdown;
// #nav-link; #order-map (see minimap.js); #tasks > li.task[data-sending]; #history >
// li.history-item[data-dispatch-id][data-status]; #share-toggle
// [aria-checked]; #share-status[data-status]; #link-state (.up/.down).
// Grid officers also get "上报事件", and "我的事件" lists the unit's grid
// cases (see casedesk.js); a case.assigned shows #notice[data-kind="case"]
// (with #notice-go to the case) and vibrates.

import * as api from './api.js';
import { MessageBus } from './bus.js';
import { applyAssigned, initCaseDesk, refreshCases, renderCaseDesk, resetCaseDesk, showCase } from './casedesk.js';
import { byId, el, show, spaced, replaceLive } from './dom.js';
import { countdown, hhmm, hhmmss, mmdd, parseTime, sameDay } from './format.js';
import { createSharer, geoUnavailable } from './geo.js';
import { applyLabels, labelLangToggles, lang, onLangChange, t, toggleLang } from './i18n.js';
import { badge, casualties, localText, orderNote, orderStatusName, placeText, reasonTexts } from './incidentview.js';
import { createLiveLink, streamURL } from './live.js';
import { showLinkState } from './linkstate.js';
import { endSession, initLogin, renderLogin, resetLogin } from './login.js';
import { isLonLat, MiniMap } from './minimap.js';
import { setNavLink } from './navlink.js';
import { categoryName, clearReference, loadReference, navigationApp, referenceLoaded } from './refdata.js';
import { ResponderState } from './responder-state.js';
import { hasSeq } from './seq.js';
import { clearSession, getToken, getUnit, getUsername, setSessionScope } from './session.js';
import { unitStatusName } from './units.js';
import { applyStandby, refreshWarnings, renderWarnings, resetWarnings, startWarnings } from './responder-warnings.js';
import { serverDate, serverNow } from './clock.js';

setSessionScope('responder');

/** The step that follows each active order status. */
const NEXT = { offered: 'ack', acked: 'en_route', en_route: 'on_scene', on_scene: 'cleared' };
/** How long to wait for the answer to a step before giving up. */
const REPLY_TIMEOUT_MS = 12000;
/**
 * How long the big button ignores taps after it shows another step or
 * another order: the second tap of a double tap (both are clicks with
 * touch-action: manipulation) must not take the next step, or accept an
 * order the person has not seen, when the answer came between the taps.
 */
const STEP_SETTLE_MS = 800;
/** How often the unit (its status and position) is asked for again. */
const UNIT_REFRESH_MS = 20000;
const VIBRATE_OFFER = [400, 150, 400, 150, 400];
const VIBRATE_TASK = [200, 100, 200];
const VIBRATE_CASE = [400, 150, 400, 150, 400];

const bus = new MessageBus();
/** @type {ResponderState|null} */
let state = null;
/** @type {'connecting'|'up'|'down'} */
let linkState = 'connecting';
let onApp = false;
let msgCounter = 0;
/** @type {{id: string, dispatchId: string, status: string, step: string, timer: ReturnType<typeof setTimeout>}|null} */
let pending = null;
/**
 * The error under the big button. A lost or late answer keeps the order
 * and the status it was sent from (dispatchId, status): once that order
 * has moved on the step was recorded, and the error goes.
 * @type {{key: string, params?: Record<string, string|number>, code?: string, detail?: string, dispatchId?: string, status?: string}|null}
 */
let actionError = null;
/** The order and step the big button shows ("dispatchId/step"), and until when it ignores taps. */
let shownStep = '';
let settleUntil = 0;
/** @type {ReturnType<typeof setTimeout>|undefined} */
let settleTimer;
/** @type {{kind: string, key: string, params?: Record<string, string|number>, caseId?: string}|null} */
let notice = null;
/** @type {ReturnType<typeof setInterval>|undefined} */
let tickTimer;
/** @type {ReturnType<typeof setInterval>|undefined} */
let unitTimer;
/** @type {MiniMap|null} */
let miniMap = null;
/** The note fields of open tasks by task id, kept across renders. @type {Map<string, HTMLInputElement>} */
const noteFields = new Map();
/** The tasks whose answer is under way, by id: their buttons stay disabled through any render. @type {Set<string>} */
const taskSending = new Set();
/** The refusal each task's last answer got, by id, shown until the next press. @type {Map<string, {key: string, params?: any}>} */
const taskErrors = new Map();

const link = createLiveLink({
  url: () => streamURL('/ws/responder', state ? state.gate.lastSeq : null),
  onMessage,
  onState(s) {
    linkState = s;
    if (s !== 'up' && pending) {
      // The answer, if any, is lost with the connection: the step may or may
      // not have been taken. Repeating it is safe (the server answers a
      // repeated step with the order as it stands).
      const { dispatchId, status } = pending;
      clearPending();
      actionError = { key: 'responder.error.lost', dispatchId, status };
    }
    if (s === 'up') {
      sharer.flush();
      refreshUnit();
      refreshWarnings();
      if (!referenceLoaded()) refreshReference();
    }
    renderAll();
  },
  onClosed: checkSession,
  upOnOpen: true,
});

const sharer = createSharer({
  send: (msg) => link.send(msg),
  nextId,
  onChange: () => renderShare(),
  onFix(pos) {
    if (!state) return;
    state.setOwnPosition(pos);
    renderMap();
  },
});

/**
 * A new client message id, echoed by the server as reply_to.
 * @returns {string}
 */
function nextId() {
  msgCounter += 1;
  return `m${Date.now().toString(36)}-${msgCounter}`;
}

/**
 * Every message from the socket: replies to their requests, sequenced
 * events through the seq gate, then by type through the bus.
 * @param {any} msg
 */
function onMessage(msg) {
  if (!state || !msg || typeof msg !== 'object') return;
  if (msg.type === 'reply' || msg.type === 'error') {
    onReply(msg.data);
    return;
  }
  if (!state.gate.admit(msg)) return;
  if (hasSeq(msg)) state.save();
  bus.dispatch(msg);
}

/** Routes each type of stream message to what it changes. */
function routeMessages() {
  bus.on('snapshot', (msg) => {
    if (!state) return;
    const { vanished, fresh } = state.applySnapshot(msg.data);
    for (const o of vanished) settleVanished(o.dispatch_id);
    if (fresh.some((o) => o.dispatch.status === 'offered')) alertOffer();
    renderAll();
    refreshCases(); // what changed while away (case.assigned is replayed, other steps are not)
  });
  bus.on('dispatch.created', (msg) => {
    if (!state) return;
    const { order, fresh } = state.applyCreated(msg.data);
    if (order && fresh && order.dispatch.status === 'offered') alertOffer();
    renderAll();
  });
  bus.on('dispatch.updated', (msg) => {
    if (!state) return;
    const d = msg.data && msg.data.dispatch;
    const { order, ended } = state.applyOrder(d);
    if (order && ended) endedNotice(order);
    renderAll();
  });
  bus.on('unit.status', (msg) => {
    if (state && state.applyUnitStatus(msg.data)) {
      renderHeader();
      renderShare();
    }
  });
  bus.on('task.assigned', (msg) => {
    if (!state) return;
    if (state.applyTask(msg.data)) {
      vibrate(VIBRATE_TASK);
      notice = { kind: 'task', key: 'responder.notice.task', params: { plan: localText(msg.data.plan_name) } };
    }
    renderTasks();
    renderNotice();
  });
  bus.on('tasks.closed', (msg) => {
    const d = msg.data;
    if (!state || !d || !state.closeTasks(d.activation_id)) return;
    notice = { kind: 'plan-ended', key: 'responder.notice.planEnded', params: { plan: localText(d.plan_name) } };
    renderTasks();
    renderNotice();
  });
  for (const typ of ['task.acknowledged', 'task.done']) {
    bus.on(typ, (msg) => {
      if (state && msg.data && state.updateTask(msg.data.task)) renderTasks();
    });
  }
  bus.on('warning.standby', (msg) => {
    if (state && applyStandby(msg.data)) vibrate(VIBRATE_TASK);
  });
  bus.on('case.assigned', (msg) => {
    if (!state) return;
    const c = msg.data;
    if (applyAssigned(c)) {
      vibrate(VIBRATE_CASE);
      notice = { kind: 'case', key: 'responder.notice.case', params: { title: (c && typeof c.title === 'string' && c.title) || String(c.id) }, caseId: String(c.id) };
      renderNotice();
    }
  });
}

/**
 * Reports whether the signed-in unit is a grid officer (网格员), who
 * reports and handles grid cases.
 * @returns {boolean}
 */
function isGridOfficer() {
  return !!state && !!state.unit && state.unit.type === 'grid_officer';
}

/**
 * Asks for the final state of an order that ended while the phone was away
 * and puts it in the history.
 * @param {string} id
 */
function settleVanished(id) {
  api.dispatch(id)
    .then((d) => {
      if (!state) return;
      const { order } = state.applyOrder(d);
      if (order && !state.orders.has(id)) endedNotice(order);
      renderAll();
    })
    .catch(() => {
      if (!state) return;
      // Not readable any more: its final state is unknown.
      const o = state.history.find((x) => x.dispatch_id === id);
      if (o && !state.orders.has(id)) o.dispatch = { ...o.dispatch, status: 'unknown' };
      state.save();
      renderHistory();
    });
}

/**
 * Tells the person that an order ended: expired (offered to another
 * unit), cancelled, or cleared.
 * @param {{dispatch: any, incident: any}} order
 */
function endedNotice(order) {
  const status = order.dispatch.status;
  const title = incidentTitle(order);
  if (status === 'expired') notice = { kind: 'expired', key: 'responder.notice.expired', params: { title } };
  else if (status === 'cancelled') notice = { kind: 'cancelled', key: 'responder.notice.cancelled', params: { title } };
  else if (status === 'cleared') notice = { kind: 'cleared', key: 'responder.notice.cleared', params: { title } };
  if (status === 'expired' || status === 'cancelled') vibrate([200]);
}

/**
 * The answer to a message the phone sent.
 * @param {any} data {reply_to, request, dispatch_id, ok, code, message, result}
 */
function onReply(data) {
  if (!data || typeof data !== 'object' || !state) return;
  if (data.request === 'position') {
    sharer.replied(data.ok === true, data.message);
    return;
  }
  const mine = pending && data.reply_to === pending.id;
  if (data.ok === true && data.result && typeof data.result === 'object') {
    const { order, ended } = state.applyOrder(data.result);
    if (order && ended) endedNotice(order);
  }
  if (mine) {
    clearPending();
    actionError = data.ok === true ? null : describeError(data);
    if (data.ok !== true && data.code === 'conflict' && /expired|cancelled/.test(String(data.message ?? '')) && data.dispatch_id) {
      // The order is over: fetch its final state so it leaves the screen.
      settleVanished(String(data.dispatch_id));
    }
  }
  renderAll();
}

/**
 * Maps a refused request to a message for the person.
 * @param {any} data {code, message}
 * @returns {{key: string, params?: Record<string, string|number>, code: string, detail: string}}
 */
function describeError(data) {
  const code = String(data.code ?? '');
  const message = String(data.message ?? '');
  /** @type {string} */
  let key;
  switch (code) {
    case 'conflict':
      if (/expired/.test(message)) key = 'responder.error.expired';
      else if (/cancelled/.test(message)) key = 'responder.error.cancelled';
      else key = 'responder.error.conflict';
      break;
    case 'forbidden':
      key = 'responder.error.forbidden';
      break;
    case 'not_found':
      key = 'responder.error.notFound';
      break;
    case 'unavailable':
      key = 'responder.error.unavailable';
      break;
    case 'invalid':
      key = 'responder.error.invalid';
      break;
    default:
      key = 'responder.error.other';
  }
  // The server's message is English: shown only in English (see renderAction).
  return { key, code: code || 'unknown', detail: message };
}

/** Forgets the request in flight. */
function clearPending() {
  if (pending) clearTimeout(pending.timer);
  pending = null;
}

/** Sends the next step of the current order. */
function act() {
  if (!state || pending) return;
  if (performance.now() < settleUntil) return; // the second tap of a double tap
  const cur = state.activeOrders()[0];
  if (!cur) return;
  const step = NEXT[/** @type {keyof NEXT} */ (cur.dispatch.status)];
  if (!step) return;
  const id = nextId();
  const msg = step === 'ack'
    ? { type: 'ack', id, dispatch_id: cur.dispatch_id }
    : { type: 'status', id, dispatch_id: cur.dispatch_id, status: step };
  if (!link.send(msg)) {
    actionError = { key: 'responder.error.offline' };
    renderAction();
    return;
  }
  actionError = null;
  notice = null;
  pending = {
    id,
    dispatchId: cur.dispatch_id,
    status: String(cur.dispatch.status),
    step,
    timer: setTimeout(() => {
      if (!pending || pending.id !== id) return;
      const { dispatchId, status } = pending;
      clearPending();
      actionError = { key: 'responder.error.timeout', dispatchId, status };
      dropSettledError();
      renderAction();
    }, REPLY_TIMEOUT_MS),
  };
  renderAction();
  renderNotice();
}

/**
 * Vibrates the phone if it can.
 * @param {number[]} pattern
 */
function vibrate(pattern) {
  try {
    // Before the first tap Chrome refuses (and warns in the console).
    const ua = /** @type {any} */ (navigator).userActivation;
    if (ua && ua.hasBeenActive === false) return;
    if (typeof navigator.vibrate === 'function') navigator.vibrate(pattern);
  } catch {
    // not allowed yet (no gesture): the screen still shows it
  }
}

/** A new order was offered: vibrate and bring it into view. */
function alertOffer() {
  vibrate(VIBRATE_OFFER);
  notice = null;
  window.scrollTo({ top: 0, behavior: 'smooth' });
}

/**
 * The title of an order's incident, or the order's id.
 * @param {{dispatch_id: string, dispatch: any, incident: any}} order
 * @returns {string}
 */
function incidentTitle(order) {
  const title = order.incident && typeof order.incident.title === 'string' ? order.incident.title : '';
  return title || order.dispatch_id;
}

/**
 * A time as HH:mm, with MM-DD in front when not today.
 * @param {unknown} s RFC 3339
 * @returns {HTMLElement|null}
 */
function timeNode(s) {
  const d = parseTime(s);
  if (!d) return null;
  const node = el('time', 'when', sameDay(d, serverDate()) ? hhmm(d) : `${mmdd(d)} ${hhmm(d)}`);
  node.setAttribute('datetime', d.toISOString());
  return node;
}

// Rendering

/** Shows the unit's callsign and status in the header. */
function renderHeader() {
  const unit = state && state.unit;
  byId('unit-callsign').textContent = (unit && unit.callsign) || (state ? state.unitId : getUsername());
  const status = unit && typeof unit.status === 'string' ? unit.status : '';
  const node = byId('unit-status');
  node.textContent = status ? unitStatusName(status) : '';
  node.dataset.status = status;
}

/** Shows the link state: the header indicator and the banner while down. */
function renderLink() {
  showLinkState(linkState, 'responder.linkBanner');
}

/**
 * Sets a text field and hides its block when empty.
 * @param {string} id the text element
 * @param {string} blockId the block to hide
 * @param {unknown} text
 */
function textBlock(id, blockId, text) {
  const s = typeof text === 'string' ? text.trim() : '';
  byId(id).textContent = s;
  show(byId(blockId), s !== '');
}

/** Shows the current order (the oldest active one), or that there is none. */
function renderOrder() {
  const card = byId('order');
  const cur = state ? state.activeOrders()[0] : undefined;
  show(byId('order-empty'), !cur);
  show(byId('order-body'), !!cur);
  if (!cur) {
    card.dataset.state = 'none';
    delete card.dataset.dispatchId;
    byId('order-heading').textContent = t('responder.order.heading');
    return;
  }
  const d = cur.dispatch;
  const inc = cur.incident || {};
  const status = String(d.status);
  card.dataset.state = status;
  card.dataset.dispatchId = cur.dispatch_id;
  byId('order-heading').textContent = t(status === 'offered' ? 'responder.order.new' : 'responder.order.heading');

  const tag = byId('order-status');
  tag.textContent = orderStatusName(status);
  tag.dataset.status = status;
  byId('order-id').textContent = cur.dispatch_id;
  const created = parseTime(d.created_at);
  const time = byId('order-time');
  time.textContent = created ? t('responder.order.sentAt', { time: hhmmss(created) }) : '';
  if (created) time.setAttribute('datetime', created.toISOString());

  byId('order-level').replaceChildren(badge(inc.level));
  byId('order-title').textContent = typeof inc.title === 'string' && inc.title ? inc.title : cur.dispatch_id;
  const drill = byId('order-drill');
  drill.textContent = t('incident.drill');
  show(drill, inc.drill === true);
  byId('order-category').textContent = inc.category ? categoryName(inc.category) : t('responder.unknown');
  byId('order-place').textContent = cur.incident ? placeText(inc) : t('responder.unknown');
  const loc = inc.location;
  const located = !!loc && isLonLat(loc.lon, loc.lat);
  byId('order-coords').textContent = located ? t('responder.coords', { lat: loc.lat.toFixed(5), lon: loc.lon.toFixed(5) }) : t('responder.unknown');
  const nav = /** @type {HTMLAnchorElement} */ (byId('nav-link'));
  const aimed = aimNav(nav, inc);
  if (!aimed) nav.removeAttribute('href');
  show(nav, aimed);
  const people = casualties(inc);
  byId('order-people').replaceChildren(people ?? document.createTextNode(t('responder.noCasualties')));
  const reasons = reasonTexts(inc);
  byId('order-reasons').textContent = reasons.join(t('incident.reasonsSep'));
  show(byId('order-reasons'), reasons.length > 0);
  textBlock('order-description', 'order-description-block', inc.description);
  textBlock('order-note', 'order-note-block', orderNote(d.note));
  renderCountdown();
  renderMap();
}

/** Moves the time left to acknowledge on (a few times a second). */
function renderCountdown() {
  const cur = state ? state.activeOrders()[0] : undefined;
  const box = byId('ack-due');
  const offered = !!cur && cur.dispatch.status === 'offered';
  const due = offered ? parseTime(cur.dispatch.ack_due) : null;
  show(box, offered && !!due);
  if (!offered || !due) return;
  const left = due.getTime() - serverNow();
  box.dataset.state = left <= 0 ? 'late' : left <= 15000 ? 'soon' : 'ok';
  byId('ack-due-label').textContent = t(left <= 0 ? 'responder.ackLate' : 'responder.ackDue');
  byId('ack-countdown').textContent = left <= 0 ? '' : countdown(left);
}

/** Shows the incident and the unit's own position on the small map. */
function renderMap() {
  if (!state || !miniMap) return;
  const cur = state.activeOrders()[0];
  if (!cur) return;
  const inc = cur.incident;
  const loc = inc && inc.location;
  const pos = state.unit && state.unit.position;
  miniMap.show(
    loc && isLonLat(loc.lon, loc.lat) ? { id: String(inc.id ?? cur.dispatch_id), level: inc.level, lon: loc.lon, lat: loc.lat } : null,
    pos && isLonLat(pos.lon, pos.lat) ? { lon: pos.lon, lat: pos.lat } : null,
  );
}

/**
 * Drops a lost or late answer's error once its order has moved on from the
 * status the step was sent from (a replay, a later update or a late reply
 * shows it was recorded) or has ended: "please retry" would then take a
 * step the person did not mean.
 */
function dropSettledError() {
  if (!actionError || !actionError.dispatchId || !state) return;
  const o = state.orders.get(actionError.dispatchId);
  if (!o || String(o.dispatch.status) !== actionError.status) actionError = null;
}

/** Shows the big button for the next step, and any error. */
function renderAction() {
  dropSettledError();
  const cur = state ? state.activeOrders()[0] : undefined;
  const bar = byId('action-bar');
  show(bar, !!cur);
  document.body.classList.toggle('has-action', !!cur);
  const btn = /** @type {HTMLButtonElement} */ (byId('action-btn'));
  const errLine = byId('action-error');
  const hint = byId('action-hint');
  const step = cur ? NEXT[/** @type {keyof NEXT} */ (cur.dispatch.status)] : undefined;
  if (!cur || !step) {
    shownStep = '';
    show(errLine, false);
    show(hint, false);
    return;
  }
  const shown = `${cur.dispatch_id}/${step}`;
  if (shown !== shownStep) {
    shownStep = shown;
    settleUntil = performance.now() + STEP_SETTLE_MS;
    clearTimeout(settleTimer);
    settleTimer = setTimeout(renderAction, STEP_SETTLE_MS + 20);
  }
  if (performance.now() < settleUntil) btn.dataset.settling = 'true';
  else delete btn.dataset.settling;
  const busy = pending !== null && pending.dispatchId === cur.dispatch_id;
  btn.dataset.step = step;
  btn.textContent = t(busy ? 'responder.sending' : `responder.action.${step}`);
  btn.disabled = busy || linkState !== 'up';
  btn.setAttribute('aria-busy', String(busy));
  if (actionError) {
    errLine.replaceChildren(
      el('strong', 'action-error-text', t(actionError.key, actionError.params)),
      // The server's detail is English: shown only in English, kept as
      // data for support otherwise.
      ...(actionError.detail && lang() === 'en' ? [el('span', 'action-error-detail', actionError.detail)] : []),
    );
    if (actionError.detail) errLine.dataset.detail = actionError.detail;
    else delete errLine.dataset.detail;
    errLine.dataset.code = actionError.code ?? actionError.key;
  } else {
    errLine.replaceChildren();
    delete errLine.dataset.code;
    delete errLine.dataset.detail;
  }
  show(errLine, actionError !== null);
  hint.textContent = linkState !== 'up' ? t('responder.offlineHint') : '';
  show(hint, linkState !== 'up' && !actionError);
}

/** Shows the other active orders, if there is more than one. */
function renderOthers() {
  const others = state ? state.activeOrders().slice(1) : [];
  replaceLive(byId('others'), () => others.map((o) => {
    const li = el('li', 'compact-item', null, spaced([
      el('span', 'compact-title', incidentTitle(o)),
      el('span', `order-status-tag small`, orderStatusName(String(o.dispatch.status))),
    ]));
    li.dataset.dispatchId = o.dispatch_id;
    li.dataset.status = String(o.dispatch.status);
    return li;
  }));
  show(byId('others-section'), others.length > 0);
}

/** Shows the plans' tasks. */
function renderTasks() {
  const tasks = state ? state.tasks : [];
  replaceLive(byId('tasks'), () => tasks.map((x) => {
    const items = Array.isArray(x.tasks) ? x.tasks.map((tk) => el('li', 'task-step', localText(tk))) : [];
    const li = el('li', 'task', null, [
      el('div', 'task-head', null, spaced([
        el('strong', 'task-plan', localText(x.plan_name) || String(x.plan_id ?? '')),
        x.drill === true || (x.incident && x.incident.drill === true) ? el('span', 'tag drill-tag task-drill', t('incident.drill')) : null,
        timeNode(x.assigned_at),
      ])),
      el('div', 'task-group', null, spaced([
        el('span', 'task-label', t('responder.tasks.group')),
        el('strong', 'task-group-name', localText(x.group_name) || String(x.group_id ?? '')),
      ])),
      x.incident && x.incident.title ? el('div', 'task-incident', null, spaced([
        x.incident.level ? badge(x.incident.level) : null,
        el('span', 'task-incident-title', String(x.incident.title)),
      ])) : null,
      x.incident ? taskPlace(x.incident) : null,
      el('ol', 'task-steps', null, items),
      taskControls(x),
    ].filter(Boolean));
    li.dataset.activationId = String(x.activation_id);
    li.dataset.groupId = String(x.group_id ?? '');
    li.dataset.planId = String(x.plan_id ?? '');
    li.dataset.sending = String(typeof x.id === 'string' && taskSending.has(x.id)); // an answer on its way
    li.dataset.status = String(x.status ?? 'assigned');
    if (typeof x.id === 'string') li.dataset.taskId = x.id;
    return li;
  }));
  show(byId('tasks-empty'), tasks.length === 0);
  const open = new Set(tasks.filter((x) => x.status !== 'done' && x.status !== 'closed').map((x) => x.id));
  for (const id of [...noteFields.keys()]) if (!open.has(id)) noteFields.delete(id);
  for (const id of [...taskErrors.keys()]) if (!open.has(id)) taskErrors.delete(id);
}

/**
 * Where a task's incident is: its address (or its coordinates), whether
 * that is only its grid's centre, and a link that opens the phone's map
 * app there; null when the brief says neither.
 * @param {any} inc the task's incident brief
 * @returns {HTMLElement|null}
 */
function taskPlace(inc) {
  const addr = typeof inc.address === 'string' ? inc.address.trim() : '';
  const loc = inc.location;
  const located = !!loc && isLonLat(loc.lon, loc.lat);
  if (!addr && !located) return null;
  const text = addr || t('responder.coords', { lat: loc.lat.toFixed(5), lon: loc.lon.toFixed(5) });
  const nav = /** @type {HTMLAnchorElement} */ (el('a', 'btn task-nav', t('responder.navigate')));
  return el('div', 'task-place', null, spaced([
    el('span', 'task-label', t('responder.tasks.place')),
    el('span', 'task-place-text', text),
    inc.location_approximate === true ? el('span', 'tag task-approx', t('map.approx')) : null,
    aimNav(nav, inc) ? nav : null,
  ]));
}

/**
 * Points a navigate button at an incident's place in the deployment's map
 * app, named by its address, else its title. False when the place has no
 * coordinates or the app is not known yet (no button: a guess could send
 * the responder to the wrong datum).
 * @param {HTMLAnchorElement} a
 * @param {any} inc the incident or its brief
 * @returns {boolean}
 */
function aimNav(a, inc) {
  const loc = inc.location;
  const app = navigationApp();
  if (!app || !loc || !isLonLat(loc.lon, loc.lat)) return false;
  const addr = typeof inc.address === 'string' ? inc.address.trim() : '';
  setNavLink(a, app, loc.lon, loc.lat, addr || (typeof inc.title === 'string' ? inc.title : ''));
  return true;
}

/**
 * The state of a task and what may be done with it next: acknowledge, then
 * mark done with an optional note.
 * @param {any} x the task
 * @returns {HTMLElement|null}
 */
function taskControls(x) {
  if (typeof x.id !== 'string') return null; // announced before tasks were stored
  const status = ['assigned', 'acknowledged', 'done', 'closed'].includes(x.status) ? x.status : 'assigned';
  const box = el('div', 'task-actions');
  box.append(el('span', `task-status task-status-${status}`, t(`tasks.status.${status}`)));
  if (status === 'done') {
    if (x.note) box.append(el('span', 'task-note', String(x.note)));
    return box;
  }
  if (status === 'closed') {
    box.append(el('span', 'task-note', t('tasks.closed')));
    return box;
  }
  const refusal = taskErrors.get(x.id);
  const error = el('p', 'task-error', refusal ? t(refusal.key, refusal.params) : '');
  error.setAttribute('role', 'alert');
  /** @type {HTMLInputElement|null} */
  let note = null;
  const send = async (/** @type {'ack'|'done'} */ what) => {
    if (taskSending.has(x.id)) return;
    taskSending.add(x.id);
    taskErrors.delete(x.id);
    renderTasks();
    try {
      const body = what === 'done' && note && note.value.trim() ? { note: note.value.trim() } : undefined;
      const res = await api.request('POST', `/api/v1/tasks/${api.pathSegment(x.id)}/${what}`, { body });
      if (state) state.updateTask(res);
    } catch (err) {
      const st = err instanceof api.ApiError ? err.status : 0;
      const detail = err instanceof api.ApiError && err.problem ? String(err.problem.detail ?? '') : '';
      if (st === 409 && detail.endsWith('its tasks are closed')) {
        // The plan ended or was rejected while this phone was not told:
        // the task is closed here too, for good.
        if (state) state.updateTask({ id: x.id, status: 'closed' });
      } else {
        taskErrors.set(x.id, st === 409 ? { key: 'tasks.changed' } : { key: 'tasks.failed', params: { status: st || '—' } });
      }
    } finally {
      taskSending.delete(x.id);
      renderTasks();
    }
  };
  if (status === 'assigned') {
    const ack = /** @type {HTMLButtonElement} */ (el('button', 'btn btn-primary task-ack', t('tasks.ack')));
    ack.type = 'button';
    ack.disabled = taskSending.has(x.id);
    ack.addEventListener('click', () => send('ack'));
    box.append(ack);
  } else {
    const id = `task-note-${x.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    const label = el('label', 'field-label task-note-label', t('tasks.note'));
    label.setAttribute('for', id);
    // The field is kept across renders, so a note being typed survives a
    // task arriving or the link coming back (with its focus and caret).
    note = noteFields.get(x.id) ?? /** @type {HTMLInputElement} */ (el('input', 'field task-note-input'));
    noteFields.set(x.id, note);
    note.id = id;
    note.maxLength = 2000;
    const done = /** @type {HTMLButtonElement} */ (el('button', 'btn btn-primary task-done', t('tasks.done')));
    done.type = 'button';
    done.disabled = taskSending.has(x.id);
    done.addEventListener('click', () => send('done'));
    box.append(label, note, done);
  }
  box.append(error);
  return box;
}

/** Shows the position sharing switch and its state. */
function renderShare() {
  const st = sharer.state();
  const btn = /** @type {HTMLButtonElement} */ (byId('share-toggle'));
  btn.setAttribute('aria-checked', String(st.on));
  btn.classList.toggle('on', st.on);
  const offDuty = !!state && !!state.unit && state.unit.status === 'off_duty';
  const why = geoUnavailable();
  btn.disabled = !st.on && (offDuty || why !== null);
  const line = byId('share-status');
  let status = st.status;
  if (!st.on && why && (status === 'off' || status === why)) status = why;
  line.dataset.status = status;
  let text;
  if (!st.on && offDuty && status === 'off') {
    text = t('responder.share.offDuty');
  } else if (status === 'sent' && st.sentAt) {
    text = st.accuracy !== null
      ? t('responder.share.sentAcc', { time: hhmmss(st.sentAt), m: Math.round(st.accuracy) })
      : t('responder.share.sent', { time: hhmmss(st.sentAt) });
  } else if (status === 'refused') {
    text = t('responder.share.refused', { message: st.message });
  } else {
    text = t(`responder.share.${status}`);
  }
  line.textContent = text;
}

/** Shows the past orders, newest first (the last ten). */
function renderHistory() {
  const past = state ? state.history.slice(0, 10) : [];
  replaceLive(byId('history'), () => past.map((o) => {
    const status = String(o.dispatch.status ?? 'unknown');
    const li = el('li', 'compact-item history-item', null, spaced([
      el('span', 'compact-title', incidentTitle(o)),
      el('span', `order-status-tag small`, orderStatusName(status)),
      timeNode(o.dispatch.cleared_at || o.dispatch.expired_at || o.dispatch.cancelled_at || o.dispatch.updated_at),
    ]));
    li.dataset.dispatchId = o.dispatch_id;
    li.dataset.status = status;
    return li;
  }));
  show(byId('history-empty'), past.length === 0);
}

/** Shows the notice (an order that ended, a new task, a plan ended), if any. */
function renderNotice() {
  const box = byId('notice');
  if (!notice) {
    show(box, false);
    delete box.dataset.kind;
    return;
  }
  box.dataset.kind = notice.kind;
  byId('notice-text').textContent = t(notice.key, notice.params);
  show(byId('notice-go'), !!notice.caseId);
  show(box, true);
}

/** Renders everything in the current language. */
function renderAll() {
  if (!onApp) return;
  renderHeader();
  renderLink();
  renderNotice();
  renderOrder();
  renderAction();
  renderOthers();
  renderTasks();
  renderShare();
  renderHistory();
  renderCaseDesk(isGridOfficer());
  renderWarnings();
}

// Life cycle

/** Asks the server for the unit again (status, and the position it has). */
function refreshUnit() {
  if (!state) return;
  const s = state;
  api.unit(s.unitId)
    .then((u) => {
      if (state !== s || !u) return;
      const mine = s.unit && s.unit.position;
      const theirs = u.position;
      // The phone's own fix may be newer than what the server has.
      if (mine && theirs && Date.parse(mine.at) > Date.parse(theirs.at)) u.position = mine;
      s.setUnit(u);
      renderHeader();
      renderMap();
      renderShare();
      renderCaseDesk(isGridOfficer());
    })
    .catch(() => {});
}

/** Loads categories and level names, then relabels what uses them. */
function refreshReference() {
  loadReference()
    .then(() => {
      if (onApp) renderAll();
    })
    .catch(() => {});
}

/**
 * After the socket closes, signs out if the token is gone (signed out in
 * another tab). Whether the session still holds the live link asks itself
 * when its next dial fails (live.js).
 */
function checkSession() {
  if (!getToken()) {
    signedOut(false);
  }
}

/** Shows the page for the signed-in unit and starts the live link. */
function showApp() {
  const unitId = getUnit() || getUsername();
  if (!unitId) {
    signedOut(false);
    return;
  }
  onApp = true;
  state = new ResponderState(unitId);
  linkState = 'connecting';
  show(byId('login'), false);
  show(byId('app'), true);
  if (!miniMap) miniMap = new MiniMap(byId('order-map'));
  renderAll();
  link.start();
  refreshReference();
  refreshUnit();
  startWarnings(unitId);
  clearInterval(tickTimer);
  tickTimer = setInterval(renderCountdown, 250);
  clearInterval(unitTimer);
  unitTimer = setInterval(() => {
    if (linkState === 'up' && state && state.orders.size > 0 && document.visibilityState === 'visible') refreshUnit();
  }, UNIT_REFRESH_MS);
  if (state.share) sharer.start();
}

/**
 * Stops everything live and shows the sign-in form.
 * @param {boolean} forget whether to forget this unit's orders and tasks
 *   (a sign-out by the person; an expired session keeps them)
 */
function signedOut(forget) {
  link.stop();
  sharer.stop();
  clearPending();
  clearInterval(tickTimer);
  clearInterval(unitTimer);
  if (state) {
    if (forget) state.clear();
    else state.saveNow();
  }
  state = null;
  actionError = null;
  notice = null;
  resetCaseDesk();
  noteFields.clear();
  taskSending.clear();
  taskErrors.clear();
  resetWarnings();
  clearSession();
  clearReference();
  if (onApp) resetLogin();
  onApp = false;
  show(byId('app'), false);
  show(byId('login'), true);
  document.body.classList.remove('has-action');
  const user = /** @type {HTMLInputElement} */ (byId('username'));
  if (!user.value) user.focus();
  else byId('password').focus();
}

/** Ends the session on the server (best effort) and signs out here. */
async function logout() {
  link.stop();
  await endSession(() => signedOut(true));
}

/** Switches position sharing on or off (remembered for this unit). */
function toggleShare() {
  if (!state) return;
  if (sharer.state().on) {
    sharer.stop();
    state.share = false;
  } else {
    sharer.start();
    state.share = sharer.state().on;
  }
  state.save();
  renderShare();
}

function main() {
  routeMessages();
  applyLabels(document);
  labelLangToggles();
  renderLogin();
  onLangChange(() => {
    labelLangToggles();
    renderLogin();
    if (miniMap) miniMap.relabel();
    renderAll();
  });
  for (const b of document.querySelectorAll('.lang-toggle')) {
    b.addEventListener('click', () => toggleLang());
  }
  byId('action-btn').addEventListener('click', act);
  initCaseDesk({
    unitId: () => (state ? state.unitId : ''),
    now: serverNow,
    notify(kind, key, params) {
      notice = { kind, key, params };
      renderNotice();
    },
  });
  byId('share-toggle').addEventListener('click', toggleShare);
  byId('notice-go').addEventListener('click', () => {
    if (notice && notice.caseId) showCase(notice.caseId);
  });
  byId('notice-close').addEventListener('click', () => {
    notice = null;
    renderNotice();
  });
  byId('logout').addEventListener('click', () => {
    logout();
  });
  api.onUnauthorized(() => {
    if (onApp || getToken()) signedOut(false);
  });
  initLogin(showApp, { roles: ['responder'], roleError: 'responder.error.role' });
  if (getToken()) showApp();
  else signedOut(false);
}

main();

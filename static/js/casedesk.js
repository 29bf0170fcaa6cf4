// Grid cases (网格事件) on the responder's phone, for grid officers (and
// "我的事件" for any unit a case was given to):
// "上报事件" (report a case: kind, title, description, people, the phone's
// current position, and an optional photo from the camera, uploaded once
// the case exists) and "我的事件" (the cases the officer reported or that
// were given to the unit, with the time left to each step's limit; a case
// given to the unit and dispatched has one big "处理完毕" button that asks
// for the result, and for a dispute the mediation outcome, and sends the
// handle action).
//
// A submission carries an Idempotency-Key: a retry of the same form (after a
// lost answer) reuses it, so the server creates one case. Photos are shown
// from data: URLs (the page's CSP allows data: images, not blob: ones).
// Text from the server is only ever set through DOM nodes.
//
// Hooks for tests: #report-section (hidden unless the unit is a
// grid_officer), #mycases-section (hidden unless a grid_officer or the unit
// has cases); #report-form with #report-kind, #report-title,
// #report-description, #report-people; #report-loc[data-state]
// (none|locating|ok|denied|unavailable|timeout|unsupported|insecure) with
// #report-loc-text and #report-locate; #report-photo (the file input),
// #report-photo-preview > #report-photo-img; #report-error[data-code];
// #report-done[data-case-id]; #report-retry-photo; #report-submit
// [aria-busy]. #mycases-count; #mycases-note[data-state]
// (loading|ready|failed|empty); #mycases > li.mycase[data-case-id]
// [data-status][data-kind][data-overdue][data-to-handle][data-fresh] with
// .mycase-due[data-state] (ok|soon|over|none), img.mycase-thumb,
// button.case-handle-btn[data-case-id], form.case-handle-form
// [data-case-id] (textarea.case-result, input.case-mediation-input
// [value=success|failed], button.case-handle-submit[aria-busy],
// .case-handle-error[data-code]).

import * as api from './api.js';
import { caseDue, caseGridName, caseKindName, caseLevelName, caseOpen, caseStatusTag, caseKinds, isMediationKind, loadCaseKinds } from './caseview.js';
import { byId, el, show, spaced } from './dom.js';
import { hhmm, hhmmss, mmdd, parseTime, sameDay } from './format.js';
import { geoUnavailable } from './geo.js';
import { applyLabels, t } from './i18n.js';
import { serverDate, serverNow } from './clock.js';

/** The largest photo the server takes. */
const MAX_PHOTO_BYTES = 5 * 1024 * 1024;
/** A photo re-encoded on the phone is at most this many pixels on its long side. */
const MAX_PHOTO_SIDE = 2560;
/** A position fix older than this is not the current position any more. */
const FIX_MAX_AGE_MS = 5 * 60 * 1000;
/** How often the list is asked for again while shown. */
const REFRESH_MS = 60000;
/** After a failed load, try again this soon. */
const RETRY_MS = 15000;
/** How many finished cases are listed under the open ones. */
const FINISHED_MAX = 10;
const THUMB_SIDE = 160;

/**
 * @typedef {object} DeskOptions
 * @property {() => string} unitId the unit the account is bound to
 * @property {() => number} now the time by the server's clock, in ms
 * @property {(kind: string, key: string, params?: Record<string, string|number>) => void} notify
 *   shows a notice at the top of the page
 */

/** @type {DeskOptions|null} */
let opts = null;
/** Whether a unit is signed in and the desk is live. */
let enabled = false;
/** Whether the unit is a grid officer, who reports cases. */
let officer = false;

// "我的事件"

/** @type {Map<string, any>} the officer's cases by id */
let cases = new Map();
/** @type {'idle'|'loading'|'ready'|'failed'} */
let listState = 'idle';
/** @type {Promise<void>|null} */
let inflight = null;
let generation = 0;
/** @type {ReturnType<typeof setTimeout>|undefined} */
let retryTimer;
/** @type {ReturnType<typeof setInterval>|undefined} */
let refreshTimer;
/** @type {ReturnType<typeof setInterval>|undefined} */
let tickTimer;
/** @type {Set<string>} cases given to the unit since the page was opened, not yet handled */
const fresh = new Set();
/** @type {Map<string, {li: HTMLLIElement, key: string}>} list items by case id */
const items = new Map();

/**
 * The handle form of one case, kept while it is open so that a re-render
 * does not lose what was typed.
 * @typedef {{form: HTMLFormElement, result: HTMLTextAreaElement, error: HTMLElement, submit: HTMLButtonElement, busy: boolean}} HandleForm
 */
/** @type {Map<string, HandleForm>} */
const forms = new Map();

/** @type {Map<string, string>} photo thumbnails (data: URLs, or '' when failed) by "id/n" */
const thumbs = new Map();
/** @type {Set<string>} thumbnails being fetched */
const thumbsLoading = new Set();

// "上报事件"

/**
 * @typedef {'none'|'locating'|'ok'|'denied'|'unavailable'|'timeout'|'unsupported'|'insecure'} LocState
 */
/** @type {LocState} */
let locState = 'none';
/** @type {{lon: number, lat: number, accuracy: number|null, at: number}|null} */
let fix = null;
let locGen = 0;
/** @type {{blob: Blob, url: string, name: string}|null} the photo to upload */
let photo = null;
let photoGen = 0;
/** @type {{key: string, params?: Record<string, string|number>, code: string, detail?: string}|null} */
let reportError = null;
/** @type {{id: string}|null} the case just reported */
let reportDone = null;
/** @type {{caseId: string, blob: Blob, name: string}|null} a photo whose upload failed */
let photoRetry = null;
/** @type {''|'sending'|'uploading'} */
let reportBusy = '';
/**
 * The last submission whose outcome is unknown (no answer, or one that does
 * not prove nothing was stored): its key and the exact body sent, and that
 * body without the location (fields). Submitted again with the same fields,
 * it is sent again as it was, its location frozen (a new fix would make a
 * new key and could file the case twice).
 * @type {{key: string, json: string, fields: string}|null}
 */
let attempt = null;
/** @type {Set<string>} fields the server or the form found wrong */
let badFields = new Set();

/**
 * Sets up the module once the page's elements exist.
 * @param {DeskOptions} o
 */
export function initCaseDesk(o) {
  opts = o;
  byId('report-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    submitReport();
  });
  byId('report-form').addEventListener('focusin', () => {
    if (locState === 'none' && !freshFix()) locate();
  });
  byId('report-form').addEventListener('input', (ev) => {
    const target = ev.target instanceof HTMLElement ? ev.target : null;
    const field = target ? target.dataset.field : undefined;
    if (!field || !badFields.delete(field)) return;
    if (reportError && reportError.code === `need.${field}`) reportError = null;
    renderReport();
  });
  byId('report-locate').addEventListener('click', () => locate());
  byId('report-photo').addEventListener('change', onPhotoChosen);
  byId('report-photo-remove').addEventListener('click', () => {
    clearPhoto();
    renderReport();
  });
  byId('report-retry-photo').addEventListener('click', () => {
    retryPhoto();
  });
  byId('mycases').addEventListener('click', onListClick);
}

/** Fills the report form's kinds from the configuration, names in the current language. */
function fillKinds() {
  const select = /** @type {HTMLSelectElement} */ (byId('report-kind'));
  const picked = select.value;
  for (const o of [...select.options]) if (o.value) o.remove();
  for (const k of caseKinds()) {
    const o = document.createElement('option');
    o.value = k.id;
    o.textContent = caseKindName(k.id);
    select.append(o);
  }
  select.value = picked;
}

/**
 * Renders the grid case sections in the current language: "上报事件" for
 * grid officers only; "我的事件" for grid officers, and for any other unit
 * once a case was given to it. The list is loaded the first time.
 * @param {boolean} isGridOfficer
 */
export function renderCaseDesk(isGridOfficer) {
  const was = enabled;
  enabled = true;
  officer = isGridOfficer;
  if (!was) startTimers();
  if (listState === 'idle') refreshCases();
  show(byId('report-section'), officer);
  if (caseKinds().length === 0) loadCaseKinds().then(fillKinds, () => {});
  fillKinds();
  renderReport();
  renderList();
}

/** Starts the periodic refresh and the tick of the time left. */
function startTimers() {
  stopTimers();
  refreshTimer = setInterval(() => {
    if (document.visibilityState === 'visible') refreshCases();
  }, REFRESH_MS);
  tickTimer = setInterval(tick, 15000);
}

/** Stops the periodic refresh and the tick. */
function stopTimers() {
  clearInterval(refreshTimer);
  clearInterval(tickTimer);
  clearTimeout(retryTimer);
  refreshTimer = undefined;
  tickTimer = undefined;
}

/**
 * The unit's id.
 * @returns {string}
 */
function unitId() {
  return opts ? opts.unitId() : '';
}

/**
 * The time now by the server's clock.
 * @returns {number}
 */
function now() {
  return opts ? opts.now() : serverNow();
}

// The list

/**
 * Asks for the officer's cases again (calls made while a load is under way
 * share it).
 * @returns {Promise<void>}
 */
export function refreshCases() {
  if (!enabled) return Promise.resolve();
  if (inflight) return inflight;
  const gen = generation;
  if (listState === 'idle' || listState === 'failed') listState = 'loading';
  clearTimeout(retryTimer);
  renderList();
  const p = api.cases()
    .then((res) => {
      if (gen !== generation) return;
      const list = res && Array.isArray(res.cases) ? res.cases : [];
      const next = new Map();
      for (const c of list) {
        if (c && typeof c.id === 'string') next.set(c.id, newer(cases.get(c.id), c));
      }
      cases = next;
      for (const id of [...fresh]) {
        const c = cases.get(id);
        if (!c || !toHandle(c)) fresh.delete(id);
      }
      listState = 'ready';
    })
    .catch(() => {
      if (gen !== generation) return;
      listState = 'failed';
      retryTimer = setTimeout(() => {
        if (gen === generation) refreshCases();
      }, RETRY_MS);
    })
    .finally(() => {
      if (inflight === p) inflight = null;
      if (gen === generation) renderList();
    });
  inflight = p;
  return p;
}

/**
 * The newer of two states of a case (by version, else update time).
 * @param {any} a may be undefined
 * @param {any} b
 * @returns {any}
 */
function newer(a, b) {
  if (!a) return b;
  const v = (/** @type {any} */ c) => (typeof c.version === 'number' ? c.version : Date.parse(c.updated_at) || 0);
  return v(a) > v(b) ? a : b;
}

/**
 * Applies case.assigned: a case given to this unit. It is listed at once
 * (and the list asked for again).
 * @param {any} c the case
 * @returns {boolean} whether it waits for this unit to handle it (worth an
 *   alert)
 */
export function applyAssigned(c) {
  if (!c || typeof c !== 'object' || typeof c.id !== 'string') return false;
  const known = cases.get(c.id);
  const cur = newer(known, c);
  cases.set(c.id, cur);
  const waiting = toHandle(cur);
  if (waiting) fresh.add(c.id);
  if (listState !== 'ready') listState = 'ready';
  renderList();
  refreshCases();
  return waiting;
}

/**
 * Reports whether the unit is to handle a case now: given to it, dispatched.
 * @param {any} c
 * @returns {boolean}
 */
function toHandle(c) {
  return !!c && c.status === 'dispatched' && c.assignee === unitId();
}

/**
 * Milliseconds since the epoch of a time, or fallback.
 * @param {unknown} s
 * @param {number} fallback
 * @returns {number}
 */
function ms(s, fallback) {
  const v = typeof s === 'string' ? Date.parse(s) : NaN;
  return Number.isNaN(v) ? fallback : v;
}

/**
 * The cases in the order shown: those to handle (soonest limit first), the
 * other open ones (latest change first), then a few finished ones.
 * @returns {any[]}
 */
function ordered() {
  const all = [...cases.values()];
  const mine = all.filter(toHandle).sort((a, b) => ms(a.due_at, Infinity) - ms(b.due_at, Infinity));
  const open = all.filter((c) => caseOpen(c) && !toHandle(c)).sort((a, b) => ms(b.updated_at, 0) - ms(a.updated_at, 0));
  const done = all.filter((c) => !caseOpen(c)).sort((a, b) => ms(b.updated_at, 0) - ms(a.updated_at, 0)).slice(0, FINISHED_MAX);
  return [...mine, ...open, ...done];
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

/**
 * Sets a time-left element's text and state.
 * @param {HTMLElement} node
 * @param {any} c
 */
function fillDue(node, c) {
  const due = caseDue(c, now());
  node.textContent = due.text;
  node.dataset.state = due.state;
  show(node, due.text !== '');
}

/**
 * The thumbnail of a case's first photo, fetched once (with the bearer
 * token) and shown from a data: URL.
 * @param {any} c
 * @returns {HTMLElement|null}
 */
function thumbNode(c) {
  const n = Array.isArray(c.photos) && c.photos.length > 0 ? Number(c.photos[0].n) || 1 : 0;
  if (!n) return null;
  const key = `${c.id}/${n}`;
  const url = thumbs.get(key);
  if (url === undefined) loadThumb(c.id, n);
  if (!url) return null;
  const img = /** @type {HTMLImageElement} */ (el('img', 'mycase-thumb'));
  img.src = url;
  img.alt = t('responder.cases.photoAlt');
  img.decoding = 'async';
  return img;
}

/**
 * Fetches a photo and makes its thumbnail, then re-renders the list.
 * @param {string} id
 * @param {number} n
 */
function loadThumb(id, n) {
  const key = `${id}/${n}`;
  if (thumbsLoading.has(key)) return;
  thumbsLoading.add(key);
  const gen = generation;
  api.casePhoto(id, n)
    .then((blob) => thumbnail(blob, THUMB_SIDE))
    .then((url) => {
      if (gen !== generation) return;
      thumbs.set(key, url);
      items.delete(id); // rebuilt with the picture
      renderList();
    })
    .catch(() => {
      if (gen === generation) thumbs.set(key, '');
    })
    .finally(() => thumbsLoading.delete(key));
}

/**
 * What a list item shows depends on, to tell when to rebuild it.
 * @param {any} c
 * @returns {string}
 */
function itemKey(c) {
  return [c.version ?? c.updated_at, c.status, c.overdue, fresh.has(c.id), forms.has(c.id), toHandle(c), document.documentElement.lang].join('|');
}

/**
 * One case in the list.
 * @param {any} c
 * @returns {HTMLLIElement}
 */
function caseItem(c) {
  const handle = toHandle(c);
  const li = /** @type {HTMLLIElement} */ (el('li', 'mycase'));
  li.dataset.caseId = c.id;
  li.dataset.status = String(c.status ?? '');
  li.dataset.kind = String(c.kind ?? '');
  li.dataset.overdue = String(c.overdue === true);
  li.dataset.toHandle = String(handle);
  li.dataset.fresh = String(fresh.has(c.id));
  const due = el('span', 'mycase-due');
  fillDue(due, c);
  const head = el('div', 'mycase-head', null, spaced([
    fresh.has(c.id) ? el('span', 'mycase-new', t('responder.cases.assignedNew')) : null,
    el('span', 'mycase-kind', caseKindName(c.kind)),
    caseStatusTag(c, 'small'),
    c.overdue === true ? el('span', 'mycase-overdue', t('case.overdue')) : null,
    c.supervision ? el('span', 'mycase-supervised', t('case.supervised')) : null,
  ]));
  const body = el('div', 'mycase-body', null, [
    el('strong', 'mycase-title', typeof c.title === 'string' ? c.title : c.id),
    el('div', 'mycase-meta', null, spaced([
      el('span', 'mycase-level', caseLevelName(c.handling_level)),
      el('span', 'mycase-grid', caseGridName(c)),
      el('span', 'mycase-id', String(c.id)),
      timeNode(c.created_at),
    ])),
    due,
    typeof c.result === 'string' && c.result ? el('p', 'mycase-result', t('responder.cases.result', { result: c.result })) : null,
    c.mediation ? el('p', 'mycase-mediation', t(`case.mediation.${c.mediation}`)) : null,
  ]);
  const thumb = thumbNode(c);
  li.append(el('div', 'mycase-top', null, [el('div', 'mycase-text', null, [head, body]), thumb]));
  if (handle) {
    const f = forms.get(c.id);
    if (f) {
      li.append(f.form);
    } else {
      const btn = /** @type {HTMLButtonElement} */ (el('button', 'case-handle-btn', t('responder.cases.handle')));
      btn.type = 'button';
      btn.dataset.caseId = c.id;
      li.append(btn);
    }
  }
  return li;
}

/** Renders "我的事件": the list (rebuilding only what changed), its count and note. */
function renderList() {
  if (!enabled) return;
  show(byId('mycases-section'), officer || cases.size > 0);
  const list = ordered();
  const nodes = list.map((c) => {
    const key = itemKey(c);
    const had = items.get(c.id);
    if (had && had.key === key) return had.li;
    const li = caseItem(c);
    items.set(c.id, { li, key });
    return li;
  });
  const shown = new Set(list.map((c) => c.id));
  for (const id of [...items.keys()]) if (!shown.has(id)) items.delete(id);
  for (const id of [...forms.keys()]) {
    if (!shown.has(id) || !toHandle(cases.get(id))) forms.delete(id);
  }
  const ol = byId('mycases');
  const cur = [...ol.children];
  if (cur.length !== nodes.length || cur.some((n, i) => n !== nodes[i])) ol.replaceChildren(...nodes);
  for (const f of forms.values()) renderForm(f);
  const n = list.filter(toHandle).length;
  const count = byId('mycases-count');
  count.textContent = n ? t('responder.cases.toHandle', { n }) : '';
  count.dataset.count = String(n);
  const note = byId('mycases-note');
  const state = listState === 'ready' && list.length === 0 ? 'empty' : listState === 'idle' ? 'loading' : listState;
  note.dataset.state = state;
  const key = { loading: 'responder.cases.loading', failed: 'responder.cases.error', empty: 'responder.cases.empty' }[/** @type {'loading'|'failed'|'empty'} */ (state)];
  note.textContent = key && !(state === 'loading' && list.length > 0) ? t(key) : '';
  show(note, note.textContent !== '');
}

/**
 * Brings a case of the list into view and puts the focus on its button.
 * @param {string} id
 * @returns {boolean} false when the case is not listed
 */
export function showCase(id) {
  const e = items.get(id);
  if (!enabled || !e || !e.li.isConnected) return false;
  e.li.scrollIntoView({ block: 'center', behavior: 'smooth' });
  const btn = e.li.querySelector('button.case-handle-btn, textarea.case-result');
  if (btn instanceof HTMLElement) btn.focus({ preventScroll: true });
  return true;
}

/** Moves the time left on (every few seconds). */
function tick() {
  if (!enabled) return;
  for (const [id, { li }] of items) {
    const c = cases.get(id);
    const due = li.querySelector('.mycase-due');
    if (c && due instanceof HTMLElement) fillDue(due, c);
  }
  if (fix && Date.now() - fix.at > FIX_MAX_AGE_MS) {
    fix = null;
    if (locState === 'ok') locState = 'none';
    renderReport();
  }
}

/**
 * Handles clicks in the list: the big button opens the handle form, the
 * form's cancel closes it.
 * @param {MouseEvent} ev
 */
function onListClick(ev) {
  const target = ev.target instanceof Element ? ev.target : null;
  if (!target) return;
  const open = target.closest('button.case-handle-btn');
  if (open instanceof HTMLButtonElement && open.dataset.caseId) {
    openForm(open.dataset.caseId);
    return;
  }
  const cancel = target.closest('button.case-handle-cancel');
  if (cancel instanceof HTMLButtonElement && cancel.dataset.caseId) {
    const f = forms.get(cancel.dataset.caseId);
    if (f && !f.busy) {
      forms.delete(cancel.dataset.caseId);
      renderList();
    }
  }
}

/**
 * Opens the handle form of a case: the result, and for a dispute the
 * mediation outcome.
 * @param {string} id
 */
function openForm(id) {
  const c = cases.get(id);
  if (!c || !toHandle(c) || forms.has(id)) return;
  const form = /** @type {HTMLFormElement} */ (el('form', 'case-handle-form'));
  form.noValidate = true;
  form.dataset.caseId = id;
  const fieldId = `case-result-${id}`;
  const label = el('label', 'field-label', t('responder.cases.resultLabel'));
  label.dataset.i18n = 'responder.cases.resultLabel';
  label.setAttribute('for', fieldId);
  const result = /** @type {HTMLTextAreaElement} */ (el('textarea', 'field case-result'));
  result.id = fieldId;
  result.rows = 3;
  result.maxLength = 4000;
  result.dataset.i18nPlaceholder = 'responder.cases.resultPlaceholder';
  form.append(label, result);
  if (isMediationKind(c.kind)) {
    const legend = el('legend', 'field-label', t('responder.cases.mediation'));
    legend.dataset.i18n = 'responder.cases.mediation';
    const choices = ['success', 'failed'].map((v) => {
      const input = /** @type {HTMLInputElement} */ (el('input', 'case-mediation-input'));
      input.type = 'radio';
      input.name = `mediation-${id}`;
      input.value = v;
      const text = el('span', 'case-mediation-text', t(`case.mediation.${v}`));
      text.dataset.i18n = `case.mediation.${v}`;
      return el('label', `case-mediation-choice choice-${v}`, null, [input, text]);
    });
    form.append(el('fieldset', 'case-mediation', null, [legend, ...choices]));
  }
  const error = el('p', 'case-handle-error');
  error.setAttribute('role', 'alert');
  error.hidden = true;
  const submit = /** @type {HTMLButtonElement} */ (el('button', 'case-handle-submit', t('responder.cases.submit')));
  submit.type = 'submit';
  const cancel = /** @type {HTMLButtonElement} */ (el('button', 'btn case-handle-cancel', t('responder.cases.cancel')));
  cancel.type = 'button';
  cancel.dataset.caseId = id;
  cancel.dataset.i18n = 'responder.cases.cancel';
  form.append(error, el('div', 'case-handle-buttons', null, [submit, cancel]));
  applyLabels(form);
  /** @type {HandleForm} */
  const f = { form, result, error, submit, busy: false };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    sendHandle(id, f);
  });
  form.addEventListener('input', () => {
    if (f.error.dataset.code && f.error.dataset.code.startsWith('need.')) setFormError(f, null);
  });
  forms.set(id, f);
  renderList();
  result.focus();
}

/**
 * Shows an error in a handle form, or clears it.
 * @param {HandleForm} f
 * @param {{key: string, code: string, params?: Record<string, string|number>, detail?: string}|null} err
 */
function setFormError(f, err) {
  if (!err) {
    f.error.replaceChildren();
    delete f.error.dataset.code;
    delete f.error.dataset.key;
    delete f.error.dataset.params;
    f.error.hidden = true;
    return;
  }
  f.error.dataset.code = err.code;
  f.error.dataset.key = err.key;
  f.error.dataset.params = JSON.stringify(err.params ?? {});
  f.error.replaceChildren(
    el('strong', 'case-handle-error-text', t(err.key, err.params)),
    ...(err.detail ? [el('span', 'case-handle-error-detail', err.detail)] : []),
  );
  f.error.hidden = false;
}

/**
 * Labels a handle form's button and error in the current language.
 * @param {HandleForm} f
 */
function renderForm(f) {
  f.submit.textContent = t(f.busy ? 'responder.cases.sending' : 'responder.cases.submit');
  f.submit.disabled = f.busy;
  f.submit.setAttribute('aria-busy', String(f.busy));
  const text = f.error.querySelector('.case-handle-error-text');
  if (text && f.error.dataset.key) text.textContent = t(f.error.dataset.key, JSON.parse(f.error.dataset.params || '{}'));
}

/**
 * The server's field messages of a problem+json answer, on one line.
 * @param {unknown} err
 * @returns {string}
 */
function problemDetail(err) {
  if (!(err instanceof api.ApiError) || !err.problem) return '';
  const p = err.problem;
  if (Array.isArray(p.errors) && p.errors.length) {
    return p.errors.map((/** @type {any} */ e) => [e && e.field, e && e.message].filter(Boolean).join(': ')).join('; ');
  }
  return typeof p.detail === 'string' ? p.detail : '';
}

/**
 * The fields a problem+json answer names.
 * @param {unknown} err
 * @returns {string[]}
 */
function problemFields(err) {
  if (!(err instanceof api.ApiError) || !err.problem || !Array.isArray(err.problem.errors)) return [];
  return err.problem.errors.map((/** @type {any} */ e) => String((e && e.field) ?? '')).filter(Boolean);
}

/**
 * Sends the handle action of a case with the form's result.
 * @param {string} id
 * @param {HandleForm} f
 */
async function sendHandle(id, f) {
  if (f.busy) return;
  const c = cases.get(id);
  const result = f.result.value.trim();
  /** @type {Record<string, string>} */
  const body = { action: 'handle', result };
  if (!result) {
    setFormError(f, { key: 'responder.cases.need.result', code: 'need.result' });
    f.result.focus();
    return;
  }
  if (c && isMediationKind(c.kind)) {
    const picked = f.form.querySelector('input.case-mediation-input:checked');
    if (!(picked instanceof HTMLInputElement)) {
      setFormError(f, { key: 'responder.cases.need.mediation', code: 'need.mediation' });
      return;
    }
    body.mediation = picked.value;
  }
  f.busy = true;
  setFormError(f, null);
  renderForm(f);
  try {
    const updated = await api.caseAction(id, body);
    if (updated && typeof updated.id === 'string') cases.set(updated.id, newer(cases.get(updated.id), updated));
    forms.delete(id);
    fresh.delete(id);
    if (opts) opts.notify('case-done', 'responder.cases.handledOk', { title: (updated && updated.title) || (c && c.title) || id });
    renderList();
    refreshCases();
  } catch (err) {
    f.busy = false;
    if (err instanceof api.ApiError) {
      const s = err.status;
      if (s === 409) {
        setFormError(f, { key: 'responder.cases.error.conflict', code: 'conflict', detail: problemDetail(err) });
        refreshCases();
      } else if (s === 403) {
        setFormError(f, { key: 'responder.cases.error.forbidden', code: 'forbidden', detail: problemDetail(err) });
      } else if (s === 400 || s === 422) {
        setFormError(f, { key: 'responder.cases.error.invalid', code: 'invalid', detail: problemDetail(err) });
      } else {
        setFormError(f, { key: 'responder.cases.error.other', code: `http-${s}`, params: { status: s }, detail: problemDetail(err) });
      }
    } else {
      setFormError(f, { key: 'responder.cases.error.network', code: 'network' });
    }
    renderForm(f);
  }
}

// The report form

/**
 * Reports whether there is a position fix recent enough to report with.
 * @returns {boolean}
 */
function freshFix() {
  return !!fix && Date.now() - fix.at <= FIX_MAX_AGE_MS;
}

/** Asks the phone for its current position (navigator.geolocation). */
function locate() {
  const why = geoUnavailable();
  if (why) {
    locState = why;
    renderReport();
    return;
  }
  locGen += 1;
  const gen = locGen;
  locState = 'locating';
  renderReport();
  try {
    navigator.geolocation.getCurrentPosition((pos) => {
      if (gen !== locGen) return;
      const acc = pos.coords.accuracy;
      fix = {
        lon: pos.coords.longitude,
        lat: pos.coords.latitude,
        accuracy: typeof acc === 'number' && Number.isFinite(acc) ? acc : null,
        at: Date.now(),
      };
      locState = 'ok';
      badFields.delete('location');
      if (reportError && reportError.code === 'need.location') reportError = null;
      renderReport();
    }, (err) => {
      if (gen !== locGen) return;
      locState = err.code === 1 ? 'denied' : err.code === 3 ? 'timeout' : 'unavailable';
      renderReport();
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 });
  } catch {
    locState = 'unsupported';
    renderReport();
  }
}

/**
 * A blob as a data: URL.
 * @param {Blob} blob
 * @returns {Promise<string>}
 */
function dataURL(blob) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(blob);
  });
}

/**
 * Draws an image into a canvas no larger than side on its long edge.
 * @param {Blob} blob
 * @param {number} side
 * @returns {Promise<HTMLCanvasElement>}
 */
async function drawScaled(blob, side) {
  if (typeof createImageBitmap !== 'function') throw new Error('createImageBitmap unavailable');
  const bmp = await createImageBitmap(blob);
  const scale = Math.min(1, side / Math.max(bmp.width, bmp.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(bmp.width * scale));
  canvas.height = Math.max(1, Math.round(bmp.height * scale));
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2d context');
  ctx.drawImage(bmp, 0, 0, canvas.width, canvas.height);
  if (typeof bmp.close === 'function') bmp.close();
  return canvas;
}

/**
 * A small JPEG data: URL of an image, for thumbnails (the whole image as a
 * data: URL when the browser cannot scale it).
 * @param {Blob} blob
 * @param {number} side
 * @returns {Promise<string>}
 */
async function thumbnail(blob, side) {
  try {
    const canvas = await drawScaled(blob, side);
    return canvas.toDataURL('image/jpeg', 0.8);
  } catch {
    return dataURL(blob);
  }
}

/**
 * A canvas as a JPEG blob.
 * @param {HTMLCanvasElement} canvas
 * @param {number} quality
 * @returns {Promise<Blob>}
 */
function jpeg(canvas, quality) {
  return new Promise((resolve, reject) => {
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('toBlob failed'))), 'image/jpeg', quality);
  });
}

/**
 * The photo as it will be uploaded: a JPEG or PNG of at most 5 MB as it is;
 * anything else (too large, or another format the browser can read) made a
 * smaller JPEG.
 * @param {File} file
 * @returns {Promise<Blob>}
 */
async function preparePhoto(file) {
  if ((file.type === 'image/jpeg' || file.type === 'image/png') && file.size <= MAX_PHOTO_BYTES) return file;
  let side = MAX_PHOTO_SIDE;
  for (let i = 0; i < 4; i++) {
    const blob = await jpeg(await drawScaled(file, side), 0.85);
    if (blob.size <= MAX_PHOTO_BYTES) return blob;
    side = Math.round(side * 0.7);
  }
  throw new Error('too large');
}

/** Takes the photo just chosen: prepares it and shows a small preview. */
async function onPhotoChosen() {
  const input = /** @type {HTMLInputElement} */ (byId('report-photo'));
  const file = input.files && input.files[0];
  input.value = ''; // the same picture may be chosen again
  if (!file) return;
  photoGen += 1;
  const gen = photoGen;
  try {
    const blob = await preparePhoto(file);
    // Drawn once to be sure it is a picture the phone can read (a file named
    // .jpg may be anything); without createImageBitmap, taken on trust.
    const url = typeof createImageBitmap === 'function'
      ? (await drawScaled(blob, 480)).toDataURL('image/jpeg', 0.85)
      : await dataURL(blob);
    if (gen !== photoGen) return;
    const name = blob.type === 'image/png' ? 'photo.png' : 'photo.jpg';
    photo = { blob, url, name };
    if (reportError && reportError.code.startsWith('photo')) reportError = null;
  } catch (err) {
    if (gen !== photoGen) return;
    photo = null;
    const big = err instanceof Error && err.message === 'too large';
    reportError = { key: big ? 'responder.report.photoTooBig' : 'responder.report.photoBad', code: big ? 'photo.big' : 'photo.bad' };
  }
  renderReport();
}

/** Forgets the chosen photo. */
function clearPhoto() {
  photoGen += 1;
  photo = null;
}

/**
 * A size in bytes, in words (KB or MB).
 * @param {number} n
 * @returns {string}
 */
function sizeText(n) {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`;
}

/**
 * Reads the form into the request body, or says what is missing.
 * @returns {{body: any, missing: string[]}}
 */
function readForm() {
  const kind = /** @type {HTMLSelectElement} */ (byId('report-kind')).value;
  const title = /** @type {HTMLInputElement} */ (byId('report-title')).value.trim();
  const description = /** @type {HTMLTextAreaElement} */ (byId('report-description')).value.trim();
  const raw = /** @type {HTMLInputElement} */ (byId('report-people')).value.trim();
  const people = raw === '' ? 0 : Number(raw);
  const missing = [];
  if (!kind) missing.push('kind');
  if (!title) missing.push('title');
  if (!Number.isInteger(people) || people < 0 || people > 1000000) missing.push('people_involved');
  if (!freshFix()) missing.push('location');
  /** @type {Record<string, any>} */
  const body = { kind, title, description, people_involved: people };
  if (fix) body.location = { lon: Number(fix.lon.toFixed(6)), lat: Number(fix.lat.toFixed(6)) };
  return { body, missing };
}

/** The answers to a report that prove no case was stored. */
const NOT_STORED = [400, 403, 404, 413, 415, 422, 429];

/**
 * Reports whether nothing is typed or chosen in the report form.
 * @returns {boolean}
 */
function formEmpty() {
  const people = /** @type {HTMLInputElement} */ (byId('report-people')).value.trim();
  return /** @type {HTMLSelectElement} */ (byId('report-kind')).value === '' &&
    /** @type {HTMLInputElement} */ (byId('report-title')).value.trim() === '' &&
    /** @type {HTMLTextAreaElement} */ (byId('report-description')).value.trim() === '' &&
    (people === '' || people === '0') && !photo;
}

/** Sends the report: the case, then the photo, if any. */
async function submitReport() {
  if (reportBusy) return;
  // A second tap just after a save: the form is empty, the saved line stays.
  if (reportDone && formEmpty()) return;
  reportDone = null;
  const { body, missing: asRead } = readForm();
  const fields = JSON.stringify({ ...body, location: undefined });
  const again = !!attempt && attempt.fields === fields;
  // The same report again after an unknown outcome: sent as it was, with
  // the location it had (no fresh fix needed).
  const missing = again ? asRead.filter((f) => f !== 'location') : asRead;
  badFields = new Set(missing);
  if (missing.length) {
    const first = missing[0];
    reportError = { key: `responder.report.need.${first}`, code: `need.${first}` };
    if (first === 'location' && locState !== 'locating' && locState !== 'denied' && locState !== 'unsupported' && locState !== 'insecure') locate();
    renderReport();
    const focus = { kind: 'report-kind', title: 'report-title', people_involved: 'report-people', location: 'report-locate' }[/** @type {'kind'|'title'|'people_involved'|'location'} */ (first)];
    if (focus) byId(focus).focus();
    return;
  }
  if (!attempt || !again) attempt = { key: api.idempotencyKey('case'), json: JSON.stringify(body), fields };
  const key = attempt.key;
  const sent = JSON.parse(attempt.json);
  reportError = null;
  reportBusy = 'sending';
  renderReport();
  /** @type {any} */
  let created;
  try {
    created = await api.createCase(sent, key);
  } catch (err) {
    reportBusy = '';
    reportError = createError(err);
    badFields = new Set(problemFields(err));
    // Only these answers prove nothing was stored; after any other (a 503
    // "may nevertheless be stored", a 409, no answer) the same key and body
    // are sent again.
    if (err instanceof api.ApiError && NOT_STORED.includes(err.status)) attempt = null;
    renderReport();
    return;
  }
  attempt = null;
  const id = created && typeof created.id === 'string' ? created.id : '';
  if (id) cases.set(id, newer(cases.get(id), created));
  // A replayed submission whose photo already went up needs no second one.
  const hasPhoto = !!created && Array.isArray(created.photos) && created.photos.length > 0;
  if (photo && id && !hasPhoto) {
    reportBusy = 'uploading';
    renderReport();
    const p = photo;
    try {
      await api.addCasePhoto(id, p.blob, p.name);
    } catch {
      photoRetry = { caseId: id, blob: p.blob, name: p.name };
    }
  }
  reportBusy = '';
  reportDone = { id };
  resetForm();
  renderReport();
  renderList();
  refreshCases();
}

/**
 * The message for a failed report.
 * @param {unknown} err
 * @returns {{key: string, code: string, params?: Record<string, string|number>, detail?: string}}
 */
function createError(err) {
  if (!(err instanceof api.ApiError)) return { key: 'responder.report.error.network', code: 'network' };
  const detail = problemDetail(err);
  const s = err.status;
  if (s === 403) return { key: 'responder.report.error.forbidden', code: 'forbidden', detail };
  if (s === 409) return { key: 'responder.report.error.conflict', code: 'conflict', detail };
  if (s === 400 || s === 422) {
    const outside = Array.isArray(err.problem && err.problem.errors) &&
      err.problem.errors.some((/** @type {any} */ e) => e && e.field === 'location' && /outside/i.test(String(e.message)));
    if (outside) return { key: 'responder.report.error.outside', code: 'outside', detail };
    return { key: 'responder.report.error.invalid', code: 'invalid', detail };
  }
  return { key: 'responder.report.error.other', code: `http-${s}`, params: { status: s }, detail };
}

/** Empties the form after a report (the position fix stays while recent). */
function resetForm() {
  /** @type {HTMLSelectElement} */ (byId('report-kind')).value = '';
  /** @type {HTMLInputElement} */ (byId('report-title')).value = '';
  /** @type {HTMLTextAreaElement} */ (byId('report-description')).value = '';
  /** @type {HTMLInputElement} */ (byId('report-people')).value = '0';
  clearPhoto();
  badFields = new Set();
}

/** Uploads again a photo whose upload failed. */
async function retryPhoto() {
  if (!photoRetry || reportBusy) return;
  const r = photoRetry;
  reportBusy = 'uploading';
  reportError = null;
  renderReport();
  try {
    await api.addCasePhoto(r.caseId, r.blob, r.name);
    photoRetry = null;
    reportDone = { id: r.caseId };
    refreshCases();
  } catch {
    // still failed: the button stays
  }
  reportBusy = '';
  renderReport();
}

/** Renders the report form's dynamic parts in the current language. */
function renderReport() {
  if (!enabled || !officer) return;
  const loc = byId('report-loc');
  const shownState = locState === 'ok' && !freshFix() ? 'none' : locState;
  loc.dataset.state = shownState;
  loc.classList.toggle('invalid', badFields.has('location'));
  let text;
  if (shownState === 'ok' && fix) {
    text = t('responder.report.loc.ok', {
      lat: fix.lat.toFixed(5),
      lon: fix.lon.toFixed(5),
      m: fix.accuracy !== null ? Math.round(fix.accuracy) : '?',
      time: hhmmss(new Date(fix.at)),
    });
  } else {
    text = t(`responder.report.loc.${shownState}`);
  }
  byId('report-loc-text').textContent = text;
  const locBtn = /** @type {HTMLButtonElement} */ (byId('report-locate'));
  locBtn.textContent = t(shownState === 'ok' ? 'responder.report.relocate' : 'responder.report.locate');
  locBtn.disabled = locState === 'locating' || locState === 'unsupported' || locState === 'insecure';

  for (const [id, field] of [['report-kind', 'kind'], ['report-title', 'title'], ['report-description', 'description'], ['report-people', 'people_involved']]) {
    const node = byId(id);
    node.dataset.field = field;
    if (badFields.has(field)) node.setAttribute('aria-invalid', 'true');
    else node.removeAttribute('aria-invalid');
  }

  show(byId('report-photo-preview'), !!photo);
  const img = /** @type {HTMLImageElement} */ (byId('report-photo-img'));
  if (photo) {
    if (img.src !== photo.url) img.src = photo.url;
    img.alt = t('responder.report.photoAlt');
    byId('report-photo-info').textContent = t('responder.report.photoInfo', { size: sizeText(photo.blob.size) });
  } else {
    img.removeAttribute('src');
    byId('report-photo-info').textContent = '';
  }
  byId('report-photo-btn').textContent = t(photo ? 'responder.report.retakePhoto' : 'responder.report.takePhoto');

  const errLine = byId('report-error');
  if (reportError) {
    errLine.replaceChildren(
      el('strong', 'report-error-text', t(reportError.key, reportError.params)),
      ...(reportError.detail ? [el('span', 'report-error-detail', reportError.detail)] : []),
    );
    errLine.dataset.code = reportError.code;
  } else {
    errLine.replaceChildren();
    delete errLine.dataset.code;
  }
  show(errLine, reportError !== null);

  const done = byId('report-done');
  if (photoRetry) {
    done.textContent = t('responder.report.photoFailed', { id: photoRetry.caseId });
    done.dataset.caseId = photoRetry.caseId;
    done.dataset.state = 'photo-failed';
  } else if (reportDone) {
    done.textContent = t('responder.report.done', { id: reportDone.id });
    done.dataset.caseId = reportDone.id;
    done.dataset.state = 'done';
  } else {
    done.textContent = '';
    delete done.dataset.caseId;
    delete done.dataset.state;
  }
  show(done, !!(photoRetry || reportDone));
  const retry = /** @type {HTMLButtonElement} */ (byId('report-retry-photo'));
  retry.textContent = t('responder.report.retryPhoto');
  show(retry, !!photoRetry);
  retry.disabled = reportBusy !== '';

  const submit = /** @type {HTMLButtonElement} */ (byId('report-submit'));
  submit.textContent = t(reportBusy === 'sending' ? 'responder.report.sending' : reportBusy === 'uploading' ? 'responder.report.uploading' : 'responder.report.submit');
  submit.disabled = reportBusy !== '';
  submit.setAttribute('aria-busy', String(reportBusy !== ''));
}

/** Forgets everything (on sign-out). */
export function resetCaseDesk() {
  generation += 1;
  locGen += 1;
  stopTimers();
  enabled = false;
  officer = false;
  cases = new Map();
  listState = 'idle';
  inflight = null;
  fresh.clear();
  items.clear();
  forms.clear();
  thumbs.clear();
  thumbsLoading.clear();
  locState = 'none';
  fix = null;
  clearPhoto();
  reportError = null;
  reportDone = null;
  photoRetry = null;
  reportBusy = '';
  attempt = null;
  badFields = new Set();
  byId('mycases').replaceChildren();
  resetForm();
  show(byId('report-section'), false);
  show(byId('mycases-section'), false);
}

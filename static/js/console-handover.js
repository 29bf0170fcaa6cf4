// The console's handover panel (交接班, issue 19): the outgoing operator
// opens a handover, which the server pre-fills with the shift's incidents,
// open orders, open cases, unsent information reports and open alarms; adds
// notes and submits it. The incoming operator (another account) sees the
// handovers waiting and accepts one. Text is only ever set with
// textContent.
//
// Hooks for tests: #handover-open; #handover-draft[data-id][data-status]
// with .handover-list[data-kind][data-count] > li[data-id]; #handover-notes,
// #handover-submit; #handover-pending > li.handover[data-id] with
// .handover-accept; #handover-message[data-kind].

import * as api from './api.js';
import { caseStatusName } from './caseview.js';
import { deadlineName } from './deadlines.js';
import { el, keepFields, show, spaced, whenFree } from './dom.js';
import { zonedTime } from './format.js';
import { t } from './i18n.js';
import { orderStatusName, statusName } from './incidentview.js';

/** The kinds of items a handover lists, in order. */
const KINDS = ['incidents', 'orders', 'cases', 'reports', 'alarms'];

/** @type {{root: HTMLElement, username: string, tz: () => string}|null} */
let ctx = null;
/** @type {any} the handover being written (draft) or just submitted */
let draft = null;
/** @type {any[]} handovers waiting for someone else to accept */
let pending = [];
/** @type {{kind: string, key: string, params?: any}|null} */
let message = null;
let busy = false;

/**
 * A time in the configured zone, short.
 * @param {string} s
 */
function when(s) {
  const d = s ? new Date(s) : null;
  return d && !Number.isNaN(d.getTime()) ? zonedTime(d, ctx ? ctx.tz() : '') : '';
}

/**
 * The message of a failed request.
 * @param {unknown} err
 * @returns {{kind: string, key: string, params?: any}}
 */
function failure(err) {
  if (err instanceof api.ApiError) {
    if (err.status === 403) return { kind: 'error', key: 'handover.error.forbidden' };
    if (err.status === 409) return { kind: 'error', key: 'handover.error.conflict' };
    return { kind: 'error', key: 'handover.error.other', params: { status: err.status } };
  }
  return { kind: 'error', key: 'handover.error.network' };
}

/**
 * Runs a request with the panel busy, then reloads and renders.
 * @param {() => Promise<void>} fn
 */
async function act(fn) {
  if (busy) return;
  busy = true;
  message = null;
  render();
  try {
    await fn();
  } catch (err) {
    message = failure(err);
  } finally {
    busy = false;
  }
  await reload();
}

/** Reads the handovers waiting and this account's own draft. */
export async function reload() {
  if (!ctx) return;
  try {
    const [waiting, mine] = await Promise.all([
      api.request('GET', '/api/v1/handovers?status=submitted&limit=50'),
      api.request('GET', `/api/v1/handovers?status=draft&limit=1&person=${encodeURIComponent(ctx.username)}`),
    ]);
    pending = (waiting.handovers || []).filter((/** @type {any} */ h) => h.outgoing !== ctx?.username);
    // This account's draft; a handover just submitted stays to say so.
    const open = (mine.handovers || [])[0];
    if (open) draft = open;
    else if (draft && draft.status === 'draft') draft = null;
  } catch (err) {
    // The list is refused only to an account limited to an area.
    message = err instanceof api.ApiError && err.status === 403 ? { kind: 'error', key: 'handover.error.area' } : failure(err);
  }
  render();
}

/**
 * A key's text, or fallback when the catalogue has none.
 * @param {string} key
 * @param {string} fallback
 */
function tOr(key, fallback) {
  const s = t(key);
  return s === key ? fallback : s;
}

/**
 * An item's status (and, for a report, which report) in words.
 * @param {string} kind
 * @param {any} it
 * @returns {string}
 */
function statusText(kind, it) {
  const s = String(it.status || '');
  switch (kind) {
    case 'incidents':
      return statusName(s);
    case 'orders':
      return orderStatusName(s);
    case 'cases':
      return caseStatusName(s);
    case 'reports':
      return `${deadlineName(String(it.id).split('/')[1] || '')} ${tOr('handover.report.' + s, s)}`;
    case 'alarms':
      return tOr('alarm.kind.' + s, s);
  }
  return s;
}

/**
 * One list of items of a handover.
 * @param {any} h
 * @param {string} kind
 */
function itemList(h, kind) {
  const items = Array.isArray(h[kind]) ? h[kind] : [];
  const list = el('ol', 'handover-items');
  for (const it of items) {
    const li = el('li', 'handover-item', null, spaced([el('span', 'handover-item-id', String(it.id)), el('span', 'handover-item-summary', String(it.summary || '')),
      it.status ? el('span', 'handover-item-status', statusText(kind, it)) : null]));
    li.dataset.id = String(it.id);
    list.append(li);
  }
  if (!items.length) list.append(el('li', 'handover-item none', t('handover.none')));
  const total = Number(h.totals && h.totals[kind]) || items.length;
  const box = el('section', 'handover-list', null, [el('h4', 'handover-list-title', t('handover.kind.' + kind, { n: total })), list]);
  if (total > items.length) box.append(el('p', 'handover-truncated', t('handover.truncated', { shown: items.length, total })));
  box.dataset.kind = kind;
  box.dataset.count = String(items.length);
  return box;
}

/**
 * The lists of a handover.
 * @param {any} h
 */
function lists(h) {
  return el('div', 'handover-lists', null, KINDS.map((k) => itemList(h, k)));
}

/** The outgoing side: open, the draft's lists, notes, submit. */
function outgoing() {
  const box = el('section', 'handover-out', null, [el('h3', 'handover-subtitle', t('handover.out.heading'))]);
  if (!draft || draft.status !== 'draft') {
    const open = /** @type {HTMLButtonElement} */ (el('button', 'btn btn-primary', t('handover.open')));
    open.type = 'button';
    open.id = 'handover-open';
    open.disabled = busy;
    open.addEventListener('click', () => act(async () => {
      draft = await api.request('POST', '/api/v1/handovers');
    }));
    box.append(el('p', 'handover-hint', t('handover.out.hint')), open);
    if (draft && draft.status === 'submitted') box.append(el('p', 'handover-done', t('handover.submitted', { id: draft.id })));
    return box;
  }
  const head = el('p', 'handover-window', t('handover.window', { id: draft.id, from: when(draft.from), to: when(draft.to) }));
  const label = el('label', 'field-label', t('handover.notes'));
  label.setAttribute('for', 'handover-notes');
  const notes = /** @type {HTMLTextAreaElement} */ (el('textarea', 'field handover-notes'));
  notes.id = 'handover-notes';
  notes.rows = 4;
  notes.maxLength = 4000;
  notes.value = draft.notes || '';
  notes.dataset.key = `notes/${draft.id}`; // typed notes stay with their draft
  const submit = /** @type {HTMLButtonElement} */ (el('button', 'btn btn-primary', t('handover.submit')));
  submit.type = 'button';
  submit.id = 'handover-submit';
  submit.disabled = busy;
  const id = draft.id;
  submit.addEventListener('click', () => act(async () => {
    draft = await api.request('POST', `/api/v1/handovers/${encodeURIComponent(id)}/submit`, { body: { notes: notes.value } });
    message = { kind: 'ok', key: 'handover.submitted', params: { id } };
  }));
  const form = el('div', 'handover-draft', null, [head, lists(draft), label, notes, submit]);
  form.id = 'handover-draft';
  form.dataset.id = draft.id;
  form.dataset.status = draft.status;
  box.append(form);
  return box;
}

/**
 * One handover waiting to be accepted.
 * @param {any} h
 */
function waitingItem(h) {
  const label = el('label', 'field-label', t('handover.acceptNote'));
  const note = /** @type {HTMLInputElement} */ (el('input', 'field handover-accept-note'));
  note.id = `handover-note-${h.id}`;
  label.setAttribute('for', note.id);
  const btn = /** @type {HTMLButtonElement} */ (el('button', 'btn btn-primary handover-accept', t('handover.accept')));
  btn.type = 'button';
  btn.disabled = busy;
  btn.addEventListener('click', () => act(async () => {
    await api.request('POST', `/api/v1/handovers/${encodeURIComponent(h.id)}/accept`, { body: { note: note.value } });
    message = { kind: 'ok', key: 'handover.accepted', params: { id: h.id } };
  }));
  const li = el('li', 'handover', null, [
    el('p', 'handover-from', t('handover.from', { who: String(h.outgoing), time: when(h.submitted_at || h.opened_at), id: String(h.id) })),
    h.notes ? el('p', 'handover-notes-text', String(h.notes)) : null,
    lists(h), label, note, btn,
  ]);
  li.dataset.id = h.id;
  return li;
}

/**
 * Renders the panel in the current language, keeping what is typed in it
 * (a draft's notes, a note to accept with) through reloads and refusals.
 */
export function render() {
  if (!ctx || whenFree(ctx.root, render)) return;
  const restore = keepFields(ctx.root, (f) => f.dataset.key || f.id);
  const msg = el('p', 'handover-message', message ? t(message.key, message.params) : '');
  msg.id = 'handover-message';
  msg.setAttribute('role', 'status');
  msg.dataset.kind = message ? message.kind : '';
  show(msg, !!message);
  const list = el('ol', 'handover-pending', null, pending.map(waitingItem));
  list.id = 'handover-pending';
  const incoming = el('section', 'handover-in', null, [el('h3', 'handover-subtitle', t('handover.in.heading')), list,
    pending.length ? null : el('p', 'handover-hint', t('handover.in.none'))]);
  ctx.root.replaceChildren(el('h2', 'handover-title', t('handover.heading')), msg, el('div', 'handover-cols', null, [outgoing(), incoming]));
  restore();
}

/**
 * Mounts the panel in root.
 * @param {HTMLElement} root
 * @param {{username: string, tz: () => string}} opts
 */
export function mountHandover(root, opts) {
  ctx = { root, username: opts.username, tz: opts.tz };
  draft = null;
  pending = [];
  message = null;
  render();
  reload();
}

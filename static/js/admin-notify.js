// The notifications section of the administration page (admin.html), for
// administrators: the outbox (each message queued, sent or failed, and
// why), retrying a failed message, and a test message to each channel.
//
// Hooks for tests: #notify-state (the state filter), #notify-refresh,
// table.notify-outbox tr[data-id] with td.notify-state, span.notify-phone
// (an SMS message's number, masked), button.notify-retry,
// ul.notify-channels button.notify-test[data-channel], #notify-status.

import * as api from './api.js';
import { el } from './dom.js';
import { mmdd, hhmmss, parseTime, setTimeZone } from './format.js';
import { t } from './i18n.js';

/** @type {HTMLElement|null} */
let root = null;
/** @type {{notifications: any[], channels: any[]}} */
let data = { notifications: [], channels: [] };
let state = '';
/** @type {{key: string, params?: Record<string, string>}|null} */
let status = null;

/**
 * Reads the outbox.
 * @returns {Promise<void>}
 */
async function load() {
  const q = state ? `&state=${encodeURIComponent(state)}` : '';
  try {
    data = await api.request('GET', `/api/v1/notifications?limit=200${q}`);
  } catch (err) {
    status = { key: 'admin.notify.error', params: { status: String(err?.status ?? '') } };
  }
  render();
}

/**
 * Puts a failed message back in the queue.
 * @param {string} id
 */
async function retry(id) {
  try {
    await api.request('POST', `/api/v1/notifications/${encodeURIComponent(id)}/retry`);
    status = { key: 'admin.notify.retried' };
  } catch (err) {
    status = { key: 'admin.notify.error', params: { status: String(err?.status ?? '') } };
  }
  await load();
}

/**
 * Queues a test message to a channel.
 * @param {string} channel
 */
async function test(channel) {
  try {
    await api.request('POST', `/api/v1/notification-channels/${encodeURIComponent(channel)}/test`);
    status = { key: 'admin.notify.tested', params: { channel } };
  } catch (err) {
    status = { key: 'admin.notify.error', params: { status: String(err?.status ?? '') } };
  }
  await load();
}

/**
 * A time as MM-DD HH:mm:ss in the configured zone.
 * @param {unknown} s
 * @returns {string}
 */
function when(s) {
  const d = parseTime(s);
  return d ? `${mmdd(d)} ${hhmmss(d)}` : '';
}

/** The filter, the refresh button and the status line. */
function toolbar() {
  const select = el('select', 'field');
  select.id = 'notify-state';
  for (const s of ['', 'queued', 'sent', 'failed']) {
    const o = el('option', '', t(s ? `admin.notify.state.${s}` : 'admin.notify.state.all'));
    o.value = s;
    o.selected = s === state;
    select.append(o);
  }
  select.addEventListener('change', () => {
    state = select.value;
    void load();
  });
  const label = el('label', 'field-label', t('admin.notify.filter'));
  label.htmlFor = 'notify-state';
  const refresh = el('button', 'btn', t('admin.notify.refresh'));
  refresh.type = 'button';
  refresh.id = 'notify-refresh';
  refresh.addEventListener('click', () => void load());
  const line = el('p', 'notify-status', status ? t(status.key, status.params) : '');
  line.id = 'notify-status';
  line.setAttribute('role', 'status');
  return [el('div', 'notify-toolbar', null, [label, select, refresh]), line];
}

/** The channels, each with its test button. */
function channels() {
  const list = el('ul', 'notify-channels');
  for (const [i, ch] of (data.channels ?? []).entries()) {
    const b = el('button', 'btn notify-test', t('admin.notify.test'));
    b.type = 'button';
    b.id = `notify-test-${i}`;
    b.dataset.channel = ch.id;
    b.disabled = !!ch.disabled;
    b.addEventListener('click', () => void test(ch.id));
    const kind = t(`admin.notify.kind.${ch.kind}`);
    // The channel's id as the configuration writes it (channels have no
    // names); the button is named by its own text and this line.
    const label = el('span', 'notify-channel', null, [el('code', null, ch.id), ` · ${kind}${ch.disabled ? ` · ${t('admin.notify.disabled')}` : ''}`]);
    label.id = `notify-channel-${i}`;
    b.setAttribute('aria-labelledby', `${b.id} ${label.id}`);
    list.append(el('li', '', null, [label, b]));
  }
  if (!list.childElementCount) list.append(el('li', 'muted', t('admin.notify.noChannels')));
  return list;
}

/** The outbox table. */
function table() {
  const tbl = el('table', 'notify-outbox');
  const head = el('tr');
  for (const k of ['time', 'channel', 'title', 'state', 'attempts', 'error', 'action']) head.append(el('th', '', t(`admin.notify.col.${k}`)));
  tbl.append(el('thead', '', null, [head]));
  const body = el('tbody');
  for (const n of data.notifications ?? []) {
    const tr = el('tr');
    tr.dataset.id = n.id;
    const act = el('td');
    // An SMS message texts one number (masked by the server): shown, so
    // that an administrator can tell which number failed; the message's id
    // names it only by its place.
    const phone = typeof n.phone === 'string' && n.phone ? n.phone : '';
    if (n.state === 'failed') {
      const b = el('button', 'btn notify-retry', t('admin.notify.retry'));
      b.type = 'button';
      b.setAttribute('aria-label', phone ? t('admin.notify.retryPhoneLabel', { title: n.title, phone })
        : t('admin.notify.retryLabel', { title: n.title }));
      b.addEventListener('click', () => void retry(n.id));
      act.append(b);
    }
    const channel = el('td', '', null, [n.channel, phone && ' · ', phone && el('span', 'notify-phone', t('admin.notify.phone', { phone }))]);
    tr.append(el('td', '', when(n.queued_at)), channel, el('td', '', n.title),
      el('td', `notify-state notify-${n.state}`, t(`admin.notify.state.${n.state}`)), el('td', '', String(n.attempts)),
      el('td', 'notify-error', n.error ?? ''), act);
    body.append(tr);
  }
  if (!body.childElementCount) body.append(el('tr', '', null, [Object.assign(el('td', 'muted', t('admin.notify.empty')), { colSpan: 7 })]));
  tbl.append(body);
  return tbl;
}

function render() {
  if (!root) return;
  root.replaceChildren(el('h2', '', t('admin.notify.heading')), ...toolbar(),
    el('h3', '', t('admin.notify.channels')), channels(), el('h3', '', t('admin.notify.outbox')), table());
}

/**
 * Fills the section; called once after sign-in, and again with the same
 * section after a later sign-in.
 * @param {HTMLElement} section
 * @param {{role: string, username: string}} who
 * @param {{config: Promise<any>, grids: Promise<any>}} ref the configuration
 *   and the grids, read once by the page for every tab
 */
export function mount(section, who, ref) {
  void who;
  root = section;
  status = null;
  render();
  ref.config.then((c) => setTimeZone(c?.timezone), () => {}).finally(() => void load());
}

/** Renders the section's text again in the current language. */
export function relabel() {
  render();
}

// The duty section of the administration page (admin.html, issue 19): the
// month's roster (值班表) as a table, a day's shifts edited in a form
// (leaders and administrators), the month imported and exported as CSV, and
// the handover log (交接班记录) with its search and export. Text is only
// ever set with textContent.
//
// Hooks for tests: #duty-month, #duty-roster tbody tr[data-date][data-shift];
// #duty-edit-date, #duty-edit-open, #duty-editor[data-date] with
// fieldset.duty-shift (inputs named id, start, end, leader, operators,
// standby), #duty-add-shift, #duty-save; #duty-message[data-kind];
// #duty-errors > li[data-field]; #duty-import-file, #duty-import,
// #duty-export; #duty-log-from, #duty-log-to, #duty-log-person, #duty-log-q,
// #duty-log-search, #duty-log-export, #duty-log tbody tr[data-id].

import * as api from './api.js';
import { el, show } from './dom.js';
import { zonedTime } from './format.js';
import { t } from './i18n.js';
import { getToken } from './session.js';
import { serverDate, serverNow } from './clock.js';

const EDITORS = ['admin', 'leader'];
const SHIFT_FIELDS = ['id', 'start', 'end', 'leader', 'operators', 'standby'];

/** @type {HTMLElement|null} */
let root = null;
let role = '';
let tz = '';
/** @type {any[]} the month's days */
let days = [];
/** @type {{date: string, version: number, shifts: any[]}|null} the day being edited */
let editing = null;
/** @type {{kind: string, key: string, params?: any, fields?: any[]}|null} */
let message = null;
/** @type {any[]} */
let log = [];

/** Date defaults drawn before the configured zone was known, by field id. @type {Map<string, string>} */
const guessed = new Map();

/**
 * What a date field should show: what it holds, or def when it is empty or
 * holds a default drawn before the zone was known (the browser's, not the city's).
 * @param {string} id
 * @param {string} def
 * @returns {string}
 */
function kept(id, def) {
  const v = value(id);
  if (v && guessed.get(id) !== v) return v;
  if (tz) guessed.delete(id);
  else guessed.set(id, def);
  return def;
}

/**
 * A date as YYYY-MM-DD in the configured zone.
 * @param {Date} d
 */
function isoDate(d) {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone: tz || undefined, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
  } catch {
    return d.toISOString().slice(0, 10);
  }
}

/**
 * A labelled input.
 * @param {string} id
 * @param {string} key the label's catalogue key
 * @param {string} type
 * @param {string} [value]
 * @returns {HTMLElement}
 */
function field(id, key, type, value = '') {
  const input = /** @type {HTMLInputElement} */ (el('input', 'field'));
  input.id = id;
  input.type = type;
  input.value = value;
  const label = el('label', 'field-label', t(key));
  label.setAttribute('for', id);
  return el('div', 'duty-field', null, [label, input]);
}

/**
 * A button.
 * @param {string} id
 * @param {string} key
 * @param {() => void} fn
 * @param {string} [cls]
 */
function button(id, key, fn, cls = 'btn') {
  const b = /** @type {HTMLButtonElement} */ (el('button', cls, t(key)));
  b.type = 'button';
  if (id) b.id = id;
  b.addEventListener('click', fn);
  return b;
}

/**
 * Reads a labelled input's value by id.
 * @param {string} id
 */
function value(id) {
  const n = document.getElementById(id);
  return n instanceof HTMLInputElement ? n.value.trim() : '';
}

/**
 * The message of a failed request (a 400 lists its fields).
 * @param {unknown} err
 */
function failure(err) {
  if (err instanceof api.ApiError) {
    if (err.status === 400) return { kind: 'error', key: 'dutyadmin.error.invalid', fields: (err.problem && err.problem.errors) || [] };
    if (err.status === 409) return { kind: 'error', key: 'dutyadmin.error.conflict' };
    return { kind: 'error', key: 'dutyadmin.error.other', params: { status: err.status } };
  }
  return { kind: 'error', key: 'dutyadmin.error.network' };
}

/** Reads the month chosen. */
async function loadMonth() {
  const month = value('duty-month');
  try {
    const r = await api.request('GET', `/api/v1/roster?month=${encodeURIComponent(month)}`);
    days = r.days || [];
  } catch (err) {
    message = failure(err);
  }
  render();
}

/**
 * Saves a file the server made (CSV) under name.
 * @param {string} path
 * @param {string} name
 */
async function download(path, name) {
  try {
    const blob = await api.request('GET', path, { blob: true });
    const a = /** @type {HTMLAnchorElement} */ (el('a'));
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  } catch (err) {
    message = failure(err);
    render();
  }
}

/** Sends the chosen CSV file as the month's roster. */
async function importCSV() {
  const input = /** @type {HTMLInputElement} */ (document.getElementById('duty-import-file'));
  const file = input && input.files && input.files[0];
  const month = value('duty-month');
  if (!file) {
    message = { kind: 'error', key: 'dutyadmin.error.file' };
    render();
    return;
  }
  try {
    const res = await fetch(`/api/v1/roster/import.csv?month=${encodeURIComponent(month)}`, {
      method: 'POST', headers: { 'Content-Type': 'text/csv; charset=utf-8', Authorization: `Bearer ${getToken()}` }, body: await file.text(),
    });
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new api.ApiError(res.status, body);
    days = body.days || [];
    message = { kind: 'ok', key: 'dutyadmin.imported', params: { month } };
  } catch (err) {
    message = failure(err);
  }
  render();
}

/**
 * Opens the editor on a date.
 * @param {string} date
 */
async function edit(date) {
  if (!date) return;
  try {
    const d = await api.request('GET', `/api/v1/roster/${encodeURIComponent(date)}`);
    editing = { date, version: d.version, shifts: d.shifts || [] };
    message = null;
  } catch (err) {
    message = failure(err);
  }
  render();
}

/** Reads the editor's shifts back from its inputs. */
function editedShifts() {
  const out = [];
  for (const fs of document.querySelectorAll('#duty-editor fieldset.duty-shift')) {
    /** @type {Record<string, any>} */
    const s = {};
    for (const f of SHIFT_FIELDS) {
      const input = fs.querySelector(`input[name="${f}"]`);
      const v = input instanceof HTMLInputElement ? input.value.trim() : '';
      s[f] = f === 'operators' || f === 'standby' ? v.split(/[;；,，]/).map((x) => x.trim()).filter(Boolean) : v;
    }
    out.push(s);
  }
  return out;
}

/** Saves the day being edited. */
async function save() {
  if (!editing) return;
  const { date, version } = editing;
  const shifts = editedShifts();
  try {
    await api.request('PUT', `/api/v1/roster/${encodeURIComponent(date)}`, { body: { version, shifts } });
    editing = null;
    message = { kind: 'ok', key: 'dutyadmin.saved', params: { date } };
    await loadMonth();
    return;
  } catch (err) {
    editing = { date, version, shifts };
    message = failure(err);
  }
  render();
}

/** Searches the handover log. */
async function search() {
  const q = new URLSearchParams({ from: value('duty-log-from'), to: value('duty-log-to'), person: value('duty-log-person'), q: value('duty-log-q') });
  try {
    const r = await api.request('GET', `/api/v1/handovers?${q}`);
    log = r.handovers || [];
  } catch (err) {
    message = failure(err);
  }
  render();
}

/** The toolbar of the roster: month, import, export. */
function rosterTools() {
  const month = field('duty-month', 'dutyadmin.month', 'month', kept('duty-month', isoDate(serverDate()).slice(0, 7)));
  const tools = [month, button('duty-show', 'dutyadmin.show', loadMonth),
    button('duty-export', 'dutyadmin.export', () => download(`/api/v1/roster/export.csv?month=${encodeURIComponent(value('duty-month'))}`, `roster-${value('duty-month')}.csv`))];
  if (EDITORS.includes(role)) {
    const file = field('duty-import-file', 'dutyadmin.importFile', 'file');
    /** @type {HTMLInputElement} */ (file.querySelector('input')).accept = '.csv,text/csv';
    tools.push(file, button('duty-import', 'dutyadmin.import', importCSV));
  }
  return el('div', 'duty-tools', null, tools);
}

/** The month's shifts as a table, a row per shift. */
function rosterTable() {
  const head = el('tr', '', null, ['date', 'shift', 'time', 'leader', 'operators', 'standby', 'actions'].map((c) => el('th', '', t('dutyadmin.col.' + c))));
  const body = el('tbody');
  for (const d of days) {
    d.shifts.forEach((/** @type {any} */ s, /** @type {number} */ i) => {
      const tr = el('tr', '', null, [el('td', '', i === 0 ? d.date : ''), el('td', '', s.id), el('td', '', `${s.start}–${s.end}`), el('td', '', s.leader),
        el('td', '', (s.operators || []).join('; ')), el('td', '', (s.standby || []).join('; ')),
        el('td', '', null, [i === 0 && EDITORS.includes(role) ? button('', 'dutyadmin.edit', () => edit(d.date), 'btn btn-ghost') : null])]);
      tr.dataset.date = d.date;
      tr.dataset.shift = s.id;
      body.append(tr);
    });
  }
  const table = el('table', 'duty-table', null, [el('thead', '', null, [head]), body]);
  table.id = 'duty-roster';
  return el('div', 'duty-table-wrap', null, [table, days.length ? null : el('p', 'duty-empty', t('dutyadmin.empty'))]);
}

/**
 * One shift's inputs in the editor.
 * @param {any} s
 * @param {number} i
 */
function shiftFieldset(s, i) {
  const fs = el('fieldset', 'duty-shift');
  for (const f of SHIFT_FIELDS) {
    const v = Array.isArray(s[f]) ? s[f].join('; ') : String(s[f] ?? '');
    const box = field(`duty-shift-${i}-${f}`, 'dutyadmin.field.' + f, f === 'start' || f === 'end' ? 'time' : 'text', v);
    /** @type {HTMLInputElement} */ (box.querySelector('input')).name = f;
    fs.append(box);
  }
  fs.append(button('', 'dutyadmin.removeShift', () => {
    if (!editing) return;
    editing.shifts = editedShifts().filter((_, j) => j !== i);
    render();
  }, 'btn btn-ghost'));
  return fs;
}

/** The editor of a day, or the date picker that opens it. */
function editor() {
  if (!EDITORS.includes(role)) return el('p', 'duty-readonly', t('dutyadmin.readonly'));
  if (!editing) {
    return el('div', 'duty-tools', null, [field('duty-edit-date', 'dutyadmin.editDate', 'date', isoDate(serverDate())),
      button('duty-edit-open', 'dutyadmin.edit', () => edit(value('duty-edit-date')))]);
  }
  const box = el('div', 'duty-editor', null, [el('h3', '', t('dutyadmin.editDay', { date: editing.date })),
    ...editing.shifts.map(shiftFieldset),
    el('div', 'duty-tools', null, [
      button('duty-add-shift', 'dutyadmin.addShift', () => {
        if (!editing) return;
        editing.shifts = [...editedShifts(), { id: '', start: '08:00', end: '20:00', leader: '', operators: [], standby: [] }];
        render();
      }),
      button('duty-save', 'dutyadmin.save', save, 'btn btn-primary'),
      button('duty-cancel', 'dutyadmin.cancel', () => {
        editing = null;
        render();
      }, 'btn btn-ghost')])]);
  box.id = 'duty-editor';
  box.dataset.date = editing.date;
  return box;
}

/** The handover log: search and export, and the table. */
function handoverLog() {
  const today = isoDate(serverDate());
  const monthAgo = isoDate(new Date(serverNow() - 30 * 86400000));
  const tools = el('div', 'duty-tools', null, [field('duty-log-from', 'dutyadmin.log.from', 'date', kept('duty-log-from', monthAgo)),
    field('duty-log-to', 'dutyadmin.log.to', 'date', kept('duty-log-to', today)), field('duty-log-person', 'dutyadmin.log.person', 'text', value('duty-log-person')),
    field('duty-log-q', 'dutyadmin.log.q', 'search', value('duty-log-q')), button('duty-log-search', 'dutyadmin.log.search', search, 'btn btn-primary'),
    button('duty-log-export', 'dutyadmin.log.export', () => {
      const q = new URLSearchParams({ from: value('duty-log-from'), to: value('duty-log-to'), person: value('duty-log-person'), q: value('duty-log-q') });
      download(`/api/v1/handovers/export.csv?${q}`, `handovers-${value('duty-log-from')}-${value('duty-log-to')}.csv`);
    })]);
  const head = el('tr', '', null, ['id', 'status', 'out', 'in', 'opened', 'items', 'notes'].map((c) => el('th', '', t('dutyadmin.log.col.' + c))));
  const body = el('tbody');
  for (const h of log) {
    const n = ['incidents', 'orders', 'cases', 'reports', 'alarms'].reduce((sum, k) => sum + (Array.isArray(h[k]) ? h[k].length : 0), 0);
    const tr = el('tr', '', null, [el('td', '', h.id), el('td', '', t('handover.status.' + h.status)), el('td', '', h.outgoing), el('td', '', h.incoming || ''),
      el('td', '', zonedTime(new Date(h.opened_at), tz)), el('td', '', String(n)), el('td', 'duty-notes', h.notes || '')]);
    tr.dataset.id = h.id;
    body.append(tr);
  }
  const table = el('table', 'duty-table', null, [el('thead', '', null, [head]), body]);
  table.id = 'duty-log';
  return el('section', 'duty-log', null, [el('h2', '', t('dutyadmin.log.heading')), tools,
    el('p', 'duty-log-count', log.length ? t('dutyadmin.log.count', { n: log.length }) : t('dutyadmin.log.empty')), table]);
}

/** The message line, with the fields a refusal named. */
function messageBox() {
  const p = el('div', 'duty-message', message ? t(message.key, message.params) : '');
  p.id = 'duty-message';
  p.setAttribute('role', 'status');
  p.dataset.kind = message ? message.kind : '';
  show(p, !!message);
  const list = el('ul', 'duty-errors');
  list.id = 'duty-errors';
  for (const f of (message && message.fields) || []) {
    const li = el('li', '', `${f.field}: ${f.message}`);
    li.dataset.field = String(f.field);
    list.append(li);
  }
  p.append(list);
  return p;
}

/** Renders the section in the current language. */
function render() {
  if (!root) return;
  root.replaceChildren(el('h2', '', t('dutyadmin.heading')), messageBox(), rosterTools(), rosterTable(), editor(), handoverLog());
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
  root = section;
  role = who.role;
  days = [];
  log = [];
  editing = null;
  message = null;
  guessed.clear();
  render();
  ref.config.then((cfg) => {
    if (cfg && typeof cfg.timezone === 'string') tz = cfg.timezone;
  }).catch(() => {}).finally(() => {
    render();
    loadMonth();
    search();
  });
}

/** Renders the section's text again in the current language. */
export function relabel() {
  render();
}

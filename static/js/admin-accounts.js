// The accounts section of the administration page (admin.html): the list,
// a form to create or edit an account, disable and enable, a password reset
// (the one-time password shown once in a dialog with a copy button) and the
// deletion of an account that never signed in. Administrators see phones in
// full. Reset and delete ask for a second click to confirm.
//
// Hooks for tests: #acc-new, #acc-form (#acc-username, #acc-name, #acc-role,
// #acc-area, #acc-unit, #acc-phone, #acc-password, #acc-save, #acc-cancel),
// #acc-status, #acc-table tbody tr[data-username] with buttons
// [data-action=edit|disable|enable|reset|delete], dialog #acc-otp with
// #acc-otp-value, #acc-otp-copy and #acc-otp-close.

import * as api from './api.js';
import { el } from './dom.js';
import { zonedTime } from './format.js';
import { lang, t } from './i18n.js';
import { roleName } from './refdata.js';

const ROLES = ['admin', 'leader', 'deputy', 'operator', 'responder', 'viewer'];
const COLUMNS = ['username', 'name', 'role', 'area', 'unit', 'phone', 'state', 'lastLogin', 'actions'];
const FIELDS = ['username', 'name', 'role', 'area', 'unit', 'phone', 'password'];

/** @type {HTMLElement|null} */
let root = null;
let me = '';
/** @type {any[]} */
let accounts = [];
/** @type {{code: string, name: string}[]} */
let grids = [];
/** @type {{config: Promise<any>, grids: Promise<any>}} */
let shared = { config: Promise.resolve(null), grids: Promise.resolve(null) };
/** @type {{id: string, callsign: string}[]} */
let units = [];
let timeZone = '';
/** The account being edited, {} for a new one, null when the form is closed. @type {any} */
let editing = null;
/** The status line: a catalogue key, or raw text made of catalogue pieces. @type {{key: string, params?: Record<string, string|number>, raw?: string, error?: boolean}|null} */
let status = null;
/** The action waiting for its confirming click: action:username. */
let armed = '';
let saving = false;

/** Nodes whose text is a catalogue key, relabelled on a language change. @type {[HTMLElement, string, Record<string, string|number>?][]} */
let labels = [];
/** @type {Record<string, HTMLInputElement|HTMLSelectElement>} */
let inputs = {};
/** @type {Record<string, HTMLElement>} */
let nodes = {};

/**
 * Creates a node whose text is a catalogue key.
 * @param {string} tag
 * @param {string} cls
 * @param {string} key
 * @param {Record<string, string|number>} [params]
 * @returns {HTMLElement}
 */
function label(tag, cls, key, params) {
  const n = el(tag, cls, t(key, params));
  labels.push([n, key, params]);
  return n;
}

/**
 * A labelled input or select of the form.
 * @param {string} field
 * @returns {HTMLElement}
 */
function formField(field) {
  const id = `acc-${field}`;
  const input = /** @type {HTMLInputElement|HTMLSelectElement} */ (el(['role', 'area', 'unit'].includes(field) ? 'select' : 'input', 'field'));
  input.id = id;
  input.name = field;
  if (input instanceof HTMLInputElement) {
    input.type = field === 'password' ? 'password' : field === 'phone' ? 'tel' : 'text';
    input.autocomplete = field === 'password' ? 'new-password' : 'off';
    input.spellcheck = false;
  }
  inputs[field] = input;
  const l = label('label', 'field-label', `acc.field.${field}`);
  l.setAttribute('for', id);
  const wrap = el('div', `acc-field acc-field-${field}`, null, [l, input]);
  nodes[`field-${field}`] = wrap;
  return wrap;
}

/** Builds the section's fixed parts once per mount. */
function build() {
  if (!root) return;
  labels = [];
  inputs = {};
  nodes = {};
  const heading = label('h2', 'panel-title', 'acc.heading');
  const count = el('span', 'panel-count');
  count.id = 'acc-count';
  const add = label('button', 'btn', 'acc.new');
  add.id = 'acc-new';
  add.setAttribute('type', 'button');
  add.addEventListener('click', () => openForm({}));
  const refresh = label('button', 'btn btn-ghost', 'acc.refresh');
  refresh.setAttribute('type', 'button');
  refresh.addEventListener('click', () => load());
  const line = el('p', 'acc-status');
  line.id = 'acc-status';
  line.setAttribute('role', 'status');
  line.setAttribute('aria-live', 'polite');

  const form = /** @type {HTMLFormElement} */ (el('form', 'acc-form'));
  form.id = 'acc-form';
  form.noValidate = true;
  form.hidden = true;
  const formTitle = el('h3', 'acc-form-title');
  const save = /** @type {HTMLButtonElement} */ (el('button', 'btn btn-primary'));
  Object.assign(save, { id: 'acc-save', type: 'submit' });
  const cancel = label('button', 'btn btn-ghost', 'acc.cancel');
  cancel.id = 'acc-cancel';
  cancel.setAttribute('type', 'button');
  cancel.addEventListener('click', () => closeForm());
  form.append(formTitle, el('div', 'acc-grid', null, FIELDS.map(formField)), el('div', 'acc-buttons', null, [save, cancel]));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    submit();
  });

  const table = el('table', 'acc-table');
  table.id = 'acc-table';
  const head = el('tr', '', null, COLUMNS.map((c) => label('th', '', `acc.col.${c}`)));
  const body = el('tbody');
  table.append(el('thead', '', null, [head]), body);

  Object.assign(nodes, { count, line, form, formTitle, save, body });
  root.replaceChildren(
    el('div', 'acc-toolbar', null, [heading, count, add, refresh]),
    line,
    form,
    el('div', 'acc-table-wrap', null, [table]),
    buildDialog(),
  );
}

/** @returns {HTMLElement} the dialog that shows a one-time password once */
function buildDialog() {
  const dialog = /** @type {HTMLDialogElement} */ (el('dialog', 'acc-otp'));
  dialog.id = 'acc-otp';
  const title = label('h3', 'acc-otp-title', 'acc.otp.heading');
  const text = el('p', 'acc-otp-text');
  const value = el('output', 'acc-otp-value');
  value.id = 'acc-otp-value';
  const copy = label('button', 'btn', 'acc.otp.copy');
  copy.id = 'acc-otp-copy';
  copy.setAttribute('type', 'button');
  const copied = el('span', 'acc-otp-copied');
  copied.setAttribute('role', 'status');
  const close = label('button', 'btn btn-primary', 'acc.otp.close');
  close.id = 'acc-otp-close';
  close.setAttribute('type', 'button');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(value.textContent ?? '');
      copied.textContent = t('acc.otp.copied');
    } catch {
      copied.textContent = t('acc.otp.copyFailed');
    }
  });
  close.addEventListener('click', () => dialog.close());
  // However the dialog closes (the button, Esc), the password leaves the page
  // (unless another was shown before this late event came).
  dialog.addEventListener('close', () => {
    if (dialog.open) return;
    value.textContent = '';
    copied.textContent = '';
  });
  dialog.setAttribute('aria-labelledby', 'acc-otp-title');
  title.id = 'acc-otp-title';
  dialog.append(title, text, el('p', 'acc-otp-line', null, [value, copy, copied]), el('div', 'acc-buttons', null, [close]));
  Object.assign(nodes, { dialog, otpText: text, otpValue: value, otpCopied: copied });
  return dialog;
}

/**
 * Shows a one-time password once.
 * @param {string} username
 * @param {string} password
 */
function showPassword(username, password) {
  const dialog = /** @type {HTMLDialogElement} */ (nodes.dialog);
  nodes.otpText.textContent = t('acc.otp.text', { username });
  nodes.otpText.dataset.username = username;
  nodes.otpValue.textContent = password;
  nodes.otpCopied.textContent = '';
  if (!dialog.open) dialog.showModal();
}

/**
 * Sets the status line.
 * @param {string|null} key
 * @param {Record<string, string|number>} [params]
 * @param {boolean} [error]
 */
function setStatus(key, params, error = false) {
  status = key ? { key, params, error } : null;
  renderStatus();
}

function renderStatus() {
  if (!nodes.line) return;
  nodes.line.textContent = !status ? '' : status.raw ?? t(status.key, status.params);
  nodes.line.classList.toggle('acc-status-error', Boolean(status && status.error));
}

/**
 * Says why a request failed, naming each bad field by its label.
 * @param {unknown} err
 */
function failed(err) {
  if (!(err instanceof api.ApiError)) {
    setStatus('acc.error.network', undefined, true);
    return;
  }
  const p = err.problem || {};
  for (const input of Object.values(inputs)) input.removeAttribute('aria-invalid');
  if (err.status === 400 && Array.isArray(p.errors) && p.errors.length) {
    const parts = p.errors.map((/** @type {any} */ e) => {
      const field = String(e.field ?? '');
      if (inputs[field]) inputs[field].setAttribute('aria-invalid', 'true');
      const name = FIELDS.includes(field) || field === 'version' ? t(`acc.field.${field}`) : field;
      return t('acc.error.field', { field: name, message: String(e.message ?? '') });
    });
    status = { key: '', raw: parts.join(t('incident.reasonsSep')), error: true };
    renderStatus();
    return;
  }
  if (err.status === 409) setStatus('acc.error.conflict', { detail: String(p.detail ?? '') }, true);
  else if (err.status === 404) {
    setStatus('acc.error.notFound', undefined, true);
    load();
  } else setStatus('acc.error.other', { status: err.status }, true);
}

/**
 * Fills a select with options, keeping its value when still offered.
 * @param {HTMLSelectElement} select
 * @param {[string, string][]} options value and text
 */
function fill(select, options) {
  const keep = select.value;
  select.replaceChildren(...options.map(([v, text]) => {
    const o = /** @type {HTMLOptionElement} */ (el('option', '', text));
    o.value = v;
    return o;
  }));
  if (options.some(([v]) => v === keep)) select.value = keep;
}

/** Fills the form's choices in the current language. */
function renderChoices() {
  if (!inputs.role) return;
  fill(/** @type {HTMLSelectElement} */ (inputs.role), ROLES.map((r) => [r, roleName(r)]));
  fill(/** @type {HTMLSelectElement} */ (inputs.area), [['', t('acc.none')], ...grids.map((g) => /** @type {[string, string]} */ ([g.code, `${g.name} ${g.code}`]))]);
  fill(/** @type {HTMLSelectElement} */ (inputs.unit), [['', t('acc.none')], ...units.map((u) => /** @type {[string, string]} */ ([u.id, `${u.callsign} (${u.id})`]))]);
}

/**
 * Opens the form on an account (its fields filled), or on a new one ({}).
 * @param {any} account
 */
function openForm(account) {
  editing = account;
  // Units are created and retired at run time: read them again, then put
  // back the account's own (absent from the list read before it existed).
  refreshUnits().then(() => {
    if (editing === account && account.unit) inputs.unit.value = String(account.unit);
  });
  const isNew = !account.username;
  for (const f of FIELDS) {
    const v = f === 'role' ? account.role || 'operator' : account[f] ?? '';
    inputs[f].value = String(v);
    inputs[f].removeAttribute('aria-invalid');
  }
  /** @type {HTMLInputElement} */ (inputs.username).readOnly = !isNew;
  nodes['field-password'].hidden = !isNew;
  nodes.form.hidden = false;
  renderForm();
  (isNew ? inputs.username : inputs.name).focus();
}

function closeForm() {
  editing = null;
  nodes.form.hidden = true;
}

function renderForm() {
  if (!editing || !nodes.formTitle) return;
  nodes.formTitle.textContent = editing.username ? t('acc.form.edit', { username: editing.username }) : t('acc.form.create');
  nodes.save.textContent = t(saving ? 'acc.saving' : 'acc.save');
  /** @type {HTMLButtonElement} */ (nodes.save).disabled = saving;
}

/** Creates or saves the account of the form. */
async function submit() {
  if (saving || !editing) return;
  const v = (/** @type {string} */ f) => inputs[f].value.trim();
  /** @type {Record<string, any>} */
  const body = { name: v('name'), role: v('role'), area: v('area'), unit: v('unit'), phone: v('phone') };
  saving = true;
  renderForm();
  try {
    if (editing.username) {
      body.version = editing.version;
      const a = await api.request('PATCH', `/api/v1/accounts/${encodeURIComponent(editing.username)}`, { body });
      setStatus('acc.done.saved', { username: a.username });
    } else {
      body.username = v('username');
      if (inputs.password.value) body.password = inputs.password.value;
      const out = await api.request('POST', '/api/v1/accounts', { body });
      setStatus('acc.done.created', { username: out.account.username });
      showPassword(out.account.username, out.password);
    }
    inputs.password.value = '';
    closeForm();
    await load();
  } catch (err) {
    failed(err);
  } finally {
    saving = false;
    renderForm();
  }
}

/**
 * Carries out an action of a row (the second click of reset and delete).
 * @param {string} action
 * @param {any} a the account
 * @param {number} [clicks] the click's count (UIEvent.detail): 2 or more
 *   for the later clicks of a double-click, 0 from the keyboard
 */
async function act(action, a, clicks = 0) {
  if (action === 'edit') {
    openForm(a);
    return;
  }
  const key = `${action}:${a.username}`;
  if ((action === 'reset' || action === 'delete') && armed !== key) {
    armed = key;
    renderTable();
    return;
  }
  if ((action === 'reset' || action === 'delete') && clicks > 1) {
    // The second click of a double-click that armed it: the confirm button
    // is drawn where the first click landed, so taking it would reset or
    // delete with no confirmation at all. It stays armed for a click of
    // its own.
    return;
  }
  armed = '';
  const path = `/api/v1/accounts/${encodeURIComponent(a.username)}`;
  try {
    if (action === 'delete') {
      await api.request('DELETE', path);
      setStatus('acc.done.deleted', { username: a.username });
    } else if (action === 'reset') {
      const out = await api.request('POST', `${path}/password-reset`);
      setStatus(null);
      showPassword(a.username, out.password);
    } else {
      await api.request('POST', `${path}/${action}`);
      setStatus(action === 'disable' ? 'acc.done.disabled' : 'acc.done.enabled', { username: a.username });
    }
  } catch (err) {
    failed(err);
  }
  await load();
}

/**
 * The name of a grid code, with the code.
 * @param {string} code
 * @returns {string}
 */
function areaName(code) {
  const g = grids.find((x) => x.code === code);
  return g ? `${g.name} ${code}` : code;
}

/**
 * One row's action buttons.
 * @param {any} a
 * @returns {HTMLElement}
 */
function actions(a) {
  const list = ['edit', a.disabled ? 'enable' : 'disable', 'reset'];
  if (!a.last_login) list.push('delete');
  const cell = el('td', 'acc-actions');
  for (const action of list) {
    if (a.username === me && (action === 'disable' || action === 'delete')) continue;
    const name = t(`acc.action.${action}`);
    const confirming = armed === `${action}:${a.username}`;
    const b = el('button', `btn btn-small${confirming ? ' acc-armed' : ''}`, confirming ? t('acc.action.confirm', { action: name }) : name);
    b.setAttribute('type', 'button');
    b.dataset.action = action;
    b.setAttribute('aria-label', t('acc.action.label', { action: name, username: a.username }));
    b.addEventListener('click', (ev) => act(action, a, ev.detail));
    cell.append(b);
  }
  return cell;
}

function renderTable() {
  if (!nodes.body) return;
  nodes.count.textContent = t('acc.count', { n: accounts.length });
  nodes.body.replaceChildren(...accounts.map((a) => {
    const state = a.disabled ? 'disabled' : a.must_change_password ? 'mustChange' : 'active';
    const unit = units.find((u) => u.id === a.unit);
    const cells = [
      a.username, a.name, roleName(a.role), a.area ? areaName(a.area) : '', unit ? `${unit.callsign} (${a.unit})` : a.unit || '',
      a.phone || '', t(`acc.state.${state}`), a.last_login ? zonedTime(new Date(a.last_login), timeZone) : t('acc.never'),
    ].map((text) => el('td', '', String(text ?? '')));
    cells[6].className = `acc-state acc-state-${state}`;
    const row = el('tr', a.disabled ? 'acc-disabled' : '', null, [...cells, actions(a)]);
    row.dataset.username = a.username;
    return row;
  }));
}

/** The units the form offers, from the server's list. @param {any} u */
function unitChoices(u) {
  return (u && Array.isArray(u.units) ? u.units : []).map((/** @type {any} */ x) => ({ id: String(x.id), callsign: String(x.callsign || x.id) }));
}

/** Reads the units again and refills the form's choice (kept on failure). */
async function refreshUnits() {
  try {
    units = unitChoices(await api.units());
    renderChoices();
  } catch {
    // The list read before stays.
  }
}

/** Reads the accounts (and, first, the grids, units and time zone). */
async function load() {
  try {
    if (!grids.length || !units.length) {
      const [g, u, cfg] = await Promise.all([shared.grids, api.units(), shared.config]);
      grids = (g && Array.isArray(g.features) ? g.features : []).map((/** @type {any} */ f) => ({
        code: String(f.properties?.code ?? ''),
        name: String((lang() === 'en' && f.properties?.name_en) || f.properties?.name || ''),
      })).sort((a, b) => a.code.localeCompare(b.code));
      units = unitChoices(u);
      timeZone = (cfg && typeof cfg.timezone === 'string' && cfg.timezone) || '';
      renderChoices();
    }
    const out = await api.request('GET', '/api/v1/accounts');
    accounts = out && Array.isArray(out.accounts) ? out.accounts : [];
    renderTable();
  } catch (err) {
    failed(err);
  }
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
  shared = ref;
  root = section;
  me = who.username;
  editing = null;
  status = null;
  armed = '';
  accounts = [];
  build();
  renderStatus();
  nodes.line.textContent = t('acc.loading');
  load().then(() => {
    if (!status) renderStatus();
  });
}

/** Renders the section's text again in the current language. */
export function relabel() {
  if (!root) return;
  for (const [n, key, params] of labels) n.textContent = t(key, params);
  renderChoices();
  renderForm();
  renderStatus();
  renderTable();
}

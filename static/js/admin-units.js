// The units section of the administration page (admin.html): the units
// with their state, a form to create or edit one (type and home grid chosen
// from the configuration and the map), retiring with a confirmation, and
// restoring a retired unit. Every change goes through the admin routes of
// docs/API.md, "Managing units".
//
// Hooks for tests: #units-new, #units-show-retired, #units-table (rows
// tr[data-unit-id], data-status, data-retired), .unit-edit, .unit-retire,
// .unit-retire-confirm, .unit-restore; the form #unit-form with #unit-id,
// #unit-callsign, #unit-type, #unit-team, #unit-grid, #unit-device,
// #unit-caps, #unit-save, #unit-cancel; #units-error and #units-note.

import { ApiError, request } from './api.js';
import { el } from './dom.js';
import { lang, t } from './i18n.js';
import { unitStatusName as statusName } from './units.js';

/** @type {HTMLElement|null} */
let root = null;
/** @type {any[]} */
let units = [];
/** @type {{id: string, name: any}[]} */
let types = [];
/** @type {{code: string, name: string, nameEN: string}[]} */
let grids = [];
/** @type {{config: Promise<any>, grids: Promise<any>}} */
let shared = { config: Promise.resolve(null), grids: Promise.resolve(null) };
/** The unit being edited (null: a new one; undefined: no form). */
/** @type {any} */
let editing;
/** What the form last sent, kept so that a refused form keeps its input. */
/** @type {any} */
let draft = null;
/** The id of the unit whose retirement waits for confirmation. */
let confirming = '';
let showRetired = false;
/** @type {{key: string, params?: Record<string, string>, fields?: {field: string, message: string}[]}|null} */
let error = null;
/** @type {{key: string, params?: Record<string, string>}|null} */
let note = null;

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
  shared = ref;
  root = section;
  editing = undefined;
  draft = null;
  confirming = '';
  error = null;
  note = null;
  render();
  void loadReference().then(load);
}

/** Renders the section's text again in the current language. */
export function relabel() {
  if (root) render();
}

/** Reads the unit types and the grids the form offers. */
async function loadReference() {
  try {
    const [cfg, gj] = await Promise.all([shared.config, shared.grids]);
    types = Array.isArray(cfg && cfg.unit_types) ? cfg.unit_types : [];
    grids = ((gj && gj.features) || [])
      .map((/** @type {any} */ f) => f.properties || {})
      .filter((/** @type {any} */ p) => typeof p.code === 'string')
      .map((/** @type {any} */ p) => ({ code: p.code, name: p.name || '', nameEN: p.name_en || '' }));
  } catch (err) {
    fail(err);
  }
}

/** Reads the units again, retired ones included. */
async function load() {
  try {
    const res = await request('GET', '/api/v1/units?retired=true');
    units = (res && res.units) || [];
  } catch (err) {
    fail(err);
  }
  render();
}

/**
 * Shows a failed request: a problem's field errors, or its kind.
 * @param {unknown} err
 */
function fail(err) {
  if (err instanceof ApiError) {
    const p = err.problem || {};
    error = { key: `adminUnits.error.${err.status === 409 ? 'conflict' : err.status === 400 ? 'invalid' : 'other'}`,
      params: { status: String(err.status), detail: typeof p.detail === 'string' ? p.detail : '' },
      fields: Array.isArray(p.errors) ? p.errors : [] };
  } else {
    error = { key: 'adminUnits.error.network' };
  }
  render();
}

/**
 * A unit type's name in the current language.
 * @param {string} id
 */
function typeName(id) {
  const ty = types.find((x) => x.id === id);
  const name = ty && ty.name;
  return (name && (name[lang()] || name.zh)) || id;
}

/**
 * A grid's name in the current language, with its code.
 * @param {string} code
 */
function gridName(code) {
  if (!code) return t('adminUnits.none');
  const g = grids.find((x) => x.code === code);
  if (!g) return code;
  return `${lang() === 'en' && g.nameEN ? g.nameEN : g.name} (${code})`;
}

function render() {
  if (!root) return;
  const head = el('div', 'admin-units-head', null, [
    el('h2', 'admin-units-title', t('adminUnits.title')),
    newButton(),
    retiredToggle(),
  ]);
  // replaceChildren would show a null as the text "null".
  root.replaceChildren(...[head, messages(), editing !== undefined ? form() : null, table()].filter((n) => n));
}

function newButton() {
  const b = el('button', 'btn btn-primary', t('adminUnits.new'));
  b.id = 'units-new';
  b.setAttribute('type', 'button');
  b.addEventListener('click', () => {
    editing = null;
    draft = null;
    error = null;
    note = null;
    render();
    document.getElementById('unit-id')?.focus();
  });
  return b;
}

function retiredToggle() {
  const box = /** @type {HTMLInputElement} */ (el('input'));
  box.type = 'checkbox';
  box.id = 'units-show-retired';
  box.checked = showRetired;
  box.addEventListener('change', () => {
    showRetired = box.checked;
    render();
  });
  const label = el('label', 'admin-units-toggle', null, [box, document.createTextNode(` ${t('adminUnits.showRetired')}`)]);
  return label;
}

/** The error and the note of the last action. */
function messages() {
  const wrap = el('div', 'admin-units-messages');
  const err = el('div', 'admin-units-error');
  err.id = 'units-error';
  err.setAttribute('role', 'alert');
  if (error) {
    err.append(el('p', null, t(error.key, error.params)));
    if (error.fields && error.fields.length) {
      const list = el('ul');
      for (const f of error.fields) list.append(el('li', null, `${fieldLabel(f.field)}: ${f.message}`));
      err.append(list);
    }
  }
  const ok = el('p', 'admin-units-note', note ? t(note.key, note.params) : '');
  ok.id = 'units-note';
  ok.setAttribute('role', 'status');
  wrap.append(err, ok);
  return wrap;
}

/**
 * The label of a request field (device_ids[0] → the device id's label).
 * @param {string} field
 */
function fieldLabel(field) {
  const base = field.replace(/\[\d+\]$/, '');
  const key = `adminUnits.field.${base}`;
  const name = t(key);
  return name === key ? field : name;
}

/**
 * A labelled control of the form.
 * @param {string} id
 * @param {string} labelKey
 * @param {HTMLElement} control
 * @param {string} [hintKey]
 */
function field(id, labelKey, control, hintKey) {
  control.id = id;
  const label = el('label', 'field-label', t(labelKey));
  label.setAttribute('for', id);
  const out = el('div', 'admin-units-field', null, [label, control]);
  if (hintKey) out.append(el('span', 'admin-units-hint', t(hintKey)));
  return out;
}

/**
 * A text input.
 * @param {string} value
 */
function text(value) {
  const i = /** @type {HTMLInputElement} */ (el('input', 'field'));
  i.type = 'text';
  i.value = value;
  i.autocomplete = 'off';
  i.spellcheck = false;
  return i;
}

/**
 * A select of options [value, text], value chosen.
 * @param {[string, string][]} options
 * @param {string} value
 */
function select(options, value) {
  const s = /** @type {HTMLSelectElement} */ (el('select', 'field'));
  for (const [v, label] of options) {
    const o = /** @type {HTMLOptionElement} */ (el('option', null, label));
    o.value = v;
    s.append(o);
  }
  if (value && !options.some(([v]) => v === value)) {
    const o = /** @type {HTMLOptionElement} */ (el('option', null, value));
    o.value = value;
    s.append(o);
  }
  s.value = value;
  return s;
}

/** The form that creates a unit (editing null) or edits one. */
function form() {
  const u = draft || editing || {};
  const f = /** @type {HTMLFormElement} */ (el('form', 'admin-units-form'));
  f.id = 'unit-form';
  f.noValidate = true;
  f.append(el('h3', null, editing ? t('adminUnits.editTitle', { id: u.id }) : t('adminUnits.newTitle')));
  const id = text((editing ? editing.id : u.id) || '');
  if (editing) id.readOnly = true;
  const typeOptions = /** @type {[string, string][]} */ (types.map((ty) => [ty.id, typeName(ty.id)]));
  const gridOptions = /** @type {[string, string][]} */ ([['', t('adminUnits.none')], ...grids.map((g) => [g.code, gridName(g.code)])]);
  const type = select(typeOptions, u.type || (types[0] && types[0].id) || '');
  const grid = select(gridOptions, u.home_grid || '');
  const controls = {
    id,
    callsign: text(u.callsign || ''),
    team: text(u.team || ''),
    device: text((u.device_ids || []).join(', ')),
    caps: text((u.capabilities || []).join(', ')),
  };
  f.append(
    field('unit-id', 'adminUnits.field.id', controls.id, editing ? undefined : 'adminUnits.hint.id'),
    field('unit-callsign', 'adminUnits.field.callsign', controls.callsign),
    field('unit-type', 'adminUnits.field.type', type),
    field('unit-team', 'adminUnits.field.team', controls.team),
    field('unit-grid', 'adminUnits.field.home_grid', grid),
    field('unit-device', 'adminUnits.field.device_ids', controls.device, 'adminUnits.hint.devices'),
    field('unit-caps', 'adminUnits.field.capabilities', controls.caps, 'adminUnits.hint.capabilities'),
  );
  const save = el('button', 'btn btn-primary', t('adminUnits.save'));
  save.id = 'unit-save';
  save.setAttribute('type', 'submit');
  const cancel = el('button', 'btn btn-ghost', t('adminUnits.cancel'));
  cancel.id = 'unit-cancel';
  cancel.setAttribute('type', 'button');
  cancel.addEventListener('click', () => {
    editing = undefined;
    draft = null;
    error = null;
    render();
  });
  f.append(el('div', 'admin-units-actions', null, [save, cancel]));
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    /** @type {Record<string, any>} */
    const body = {
      callsign: controls.callsign.value.trim(),
      type: type.value,
      team: controls.team.value.trim(),
      home_grid: grid.value,
      device_ids: list(controls.device.value),
      capabilities: list(controls.caps.value),
    };
    if (editing) body.version = editing.version;
    else body.id = controls.id.value.trim();
    void submit(editing ? editing.id : '', body);
  });
  return f;
}

/**
 * The entries of a comma-separated list.
 * @param {string} s
 * @returns {string[]}
 */
function list(s) {
  return s.split(/[,，\s]+/).map((x) => x.trim()).filter((x) => x !== '');
}

/**
 * Creates (id '') or edits a unit.
 * @param {string} id
 * @param {Record<string, any>} body
 */
async function submit(id, body) {
  draft = body;
  try {
    const v = id ? await request('PUT', `/api/v1/units/${encodeURIComponent(id)}`, { body })
      : await request('POST', '/api/v1/units', { body });
    editing = undefined;
    draft = null;
    error = null;
    note = { key: id ? 'adminUnits.saved' : 'adminUnits.created', params: { id: v.id, callsign: v.callsign } };
  } catch (err) {
    fail(err);
    return;
  }
  await load();
}

/**
 * Retires or restores a unit.
 * @param {any} u
 * @param {'retire'|'restore'} action
 */
async function act(u, action) {
  confirming = '';
  try {
    await request('POST', `/api/v1/units/${encodeURIComponent(u.id)}/${action}`);
    error = null;
    note = { key: action === 'retire' ? 'adminUnits.retired' : 'adminUnits.restored', params: { id: u.id, callsign: u.callsign } };
  } catch (err) {
    fail(err);
    return;
  }
  await load();
}

function table() {
  const tbl = el('table', 'admin-units-table');
  tbl.id = 'units-table';
  const cols = ['id', 'callsign', 'type', 'team', 'home_grid', 'device_ids', 'capabilities', 'status', 'actions'];
  const head = el('tr');
  for (const c of cols) head.append(el('th', null, t(`adminUnits.col.${c}`)));
  const body = el('tbody');
  const shown = units.filter((u) => showRetired || !u.retired);
  for (const u of shown) body.append(row(u));
  if (shown.length === 0) {
    const td = el('td', 'admin-units-empty', t('adminUnits.empty'));
    td.setAttribute('colspan', String(cols.length));
    body.append(el('tr', null, null, [td]));
  }
  tbl.append(el('thead', null, null, [head]), body);
  return tbl;
}

/**
 * One unit's row.
 * @param {any} u
 */
function row(u) {
  const tr = el('tr', u.retired ? 'is-retired' : '');
  tr.dataset.unitId = u.id;
  tr.dataset.status = u.status;
  tr.dataset.retired = u.retired ? '1' : '0';
  // A team and capabilities are identifiers as the configuration writes
  // them (no names of their own): shown as code.
  const code = (s) => (s ? el('code', null, s) : null);
  const cells = [u.id, u.callsign, typeName(u.type), code(u.team), gridName(u.home_grid), (u.device_ids || []).join(', '),
    code((u.capabilities || []).join(', '))];
  for (const c of cells) tr.append(typeof c === 'string' ? el('td', null, c) : el('td', null, null, [c]));
  tr.append(el('td', `admin-units-status status-${u.status}`, statusName(u.status)));
  tr.append(el('td', 'admin-units-row-actions', null, actions(u)));
  return tr;
}

/**
 * The buttons of a unit's row.
 * @param {any} u
 * @returns {HTMLElement[]}
 */
function actions(u) {
  /**
   * @param {string} cls
   * @param {string} key
   * @param {() => void} fn
   */
  const button = (cls, key, fn) => {
    const b = el('button', `btn btn-small ${cls}`, t(key, { id: u.id }));
    b.setAttribute('type', 'button');
    b.setAttribute('aria-label', t(`${key}.label`, { id: u.id, callsign: u.callsign }));
    b.addEventListener('click', fn);
    return b;
  };
  if (u.retired) return [button('unit-restore', 'adminUnits.restore', () => void act(u, 'restore'))];
  if (confirming === u.id) {
    return [
      el('span', 'admin-units-confirm', t('adminUnits.confirmRetire', { id: u.id, callsign: u.callsign })),
      button('unit-retire-confirm btn-danger', 'adminUnits.retireYes', () => void act(u, 'retire')),
      button('unit-retire-cancel', 'adminUnits.retireNo', () => {
        confirming = '';
        render();
      }),
    ];
  }
  return [
    button('unit-edit', 'adminUnits.edit', () => {
      editing = u;
      draft = null;
      error = null;
      note = null;
      render();
      document.getElementById('unit-callsign')?.focus();
    }),
    button('unit-retire', 'adminUnits.retire', () => {
      confirming = u.id;
      render();
    }),
  ];
}

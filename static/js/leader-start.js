// Issue 20 part 2: a plan started by hand (启动预案). The leader chooses the
// plan, what it is started for (an open incident, or a higher body's
// request: who asked, when, what), the level, the working groups (启动规模;
// all checked by default) and a reason; POST /api/v1/activations starts it
// approved and its tasks go to the chosen groups only. The form lives in
// #start-dialog of leader.html; every text comes from the catalogue and
// user text is set as text only.

import * as api from './api.js';
import { byId, el, show } from './dom.js';
import { zoned } from './format.js';
import { t } from './i18n.js';
import { localText } from './incidentview.js';
import { LEVELS } from './refdata.js';

/** @type {any[]} the configured plans */
let plans = [];

/**
 * @param {string} id
 * @returns {any}
 */
function input(id) {
  return /** @type {any} */ (byId(id));
}

/**
 * Reads a datetime-local value as a time on the deployment's clocks.
 * @param {string} v YYYY-MM-DDTHH:mm
 * @returns {Date|null}
 */
function zonedValue(v) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(v);
  if (!m) return null;
  const wanted = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  let at = wanted;
  for (let pass = 0; pass < 2; pass++) {
    const z = zoned(new Date(at));
    at += wanted - Date.UTC(z.year, z.month - 1, z.day, z.hour, z.minute, z.second);
  }
  return new Date(at);
}

/** Fills the plan's working groups as checkboxes, all checked. */
function renderGroups() {
  const p = plans.find((x) => x.id === input('start-plan').value);
  const box = byId('start-groups');
  box.replaceChildren();
  for (const g of (p && Array.isArray(p.groups) ? p.groups : [])) {
    const id = `start-group-${g.id}`;
    const cb = el('input', 'start-group-check');
    Object.assign(cb, { type: 'checkbox', id, value: String(g.id), checked: true });
    const label = el('label', 'start-choice', null, [cb, el('span', null, ` ${localText(g.name) || g.id}`)]);
    label.htmlFor = id;
    box.append(label);
  }
}

/** Shows the incident's field or the request's, as the basis chosen. */
function renderBasis() {
  const byRequest = input('start-basis-request').checked;
  show(byId('start-incident-box'), !byRequest);
  show(byId('start-request-box'), byRequest);
}

/** Fills the selects: plans, open incidents, levels. */
async function fill() {
  const [ps, incs] = await Promise.all([api.request('GET', '/api/v1/plans'), api.request('GET', '/api/v1/incidents')]);
  plans = ps && Array.isArray(ps.plans) ? ps.plans : [];
  const plan = input('start-plan');
  plan.replaceChildren(...plans.map((p) => Object.assign(el('option', null, localText(p.name) || p.id), { value: String(p.id) })));
  const open = (incs && Array.isArray(incs.incidents) ? incs.incidents : []).filter((i) => i.status !== 'closed');
  input('start-incident').replaceChildren(...open.map((i) => Object.assign(
    el('option', null, `${i.level ? `[${i.level}] ` : ''}${typeof i.title === 'string' ? i.title : i.id} · ${i.id}`), { value: String(i.id) })));
  input('start-level').replaceChildren(
    Object.assign(el('option', null, t('leader.start.levelIncident')), { value: '' }),
    ...LEVELS.map((l) => Object.assign(el('option', null, t('leader.start.levelOf', { level: l })), { value: l })));
  renderGroups();
  renderBasis();
}

/**
 * The body of POST /api/v1/activations from the form.
 * @returns {Record<string, any>}
 */
function body() {
  /** @type {Record<string, any>} */
  const b = { plan_id: input('start-plan').value, reason: input('start-reason').value };
  const level = input('start-level').value;
  if (level) b.level = level;
  const checks = [...document.querySelectorAll('#start-groups input[type=checkbox]')].map((x) => /** @type {HTMLInputElement} */ (x));
  b.groups = checks.filter((x) => x.checked).map((x) => x.value);
  if (b.groups.length === checks.length) b.groups = [];
  if (input('start-basis-request').checked) {
    const at = zonedValue(input('start-request-at').value);
    b.request = { from: input('start-request-from').value, text: input('start-request-text').value };
    if (at) b.request.at = at.toISOString();
  } else {
    b.incident_id = input('start-incident').value;
  }
  return b;
}

/**
 * Says why a start failed, naming each bad field the server named.
 * @param {unknown} err
 * @returns {string}
 */
function failure(err) {
  if (!(err instanceof api.ApiError)) return t('leader.error.network');
  const p = /** @type {any} */ (err).problem;
  let detail = p && typeof p.detail === 'string' ? p.detail : '';
  if (p && Array.isArray(p.errors) && p.errors.length) {
    detail = p.errors.map((/** @type {any} */ e) => `${e.field}: ${e.message}`).join('; ');
  }
  return t('leader.start.failed', { status: err.status, detail });
}

/** Sends the start; closes the dialog when the plan is started. */
async function send() {
  const error = byId('start-error');
  error.textContent = '';
  const b = body();
  if (!input('start-basis-request').checked && !b.incident_id) {
    error.textContent = t('leader.start.noIncident');
    return;
  }
  const btn = input('start-send');
  btn.disabled = true;
  try {
    await api.request('POST', '/api/v1/activations', { body: b });
    /** @type {HTMLDialogElement} */ (byId('start-dialog')).close();
  } catch (err) {
    error.textContent = failure(err);
  } finally {
    btn.disabled = false;
  }
}

/** Opens the form afresh. */
async function open() {
  byId('start-error').textContent = '';
  input('start-reason').value = '';
  /** @type {HTMLDialogElement} */ (byId('start-dialog')).showModal();
  try {
    await fill();
  } catch (err) {
    byId('start-error').textContent = failure(err);
  }
}

/** Wires the start form of the leader page. */
export function initStart() {
  byId('start-open').addEventListener('click', () => {
    open();
  });
  byId('start-cancel').addEventListener('click', () => /** @type {HTMLDialogElement} */ (byId('start-dialog')).close());
  input('start-plan').addEventListener('change', renderGroups);
  for (const id of ['start-basis-incident', 'start-basis-request']) byId(id).addEventListener('change', renderBasis);
  byId('start-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    send();
  });
}

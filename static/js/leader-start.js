// Issue 20 part 2: a plan started by hand (启动预案). The leader chooses the
// plan, what it is started for (an open incident, or a higher body's
// request: who asked, when, what), the level, the working groups (启动规模;
// all checked by default) and a reason; POST /api/v1/activations starts it
// approved and its tasks go to the chosen groups only. Issue 20 part 1: a
// plan on stand-by for a warning is started from the warning's card
// (openStartFor): the warning chosen as the basis, the plan, its groups and
// the level of the warning's colour filled in. The form lives in
// #start-dialog of leader.html; every text comes from the catalogue and
// user text is set as text only.

import * as api from './api.js';
import { byId, el, show } from './dom.js';
import { fromZonedInput } from './format.js';
import { t, translate } from './i18n.js';
import { localText } from './incidentview.js';
import { LEVELS } from './refdata.js';
import { COLOUR_LEVEL, colourName, fetchWarnings, typeName } from './warnings.js';

/** @type {any[]} the configured plans */
let plans = [];
/** @type {any[]} the active warnings offered as a basis */
let warnings = [];
/**
 * The Idempotency-Key of the start in the open dialog: one per opening,
 * sent with every press. A press again after a lost answer (a network
 * error, a timeout, a 5xx that may have stored it) then answers the
 * activation the first press started instead of starting the plan twice
 * and sending every member its tasks again.
 */
let startKey = api.idempotencyKey('start');

/**
 * @param {string} id
 * @returns {any}
 */
function input(id) {
  return /** @type {any} */ (byId(id));
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

/**
 * Shows the incident's, the warning's or the request's field, as the basis
 * chosen, and says what an empty level means for it (the incident's level,
 * the warning colour's, or none: a request needs one chosen).
 */
function renderBasis() {
  const byRequest = input('start-basis-request').checked;
  const byWarning = input('start-basis-warning').checked;
  show(byId('start-incident-box'), !byRequest && !byWarning);
  show(byId('start-warning-box'), byWarning);
  show(byId('start-request-box'), byRequest);
  const empty = /** @type {HTMLOptionElement|null} */ (input('start-level').querySelector('option[value=""]'));
  if (!empty) return;
  const level = warningLevel();
  if (byWarning) empty.textContent = level ? t('leader.start.levelWarning', { level }) : t('leader.start.levelChoose');
  else empty.textContent = t(byRequest ? 'leader.start.levelChoose' : 'leader.start.levelIncident');
}

/**
 * The level of the colour of the warning chosen ("II"), or ''.
 * @returns {string}
 */
function warningLevel() {
  const w = warnings.find((x) => x.id === input('start-warning').value);
  return (w && COLOUR_LEVEL[/** @type {'red'} */ (String(w.colour))]) || '';
}

/** A warning chosen: the level becomes its colour's; the empty option says so. */
function onWarning() {
  const level = warningLevel();
  if (level) input('start-level').value = level;
  renderBasis();
}

/** Fills the selects: plans, open incidents, levels. */
async function fill() {
  const [ps, incs, warns] = await Promise.all([api.request('GET', '/api/v1/plans'), api.request('GET', '/api/v1/incidents'), fetchWarnings('active')]);
  warnings = warns;
  input('start-warning').replaceChildren(...warns.map((w) => Object.assign(
    el('option', null, `[${colourName(w.colour)}] ${typeName(w.type)} · ${String(w.title ?? '')} · ${w.id}`), { value: String(w.id) })));
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
    const at = fromZonedInput(input('start-request-at').value);
    b.request = { from: input('start-request-from').value, text: input('start-request-text').value };
    if (at) b.request.at = at.toISOString();
  } else if (input('start-basis-warning').checked) {
    b.warning_id = input('start-warning').value;
  } else {
    b.incident_id = input('start-incident').value;
  }
  return b;
}

/** The form's field of each field the server names (before any . or [). */
const FIELDS = /** @type {Record<string, string>} */ ({
  plan_id: 'start-plan', level: 'start-level', groups: 'start-groups', reason: 'start-reason',
  incident_id: 'start-incident', warning_id: 'start-warning',
  'request.from': 'start-request-from', 'request.text': 'start-request-text', 'request.at': 'start-request-at',
});

/** The server's refusals of a start, as the catalogue says them. */
const MESSAGES = /** @type {Array<[RegExp, string]>} */ ([
  [/^required: who asked/, 'leader.start.err.requestFrom'],
  [/^required: what was asked/, 'leader.start.err.requestText'],
  [/^required/, 'leader.start.err.required'],
  [/is not a working group/, 'leader.start.err.group'],
  [/is given twice/, 'leader.start.err.twice'],
  [/^unknown plan/, 'leader.start.err.plan'],
  [/^must be I, II, III or IV/, 'leader.start.err.level'],
  [/names no approver at level/, 'leader.start.err.approver'],
  [/^at most (\d+) characters/, 'leader.start.err.maxChars'],
  [/^unknown incident/, 'leader.start.err.incident'],
  [/^incident .* is closed$/, 'leader.start.err.closed'],
  [/^give incident_id/, 'leader.start.noIncident'],
  [/^warning .* is unknown$/, 'leader.start.err.warning'],
  [/^warning .* (was lifted|expired)/, 'leader.start.err.warningEnded'],
  [/^was already used for a different request/, 'leader.start.err.keyUsed'],
]);

/** The server's refusals of a whole start (403, 409), as the catalogue says them. */
const DETAILS = /** @type {Array<[RegExp, string, (m: RegExpMatchArray) => Record<string, string>]>} */ ([
  [/^plan \S+ is proposed for incident \S+ as (\S+) at level (\S+), which only/, 'leader.start.err.proposalWaiting', (m) => ({ id: m[1], level: m[2] })],
  [/^plan \S+ at level (\S+) is started only by/, 'leader.start.err.startedOnlyBy', (m) => ({ level: m[1] })],
  [/^plan \S+ is already active for (?:incident|warning) \S+ as (\S+)/, 'leader.start.err.alreadyActive', (m) => ({ id: m[1] })],
  [/^incident \S+ changed meanwhile/, 'leader.start.err.changed', () => ({})],
]);

/**
 * A server's message about a field in the page's language; an unknown one
 * as sent.
 * @param {unknown} message
 * @returns {string}
 */
function fieldMessage(message) {
  return translate(message, MESSAGES) ?? String(message ?? '');
}

/** Takes away the refusals shown beside the fields. */
function clearFieldErrors() {
  for (const p of document.querySelectorAll('#start-form p.start-field-error')) p.remove();
  for (const f of document.querySelectorAll('#start-form [aria-invalid]')) f.removeAttribute('aria-invalid');
}

/**
 * Says why a start failed: each bad field the server named beside its
 * field, in the page's language, and the rest on the dialog's line.
 * @param {unknown} err
 * @returns {string}
 */
function failure(err) {
  clearFieldErrors();
  if (!(err instanceof api.ApiError)) return t('leader.error.network');
  const p = /** @type {any} */ (err).problem;
  let detail = p && typeof p.detail === 'string' ? p.detail : '';
  detail = translate(detail, DETAILS) ?? detail;
  if (p && Array.isArray(p.errors) && p.errors.length) {
    /** @type {string[]} */
    const rest = [];
    for (const e of p.errors) {
      const name = String(e.field ?? '');
      const id = FIELDS[name] ?? FIELDS[name.split(/[.[]/)[0]];
      const field = id ? document.getElementById(id) : null;
      if (field && !field.closest('[hidden]')) {
        field.setAttribute('aria-invalid', 'true');
        const line = el('p', 'start-field-error', fieldMessage(e.message));
        line.dataset.errFor = name;
        field.after(line);
      } else {
        rest.push(fieldMessage(e.message));
      }
    }
    detail = rest.length ? rest.join(t('incident.reasonsSep')) : t('leader.start.seeFields');
  }
  return t('leader.start.failed', { status: err.status, detail });
}

/** Sends the start; closes the dialog when the plan is started. */
async function send() {
  const error = byId('start-error');
  error.textContent = '';
  const b = body();
  if (input('start-basis-warning').checked && !b.warning_id) {
    error.textContent = t('warn.start.noWarning');
    return;
  }
  if (!input('start-basis-request').checked && !input('start-basis-warning').checked && !b.incident_id) {
    error.textContent = t('leader.start.noIncident');
    return;
  }
  const btn = input('start-send');
  btn.disabled = true;
  try {
    await api.request('POST', '/api/v1/activations', { body: b, headers: { 'Idempotency-Key': startKey } });
    /** @type {HTMLDialogElement} */ (byId('start-dialog')).close();
  } catch (err) {
    error.textContent = failure(err);
  } finally {
    btn.disabled = false;
  }
}

/** Opens the form afresh: an incident as the basis, the level empty. */
async function open() {
  startKey = api.idempotencyKey('start');
  byId('start-error').textContent = '';
  clearFieldErrors();
  input('start-reason').value = '';
  input('start-basis-incident').checked = true; // not the basis of the last openStartFor
  input('start-level').value = '';
  /** @type {HTMLDialogElement} */ (byId('start-dialog')).showModal();
  try {
    await fill();
  } catch (err) {
    byId('start-error').textContent = failure(err);
  }
}

/**
 * Opens the form for a plan on stand-by for a warning: the warning as the
 * basis, the plan with all its groups ticked, the level of its colour.
 * @param {any} w the warning
 * @param {string} planId
 */
export async function openStartFor(w, planId) {
  await open();
  if (!w) return;
  input('start-basis-warning').checked = true;
  input('start-warning').value = String(w.id);
  input('start-plan').value = planId;
  const level = COLOUR_LEVEL[/** @type {'red'} */ (String(w.colour))];
  if (level) input('start-level').value = level;
  renderGroups();
  renderBasis();
}

/** Wires the start form of the leader page. */
export function initStart() {
  byId('start-open').addEventListener('click', () => {
    open();
  });
  byId('start-cancel').addEventListener('click', () => /** @type {HTMLDialogElement} */ (byId('start-dialog')).close());
  input('start-plan').addEventListener('change', renderGroups);
  input('start-warning').addEventListener('change', onWarning);
  for (const id of ['start-basis-incident', 'start-basis-warning', 'start-basis-request']) byId(id).addEventListener('change', renderBasis);
  byId('start-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    send();
  });
}

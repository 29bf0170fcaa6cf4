// Plans (预案) on the wall screen: a banner across the top for each active
// plan ("已启动：群体性事件应急预案（行动）") and a small list of plans
// waiting for approval. The screen's snapshot carries no activations, so
// they are fetched after each snapshot and then follow activation.* events.
//
// Each banner shows its working groups' task progress ("现场控制组：3/5
// 已确认，1/5 已完成"), kept live by task.acknowledged and task.done.
//
// Hooks for tests: #plan-banners > .plan-banner[data-activation-id]
// [data-plan-id][data-phase] > .plan-progress[data-group-id]; #proposed-panel (hidden when none) with
// #proposed > li.proposed-item[data-activation-id].

import { ActivationBook, approversText, phaseName, progressText } from './activations.js';
import * as api from './api.js';
import { byId, el, show, spaced, replaceLive } from './dom.js';
import { hhmm, parseTime } from './format.js';
import { t, tNodes } from './i18n.js';
import { localText } from './incidentview.js';
import { LEVELS } from './refdata.js';

const book = new ActivationBook();
/** Bumped on sign-out so a late answer is dropped. */
let generation = 0;

/** @type {(id: string) => string|undefined} */
let incidentTitle = () => undefined;

/**
 * Sets where the plans look up an incident's title.
 * @param {(id: string) => string|undefined} fn
 */
export function setPlanIncidentLookup(fn) {
  incidentTitle = fn;
}

/** @type {(id: string) => string|undefined} */
let warningTitle = () => undefined;

/**
 * Sets where the plans look up a warning's title (a plan started for a
 * warning, issue 20).
 * @param {(id: string) => string|undefined} fn
 */
export function setPlanWarningLookup(fn) {
  warningTitle = fn;
}

/** How long after a failed read of the plans it is tried again. */
const RETRY_MS = 3000;
/** @type {ReturnType<typeof setTimeout>|undefined} */
let retryTimer;

/**
 * Fetches the activations proposed and active (after a snapshot) and merges
 * them with what the events have told meanwhile: one shown as proposed or
 * active that the answer does not hold was decided while this screen was
 * not told, and goes. A failed read is tried again, every RETRY_MS, until
 * one succeeds or the screen signs out (a resumed socket brings no new
 * snapshot to try it).
 * @returns {Promise<void>}
 */
export async function loadPlans() {
  const gen = generation;
  clearTimeout(retryTimer);
  const mark = book.mark();
  let res;
  try {
    res = await api.activations();
  } catch {
    res = null;
  }
  if (gen !== generation) return;
  if (!res || !Array.isArray(res.activations)) {
    clearTimeout(retryTimer); // one retry waits, however many reads failed
    retryTimer = setTimeout(() => { if (gen === generation) loadPlans(); }, RETRY_MS);
    return;
  }
  const seen = new Set();
  for (const a of res.activations) {
    book.put(a);
    if (a && typeof a.id === 'string') seen.add(a.id);
  }
  book.dropOpen(seen, mark);
  renderPlans();
}

/**
 * Applies an activation.* event (its data is the activation), or a
 * task.acknowledged / task.done (a working group's new progress).
 * @param {any} msg
 */
export function applyPlan(msg) {
  const changed = msg && typeof msg.type === 'string' && msg.type.startsWith('task.')
    ? book.progress(msg.data)
    : book.put(msg && msg.data);
  if (changed) renderPlans();
}

/** Forgets every plan (on sign-out). */
export function clearPlans() {
  generation += 1;
  clearTimeout(retryTimer);
  book.reset();
  renderPlans();
}

/**
 * The title of an activation's incident, or its id; for a plan started on
 * a higher body's request, who asked.
 * @param {any} a
 * @returns {string}
 */
function titleOf(a) {
  if (!a.incident_id && a.request) return t('planboard.byRequest', { from: String(a.request.from ?? '') });
  if (!a.incident_id && a.warning_id) return t('warn.planboard', { title: warningTitle(a.warning_id) || String(a.warning_id) });
  return incidentTitle(a.incident_id) || String(a.incident_id ?? '');
}

/**
 * One active plan's banner.
 * @param {any} a
 * @returns {HTMLElement}
 */
function banner(a) {
  const phase = a.phase === 'recovery' ? 'recovery' : 'action';
  const node = el('div', `plan-banner phase-${phase}`, null, spaced([
    el('span', 'plan-banner-text', null, tNodes('plans.banner', {
      plan: el('strong', 'plan-name', localText(a.plan_name) || String(a.plan_id ?? '')),
      phase: el('span', 'plan-phase', phaseName(phase)),
    })),
    el('span', 'plan-incident', titleOf(a)),
    ...(Array.isArray(a.groups) ? a.groups : []).map((/** @type {any} */ g) => {
      const p = el('span', 'plan-progress', null, [
        el('span', 'plan-group', t('tasks.group', { group: localText(g.name) || String(g.id ?? '') })),
        el('span', 'plan-counts', progressText(g)),
      ]);
      p.dataset.groupId = String(g.id ?? '');
      return p;
    }),
  ]));
  if (localText(a.commander)) node.title = t('plans.commander', { name: localText(a.commander) });
  node.dataset.activationId = a.id;
  node.dataset.planId = String(a.plan_id ?? '');
  node.dataset.phase = phase;
  node.setAttribute('role', 'status');
  return node;
}

/**
 * One plan waiting for approval.
 * @param {any} a
 * @returns {HTMLLIElement}
 */
function proposedItem(a) {
  const level = LEVELS.includes(a.level) ? a.level : '';
  const at = parseTime(a.proposed_at);
  const li = /** @type {HTMLLIElement} */ (el('li', 'proposed-item', null, [
    el('div', 'proposed-head', null, spaced([
      el('span', `proposed-level ${level ? `level-${level}` : 'level-none'}`, level || '?'),
      el('strong', 'proposed-plan', localText(a.plan_name) || String(a.plan_id ?? '')),
    ])),
    el('div', 'proposed-meta', null, spaced([
      el('span', 'proposed-incident', titleOf(a)),
      el('span', 'proposed-approvers', t('plans.waitingFor', { who: approversText(a) })),
      // The leader on duty when it was proposed (issue 19).
      a.approver_name ? el('span', 'proposed-duty', t('alarm.approver', { name: String(a.approver_name) })) : null,
      at ? el('time', 'proposed-time', hhmm(at)) : null,
    ])),
  ]));
  li.dataset.activationId = a.id;
  li.dataset.planId = String(a.plan_id ?? '');
  if (level) li.dataset.level = level;
  return li;
}

/** Renders the banners and the list of proposals in the current language. */
export function renderPlans() {
  const active = book.list('active');
  const proposed = book.list('proposed', 'desc');
  const banners = byId('plan-banners');
  replaceLive(banners, () => active.map(banner));
  banners.dataset.count = String(active.length);
  show(banners, active.length > 0);
  replaceLive(byId('proposed'), () => proposed.map(proposedItem));
  const panel = byId('proposed-panel');
  panel.dataset.count = String(proposed.length);
  byId('proposed-count').textContent = proposed.length ? String(proposed.length) : '';
  show(panel, proposed.length > 0);
}

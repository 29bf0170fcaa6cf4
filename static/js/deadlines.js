// Reporting deadlines (信息报告时限) on the wall screen: for each open
// incident its nearest pending deadline as a live countdown, yellow under
// ten minutes, red "overdue" once missed. The countdowns tick in place once
// a second without re-rendering the list.
//
// Hooks for tests: .deadline elements with data-kind, data-status (the
// server's: pending|overdue), data-state (ok|soon|overdue) and data-due.

import { el } from './dom.js';
import { countdown, parseTime } from './format.js';
import { t } from './i18n.js';
import { serverNow } from './clock.js';

/** Under this much time left a countdown turns yellow. */
export const SOON_MS = 10 * 60 * 1000;

/**
 * A deadline kind's name in the current language; an unknown one as the
 * server spells it.
 * @param {string} kind report_higher, report_district or detailed_report
 * @returns {string}
 */
export function deadlineName(kind) {
  const key = `deadline.kind.${kind}`;
  const name = t(key);
  return name === key ? String(kind ?? '') : name;
}

/**
 * The deadline to show for an incident: a missed one first (the earliest
 * due), else the nearest pending one.
 * @param {any} inc
 * @returns {any|null} the deadline, or null when none is pending or overdue
 */
export function nearestDeadline(inc) {
  if (!inc || !Array.isArray(inc.deadlines)) return null;
  /** @type {any} */
  let overdue = null;
  /** @type {any} */
  let pending = null;
  for (const d of inc.deadlines) {
    if (!d || typeof d !== 'object') continue;
    const due = parseTime(d.due_at);
    if (!due) continue;
    if (d.status === 'overdue') {
      if (!overdue || due < /** @type {Date} */ (parseTime(overdue.due_at))) overdue = d;
    } else if (d.status === 'pending') {
      if (!pending || due < /** @type {Date} */ (parseTime(pending.due_at))) pending = d;
    }
  }
  return overdue ?? pending;
}

/**
 * The state of a deadline now: ok, soon (under ten minutes) or overdue.
 * @param {string} status the server's status
 * @param {number} left milliseconds until due (negative once passed)
 * @returns {'ok'|'soon'|'overdue'}
 */
function stateOf(status, left) {
  if (status === 'overdue' || left <= 0) return 'overdue';
  return left < SOON_MS ? 'soon' : 'ok';
}

/**
 * Fills a .deadline element for the time now.
 * @param {HTMLElement} node
 * @param {number} now milliseconds since the epoch
 */
function paint(node, now) {
  const due = Date.parse(node.dataset.due ?? '');
  if (Number.isNaN(due)) return;
  const left = due - now;
  const state = stateOf(node.dataset.status ?? '', left);
  node.dataset.state = state;
  const label = /** @type {HTMLElement|null} */ (node.querySelector('.deadline-state'));
  const time = /** @type {HTMLElement|null} */ (node.querySelector('.deadline-time'));
  if (label) label.textContent = state === 'overdue' ? t('deadline.overdue') : '';
  if (time) time.textContent = state === 'overdue' ? t('deadline.late', { time: countdown(left) }) : countdown(left);
}

/**
 * The countdown of an incident's nearest deadline, or null when there is
 * none to show.
 * @param {any} inc
 * @returns {HTMLElement|null}
 */
export function deadlineNode(inc) {
  const d = nearestDeadline(inc);
  if (!d) return null;
  const node = el('span', 'deadline', null, [
    el('span', 'deadline-kind', deadlineName(d.kind)),
    el('span', 'deadline-state'),
    el('span', 'deadline-time'),
  ]);
  node.dataset.kind = String(d.kind ?? '');
  node.dataset.status = String(d.status ?? '');
  node.dataset.due = String(d.due_at);
  node.title = t('deadline.title', { kind: deadlineName(d.kind) });
  paint(node, serverNow());
  return node;
}

/**
 * Moves every countdown under root on to the time now.
 * @param {ParentNode} root
 */
export function tickDeadlines(root) {
  const now = serverNow();
  for (const node of root.querySelectorAll('.deadline[data-due]')) paint(/** @type {HTMLElement} */ (node), now);
}

// The wall screen's on-duty block (值班, issue 19): who is on duty now, the
// leader on duty (带班领导) with their phone (masked by the server for the
// roles that see no personal data), the operators and the stand-by units
// (备勤). Read every minute, when the shift ends and when the roster is
// edited (roster.changed on the screen stream). Names are only ever set
// with textContent.
//
// Hooks for tests: #onduty (data-state loading|none|shift, data-shift,
// data-leader: the leader's username), #onduty-leader, #onduty-phone,
// #onduty-operators, #onduty-standby.

import * as api from './api.js';
import { byId, show } from './dom.js';
import { hhmm, parseTime } from './format.js';
import { t } from './i18n.js';
import { serverNow } from './clock.js';

/** @type {any} the last answer of GET /api/v1/duty/now */
let now = null;
let timer;
let shiftEnd;

/** Reads who is on duty now, and every minute after, until stopOnDuty(). */
export function startOnDuty() {
  stopOnDuty();
  refresh();
  timer = setInterval(refresh, 60000);
}

/** Stops reading and forgets the last answer. */
export function stopOnDuty() {
  clearInterval(timer);
  clearTimeout(shiftEnd);
  timer = undefined;
  shiftEnd = undefined;
  now = null;
  renderOnDuty();
}

/** Reads again at once: the roster changed (roster.changed on the stream). */
export function dutyChanged() {
  if (timer !== undefined) refresh();
}

async function refresh() {
  try {
    now = await api.request('GET', '/api/v1/duty/now');
  } catch {
    return; // keep the last answer; the link state says whether the page is live
  }
  clearTimeout(shiftEnd);
  const until = now && parseTime(now.until);
  if (until) {
    // Read again just after the shift ends (at most a day ahead).
    const ms = Math.min(until.getTime() - serverNow() + 2000, 86400000);
    if (ms > 0) shiftEnd = setTimeout(refresh, ms);
  }
  renderOnDuty();
}

/**
 * A person's name (the username when the account has none).
 * @param {any} p
 * @returns {string}
 */
function personName(p) {
  return (p && (p.name || p.username)) || '';
}

/** Renders the block in the current language. */
export function renderOnDuty() {
  const box = byId('onduty');
  if (!box) return;
  byId('onduty-label').textContent = t('duty.now.label');
  byId('onduty-leader-label').textContent = t('duty.now.leader');
  byId('onduty-operators-label').textContent = t('duty.now.operators');
  byId('onduty-standby-label').textContent = t('duty.now.standby');
  const on = now && now.shift ? now : null;
  box.dataset.state = now ? (on ? 'shift' : 'none') : 'loading';
  box.dataset.shift = on ? on.shift.id : '';
  box.dataset.leader = on && on.leader ? on.leader.username : '';
  show(byId('onduty-none'), !on);
  byId('onduty-none').textContent = now ? t('duty.now.none') : '';
  show(byId('onduty-shift'), !!on);
  if (!on) return;
  byId('onduty-leader').textContent = personName(on.leader);
  byId('onduty-phone').textContent = (on.leader && on.leader.phone) || '';
  byId('onduty-operators').textContent = on.operators.map(personName).join(t('list.and')) || '—';
  byId('onduty-standby').textContent = on.standby.map((u) => u.callsign || u.id).join(t('list.and')) || '—';
  const until = parseTime(on.until);
  byId('onduty-until').textContent = until ? t('duty.now.until', { time: hhmm(until) }) : '';
  box.title = [
    `${t('duty.now.leader')} ${personName(on.leader)} ${(on.leader && on.leader.phone) || ''}`,
    `${t('duty.now.operators')} ${byId('onduty-operators').textContent}`,
    `${t('duty.now.standby')} ${byId('onduty-standby').textContent}`,
  ].join('\n');
}

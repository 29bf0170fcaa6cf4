// The wall screen: header clock and link state, per-level counters and the
// list of open incidents. Incident text is only ever set with textContent.

import { deadlineNode } from './deadlines.js';
import { byId, el, show, spaced } from './dom.js';
import { hhmm, hhmmss, longDate, mmdd, parseTime, sameDay } from './format.js';
import { t } from './i18n.js';
import { badge, casualties, gridName, orderStatusName, reasons, statusName as incidentStatusName } from './incidentview.js';
import { categoryName, LEVELS, levelName } from './refdata.js';

/** @type {ReturnType<typeof setTimeout>|undefined} */
let clockTimer;

/**
 * Shows the local date and time in the header and keeps it ticking on the
 * second until stopClock().
 */
export function startClock() {
  stopClock();
  const tick = () => {
    const now = new Date();
    const time = byId('clock-time');
    time.textContent = hhmmss(now);
    time.setAttribute('datetime', now.toISOString());
    byId('clock-date').textContent = longDate(now);
    clockTimer = setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
  };
  tick();
}

/** Stops the header clock. */
export function stopClock() {
  clearTimeout(clockTimer);
  clockTimer = undefined;
}

/**
 * Shows the link state: the header indicator (class up or down), the red
 * banner and the dimmed main area while the link is down.
 * @param {'connecting'|'up'|'down'} state
 * @param {Date|null} lastUpdate when the last message arrived, if ever
 */
export function renderLink(state, lastUpdate) {
  const ind = byId('link-state');
  const up = state === 'up';
  ind.classList.toggle('up', up);
  ind.classList.toggle('down', !up);
  ind.classList.toggle('connecting', state === 'connecting');
  byId('link-state-text').textContent = t(up ? 'link.up' : state === 'down' ? 'link.down' : 'link.connecting');

  const down = state === 'down';
  show(byId('link-banner'), down);
  byId('link-banner-text').textContent = t('link.banner');
  byId('link-banner-last').textContent = lastUpdate
    ? t('link.banner.last', { time: hhmmss(lastUpdate) })
    : t('link.banner.never');
  byId('main').classList.toggle('stale', down);
}

/** Labels each counter with its level's name in the current language. */
export function renderLevelLabels() {
  for (const node of document.querySelectorAll('[data-level-name]')) {
    node.textContent = levelName(node.getAttribute('data-level-name'));
  }
}

/**
 * Shows the number of open incidents at each level.
 * @param {Record<string, number>} counts
 */
export function renderCounts(counts) {
  for (const level of LEVELS) {
    const n = counts[level] ?? 0;
    byId(`count-${level}`).textContent = String(n);
    byId(`counter-${level}`).classList.toggle('zero', n === 0);
  }
}

/**
 * When the incident occurred, in local time: HH:mm, with MM-DD in front
 * when it was not today.
 * @param {any} inc
 * @param {Date} now
 * @returns {HTMLElement|null}
 */
function occurred(inc, now) {
  const d = parseTime(inc.occurred_at) ?? parseTime(inc.created_at);
  if (!d) return null;
  const time = el('time', 'occurred-time', hhmm(d));
  time.setAttribute('datetime', d.toISOString());
  return el('span', 'meta occurred', null, spaced([
    el('span', 'meta-label', t('incident.occurred')),
    sameDay(d, now) ? null : el('span', 'occurred-date', mmdd(d)),
    time,
  ]));
}

/**
 * An incident status in the current language; an unknown one as the server
 * spells it.
 * @param {string} status
 * @returns {string}
 */
export function statusName(status) {
  return incidentStatusName(status);
}

/**
 * The units sent to an incident with their order status (short label), or
 * null when none is active.
 * @param {any[]|undefined} orders the incident's active orders
 * @returns {HTMLElement|null}
 */
function ordersRow(orders) {
  if (!orders || orders.length === 0) return null;
  const chips = orders.map((d) => {
    const status = typeof d.status === 'string' ? d.status : '';
    const chip = el('span', `order-chip order-${status}`, null, spaced([
      el('span', 'order-unit', typeof d.callsign === 'string' && d.callsign ? d.callsign : String(d.unit_id ?? '')),
      el('span', 'order-status', orderStatusName(status, true)),
    ]));
    chip.dataset.dispatchId = String(d.id ?? '');
    chip.dataset.unitId = String(d.unit_id ?? '');
    chip.dataset.status = status;
    return chip;
  });
  return el('div', 'incident-orders', null, spaced([el('span', 'meta-label', t('orders.label')), ...chips]));
}

/**
 * One list item.
 * @param {any} inc
 * @param {Date} now
 * @param {any[]|undefined} orders the incident's active orders
 * @returns {HTMLLIElement}
 */
function incidentItem(inc, now, orders) {
  const level = typeof inc.level === 'string' ? inc.level : '';
  const status = typeof inc.status === 'string' ? inc.status : '';
  const li = /** @type {HTMLLIElement} */ (el('li', inc.drill ? 'incident drill' : 'incident'));
  li.dataset.id = inc.id;
  li.dataset.level = level;
  const loc = inc.location;
  if (loc && typeof loc.lon === 'number' && typeof loc.lat === 'number') li.classList.add('located');
  if (status) li.dataset.status = status;

  const head = el('div', 'incident-head', null, spaced([
    el('span', 'title', typeof inc.title === 'string' ? inc.title : ''),
    inc.drill === true ? el('span', 'tag drill-tag', t('incident.drill')) : null,
    status ? el('span', `tag status-tag status-${status}`, statusName(status)) : null,
    deadlineNode(inc),
  ]));
  const meta = el('div', 'incident-meta', null, spaced([
    el('span', 'meta category', categoryName(inc.category)),
    el('span', 'meta grid', gridName(inc.grid)),
    occurred(inc, now),
    casualties(inc),
  ]));
  li.append(...spaced([badge(level), el('div', 'incident-body', null, spaced([head, meta, ordersRow(orders), reasons(inc)]))]));
  return li;
}

/**
 * Shows the open incidents: the list (already ordered), its total, and the
 * empty or loading line; each with the units sent to it and its nearest
 * reporting deadline.
 * @param {any[]} incidents
 * @param {boolean} ready whether a snapshot has arrived
 * @param {(id: string) => any[]} [ordersOf] the active orders of an incident
 * @param {number} [total] how many are open, those not listed included
 */
export function renderList(incidents, ready, ordersOf, total = incidents.length) {
  const now = new Date();
  const list = byId('incidents');
  list.replaceChildren(...incidents.map((inc) => incidentItem(inc, now, ordersOf ? ordersOf(inc.id) : undefined)));
  show(byId('empty-state'), ready && incidents.length === 0);
  show(byId('list-loading'), !ready);
  let count = '';
  if (ready) count = total > incidents.length ? t('list.totalShown', { n: total, shown: incidents.length }) : t('list.total', { n: incidents.length });
  byId('count-total').textContent = count;
}

/**
 * Shows the signed-in user's name in the header.
 * @param {string} name
 */
export function renderUser(name) {
  byId('user-name').textContent = name;
}

// The wall screen: header clock and link state, per-level counters and the
// compact rows of open incidents. Incident text is only ever set with textContent.

import { deadlineNode } from './deadlines.js';
import { byId, el, show, spaced, replaceLive } from './dom.js';
import { hhmm, hhmmss, longDate, mmdd, parseTime, sameDay } from './format.js';
import { t } from './i18n.js';
import { badge, gridName, orderStatusName, statusName as incidentStatusName } from './incidentview.js';
import { categoryName, LEVELS, levelName } from './refdata.js';
import { showLinkState } from './linkstate.js';
import { serverDate, serverNow } from './clock.js';

/** @type {ReturnType<typeof setTimeout>|undefined} */
let clockTimer;

/**
 * Shows the local date and time in the header and keeps it ticking on the
 * second until stopClock().
 */
export function startClock() {
  stopClock();
  const tick = () => {
    const now = serverDate();
    const time = byId('clock-time');
    time.textContent = hhmmss(now);
    time.setAttribute('datetime', now.toISOString());
    byId('clock-date').textContent = longDate(now);
    clockTimer = setTimeout(tick, 1000 - (serverNow() % 1000) + 5);
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
  showLinkState(state, 'link.banner');
  const down = state === 'down';
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
 * How long ago t was, short: "12分" or "2时05分" (its language's words).
 * @param {number} ms milliseconds elapsed
 * @returns {string}
 */
export function ageText(ms) {
  const m = Math.max(0, Math.floor(ms / 60000));
  if (m < 60) return t('wall.age.m', { m });
  return t('wall.age.hm', { h: Math.floor(m / 60), m: String(m % 60).padStart(2, '0') });
}

/**
 * An incident's age as a ticking element (data-since is the reference).
 * @param {any} inc
 * @param {Date} now
 * @returns {HTMLElement}
 */
function ageNode(inc, now) {
  const d = parseTime(inc.occurred_at) ?? parseTime(inc.created_at);
  const node = el('span', 'cell age', d ? ageText(now.getTime() - d.getTime()) : '');
  if (d) {
    node.dataset.since = d.toISOString();
    node.title = t('wall.occurredAt', { time: `${sameDay(d, now) ? '' : mmdd(d) + ' '}${hhmm(d)}` });
  }
  return node;
}

/** Refreshes the ages of the rows under root. */
export function tickAges(root) {
  const now = serverNow();
  for (const node of root.querySelectorAll('.age[data-since]')) {
    const since = Date.parse(/** @type {HTMLElement} */ (node).dataset.since ?? '');
    if (!Number.isNaN(since)) node.textContent = ageText(now - since);
  }
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
 * The order state of an incident in one short cell: the number of its
 * active orders in each status ("途中2 到场1"), or "未派警" when none.
 * @param {any[]|undefined} orders the incident's active orders
 * @returns {HTMLElement}
 */
function ordersCell(orders) {
  const cell = el('span', 'cell incident-orders');
  if (!orders || orders.length === 0) {
    cell.classList.add('none');
    cell.textContent = t('wall.orders.none');
    return cell;
  }
  /** @type {Map<string, number>} */
  const n = new Map();
  for (const d of orders) {
    const status = typeof d.status === 'string' ? d.status : '';
    n.set(status, (n.get(status) ?? 0) + 1);
  }
  const parts = [];
  for (const [status, k] of n) {
    const part = el('span', `order-chip order-${status}`, `${orderStatusName(status, true)}${k}`);
    part.dataset.status = status;
    parts.push(part);
  }
  if (n.has('offered')) cell.classList.add('unacked');
  cell.append(...spaced(parts));
  cell.title = orders.map((d) => `${typeof d.callsign === 'string' && d.callsign ? d.callsign : String(d.unit_id ?? '')} ${orderStatusName(String(d.status ?? ''))}`).join('\n');
  return cell;
}

/**
 * One compact row: level badge with its label, title, grid, age, order
 * state and the nearest reporting deadline, on one line.
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
  const title = el('span', 'cell title', typeof inc.title === 'string' ? inc.title : '');
  title.title = [typeof inc.title === 'string' ? inc.title : '', categoryName(inc.category), status ? statusName(status) : ''].filter(Boolean).join(' · ');
  const deadline = deadlineNode(inc);
  li.append(
    badge(level),
    el('span', 'cell title-cell', null, spaced([
      inc.drill === true ? el('span', 'tag drill-tag', t('incident.drill')) : null,
      title,
    ])),
    el('span', 'cell grid', gridName(inc.grid)),
    ageNode(inc, now),
    ordersCell(orders),
    deadline ? el('span', 'cell deadline-cell', null, [deadline]) : el('span', 'cell deadline-cell none', t('wall.deadline.none')),
  );
  return li;
}

/**
 * Shows the open incidents: the rows (already ordered), the total, and the
 * empty or loading line. Rows that do not fit the panel are hidden and
 * counted ("另有 N 起"), so the panel never scrolls or shrinks.
 * @param {any[]} incidents
 * @param {boolean} ready whether a snapshot has arrived
 * @param {(id: string) => any[]} [ordersOf] the active orders of an incident
 * @param {number} [total] how many are open, those not listed included
 */
export function renderList(incidents, ready, ordersOf, total = incidents.length) {
  const now = serverDate();
  const list = byId('incidents');
  show(byId('empty-state'), ready && incidents.length === 0);
  show(byId('list-loading'), !ready);
  byId('count-total').textContent = ready ? t('list.total', { n: total }) : '';
  replaceLive(list, () => incidents.map((inc) => incidentItem(inc, now, ordersOf ? ordersOf(inc.id) : undefined)), () => fitList(total));
}

/**
 * Hides the rows that would fall below the list's bottom edge and says how
 * many are not shown.
 * @param {number} [total] how many are open in all
 */
export function fitList(total) {
  const list = byId('incidents');
  const rows = /** @type {HTMLElement[]} */ ([...list.children]);
  const all = total ?? Number(list.dataset.total ?? rows.length);
  list.dataset.total = String(all);
  for (const r of rows) r.hidden = false;
  const bottom = list.getBoundingClientRect().bottom;
  let shown = rows.length;
  if (list.clientHeight > 0) {
    for (let i = 0; i < rows.length; i += 1) {
      if (rows[i].getBoundingClientRect().bottom > bottom + 0.5) {
        shown = i;
        break;
      }
    }
  }
  for (let i = shown; i < rows.length; i += 1) rows[i].hidden = true;
  const more = all - shown;
  const line = byId('list-more');
  list.dataset.shown = String(shown);
  line.textContent = more > 0 ? t('wall.more', { n: more }) : '';
  line.dataset.more = String(Math.max(0, more));
}

/**
 * Shows the signed-in user's name in the header.
 * @param {string} name
 */
export function renderUser(name) {
  byId('user-name').textContent = name;
}

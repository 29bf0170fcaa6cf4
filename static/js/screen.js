// The wall screen: header clock and link state, per-level counters and the
// list of open incidents. Incident text is only ever set with textContent.

import { byId, el, show, spaced } from './dom.js';
import { hhmm, hhmmss, longDate, mmdd, parseTime, sameDay } from './format.js';
import { lang, t } from './i18n.js';
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
 * The grid name in the current language, or a dash.
 * @param {any} grid
 * @returns {string}
 */
function gridName(grid) {
  if (!grid || typeof grid !== 'object') return t('incident.noGrid');
  const name = lang() === 'en' ? grid.name_en || grid.name : grid.name || grid.name_en;
  return typeof name === 'string' && name !== '' ? name : t('incident.noGrid');
}

/**
 * A non-negative whole number from the incident, or 0.
 * @param {unknown} v
 * @returns {number}
 */
function count(v) {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0;
}

/**
 * The level badge: the level and its name, never colour alone.
 * @param {string|null|undefined} level
 * @returns {HTMLElement}
 */
function badge(level) {
  const known = typeof level === 'string' && LEVELS.includes(level);
  return el('span', `badge ${known ? `level-${level}` : 'level-none'}`, null, spaced([
    el('span', 'badge-code', known ? level : '?'),
    el('span', 'badge-name', levelName(level)),
  ]));
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
 * The people involved, deaths and injuries, those that are not zero.
 * @param {any} inc
 * @returns {HTMLElement|null}
 */
function casualties(inc) {
  const parts = [];
  const people = count(inc.people_involved);
  const deaths = count(inc.deaths);
  const injuries = count(inc.injuries);
  if (people) parts.push(el('span', 'people', t('incident.people', { n: people })));
  if (deaths) parts.push(el('span', 'deaths', t('incident.deaths', { n: deaths })));
  if (injuries) parts.push(el('span', 'injuries', t('incident.injuries', { n: injuries })));
  return parts.length ? el('span', 'meta casualties', null, spaced(parts)) : null;
}

/**
 * Why the incident has its level, in the current language.
 * @param {any} inc
 * @returns {HTMLElement|null}
 */
function reasons(inc) {
  if (!Array.isArray(inc.level_reasons) || inc.level_reasons.length === 0) return null;
  const texts = [];
  for (const r of inc.level_reasons) {
    if (!r || typeof r !== 'object') continue;
    const text = lang() === 'en' ? r.en || r.zh : r.zh || r.en;
    if (typeof text === 'string' && text !== '') texts.push(text);
  }
  return texts.length ? el('p', 'reasons', texts.join(t('incident.reasonsSep'))) : null;
}

/**
 * A status in the current language; an unknown one as the server spells it.
 * @param {string} status
 * @returns {string}
 */
export function statusName(status) {
  const key = `status.${status}`;
  const name = t(key);
  return name === key ? status : name;
}

/**
 * One list item.
 * @param {any} inc
 * @param {Date} now
 * @returns {HTMLLIElement}
 */
function incidentItem(inc, now) {
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
  ]));
  const meta = el('div', 'incident-meta', null, spaced([
    el('span', 'meta category', categoryName(inc.category)),
    el('span', 'meta grid', gridName(inc.grid)),
    occurred(inc, now),
    casualties(inc),
  ]));
  li.append(...spaced([badge(level), el('div', 'incident-body', null, spaced([head, meta, reasons(inc)]))]));
  return li;
}

/**
 * Shows the open incidents: the list (already ordered), its total, and the
 * empty or loading line.
 * @param {any[]} incidents
 * @param {boolean} ready whether a snapshot has arrived
 */
export function renderList(incidents, ready) {
  const now = new Date();
  const list = byId('incidents');
  list.replaceChildren(...incidents.map((inc) => incidentItem(inc, now)));
  show(byId('empty-state'), ready && incidents.length === 0);
  show(byId('list-loading'), !ready);
  byId('count-total').textContent = ready ? t('list.total', { n: incidents.length }) : '';
}

/**
 * Shows the signed-in user's name in the header.
 * @param {string} name
 */
export function renderUser(name) {
  byId('user-name').textContent = name;
}

// Pieces of an incident as every page shows them: the level badge (numeral
// and name, never colour alone), the place, the casualties and the reasons
// for the level. Text from the server is only ever set with textContent.

import { el, spaced } from './dom.js';
import { lang, t } from './i18n.js';
import { categoryName, LEVELS, levelName } from './refdata.js';

/**
 * The grid name in the current language, or a dash.
 * @param {any} grid
 * @returns {string}
 */
export function gridName(grid) {
  if (!grid || typeof grid !== 'object') return t('incident.noGrid');
  const name = lang() === 'en' ? grid.name_en || grid.name : grid.name || grid.name_en;
  return typeof name === 'string' && name !== '' ? name : t('incident.noGrid');
}

/**
 * A non-negative whole number from the incident, or 0.
 * @param {unknown} v
 * @returns {number}
 */
export function count(v) {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0;
}

/**
 * The level badge: the level and its name, never colour alone.
 * @param {string|null|undefined} level
 * @returns {HTMLElement}
 */
export function badge(level) {
  const known = typeof level === 'string' && LEVELS.includes(level);
  return el('span', `badge ${known ? `level-${level}` : 'level-none'}`, null, spaced([
    el('span', 'badge-code', known ? level : '?'),
    el('span', 'badge-name', levelName(level)),
  ]));
}

/**
 * The people involved, deaths and injuries, those that are not zero.
 * @param {any} inc
 * @returns {HTMLElement|null}
 */
export function casualties(inc) {
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
 * The texts of the reasons for the incident's level, in the current
 * language.
 * @param {any} inc
 * @returns {string[]}
 */
export function reasonTexts(inc) {
  if (!inc || !Array.isArray(inc.level_reasons)) return [];
  const texts = [];
  for (const r of inc.level_reasons) {
    if (!r || typeof r !== 'object') continue;
    const text = lang() === 'en' ? r.en || r.zh : r.zh || r.en;
    if (typeof text === 'string' && text !== '') texts.push(text);
  }
  return texts;
}

/**
 * Why the incident has its level, in the current language, on one line.
 * @param {any} inc
 * @returns {HTMLElement|null}
 */
export function reasons(inc) {
  const texts = reasonTexts(inc);
  return texts.length ? el('p', 'reasons', texts.join(t('incident.reasonsSep'))) : null;
}

/**
 * An incident status in the current language; an unknown one as the server
 * spells it.
 * @param {string} status
 * @returns {string}
 */
export function statusName(status) {
  const key = `status.${status}`;
  const name = t(key);
  return name === key ? status : name;
}

/**
 * A {zh, en} text from the server in the current language.
 * @param {any} text
 * @returns {string}
 */
export function localText(text) {
  if (typeof text === 'string') return text;
  if (!text || typeof text !== 'object') return '';
  const v = lang() === 'en' ? text.en || text.zh : text.zh || text.en;
  return typeof v === 'string' ? v : '';
}

/**
 * Where the incident is, in words: its address, else its grid's name.
 * @param {any} inc
 * @returns {string}
 */
export function placeText(inc) {
  if (!inc) return '';
  const addr = typeof inc.address === 'string' ? inc.address.trim() : '';
  const grid = inc.grid ? gridName(inc.grid) : '';
  if (addr && grid && grid !== t('incident.noGrid')) return `${addr}${t('incident.placeSep')}${grid}`;
  return addr || grid || t('incident.noGrid');
}

/**
 * An order status (派警) in the current language: the short form for the
 * screen's chips, the long one for the responder.
 * @param {string} status
 * @param {boolean} [short]
 * @returns {string}
 */
export function orderStatusName(status, short = false) {
  const key = `${short ? 'orderShort' : 'order'}.status.${status}`;
  const name = t(key);
  return name === key ? status : name;
}

/** Order statuses in which an order is still active. */
export const ACTIVE_ORDER = ['offered', 'acked', 'en_route', 'on_scene'];

/**
 * Reports whether an order is active (offered, acked, en route, on scene).
 * @param {any} d the order
 * @returns {boolean}
 */
export function orderActive(d) {
  return !!d && ACTIVE_ORDER.includes(d.status);
}

/**
 * An order's note in the current language: the server's automatic notes
 * ("automatic: level II mass_incident", "re-offered: 步巡01 did not
 * acknowledge D-…") from the catalogue, a person's note as written.
 * @param {unknown} note
 * @returns {string}
 */
export function orderNote(note) {
  if (typeof note !== 'string') return '';
  let m = /^automatic: level (I{1,3}|IV) (\S+)$/.exec(note);
  if (m) return t('wall.note.automatic', { code: m[1], level: levelName(m[1]), category: categoryName(m[2]) });
  m = /^re-offered: (.+) did not acknowledge (\S+)$/.exec(note);
  if (m) return t('wall.note.reoffered', { unit: m[1], id: m[2] });
  return note;
}

// Pieces of a grid case (网格事件) as every page shows them: kind, status,
// handling level and step names in the current language, which statuses
// are still open, how a case is grouped on the map, and the time left to
// its step's limit. The kinds come from the configuration
// (GET /api/v1/case-kinds, loaded once by loadCaseKinds); their names are
// the configured ones, the catalogue's only for short names and glyphs.

import { request } from './api.js';
import { el } from './dom.js';
import { lang, t } from './i18n.js';

/**
 * A configured case kind.
 * @typedef {{id: string, name: {zh: string, en: string}, first_level: string, limits: Record<string, string>, mediation: boolean, escalate_on_overdue: boolean}} CaseKind
 */

/** @type {CaseKind[]} */
let kinds = [];
/** @type {Promise<CaseKind[]>|null} */
let loading = null;

/**
 * Loads the configured case kinds once (again after a failure).
 * @returns {Promise<CaseKind[]>}
 */
export function loadCaseKinds() {
  if (!loading) {
    loading = request('GET', '/api/v1/case-kinds').then(
      (res) => {
        kinds = Array.isArray(res && res.kinds) ? res.kinds : [];
        return kinds;
      },
      (err) => {
        loading = null;
        throw err;
      },
    );
  }
  return loading;
}

/**
 * The configured case kinds in their configured order ([] until loaded).
 * @returns {CaseKind[]}
 */
export function caseKinds() {
  return kinds;
}

/**
 * Whether handling a case of this kind records a mediation outcome.
 * @param {unknown} kind
 * @returns {boolean}
 */
export function isMediationKind(kind) {
  return kinds.some((k) => k.id === kind && k.mediation);
}

/** Statuses of a case that is still open, in the order of the loop. */
export const OPEN_CASE_STATUSES = ['collected', 'accepted', 'dispatched', 'handled', 'verified'];

/**
 * The step each open status waits for.
 * @type {Record<string, string>}
 */
const NEXT_STEP = { collected: 'accept', accepted: 'dispatch', dispatched: 'handle', handled: 'verify', verified: 'close' };

/**
 * Translates key, or returns fallback when the catalogue lacks it.
 * @param {string} key
 * @param {string} fallback
 * @returns {string}
 */
function named(key, fallback) {
  const s = t(key);
  return s === key ? fallback : s;
}

/**
 * A case kind's name (安全隐患 / Safety hazard); an unknown one as the server
 * spells it.
 * @param {unknown} kind
 * @returns {string}
 */
export function caseKindName(kind) {
  const k = kinds.find((x) => x.id === kind);
  if (k) return (lang() === 'en' ? k.name.en : k.name.zh) || k.name.zh || k.id;
  return named(`case.kind.${kind}`, String(kind ?? ''));
}

/**
 * A case kind's short name (隐患 / Hazard), for tight lists.
 * @param {unknown} kind
 * @returns {string}
 */
export function caseKindShort(kind) {
  return named(`case.kindShort.${kind}`, caseKindName(kind));
}

/**
 * The one character drawn in a case's map marker (隐 / H).
 * @param {unknown} kind
 * @returns {string}
 */
export function caseGlyph(kind) {
  return named(`case.glyph.${kind}`, t('case.glyph.other'));
}

/**
 * A case status's name (新上报, 已派遣 … / New, Dispatched …).
 * @param {unknown} status
 * @returns {string}
 */
export function caseStatusName(status) {
  return named(`case.status.${status}`, String(status ?? ''));
}

/**
 * A handling level's name (网格级 … 区级 / Grid level … District level).
 * @param {unknown} level
 * @returns {string}
 */
export function caseLevelName(level) {
  return named(`case.level.${level}`, String(level ?? ''));
}

/**
 * A step's name (立案, 派遣, 处理, 核查, 结案).
 * @param {unknown} step
 * @returns {string}
 */
export function caseStepName(step) {
  return named(`case.step.${step}`, String(step ?? ''));
}

/**
 * The step a status waits for (accept for collected …), or ''.
 * @param {unknown} status
 * @returns {string}
 */
export function nextStep(status) {
  return typeof status === 'string' && Object.hasOwn(NEXT_STEP, status) ? NEXT_STEP[status] : '';
}

/**
 * Reports whether a case is still open (not closed, evaluated or rejected).
 * @param {any} c
 * @returns {boolean}
 */
export function caseOpen(c) {
  return !!c && OPEN_CASE_STATUSES.includes(c.status);
}

/**
 * Where a case stands, for colour: new (collected), handling (accepted,
 * dispatched), handled (handled, verified: waiting to be closed) or done.
 * @param {any} c
 * @returns {'new'|'handling'|'handled'|'done'}
 */
export function caseGroup(c) {
  switch (c && c.status) {
    case 'collected':
      return 'new';
    case 'accepted':
    case 'dispatched':
      return 'handling';
    case 'handled':
    case 'verified':
      return 'handled';
    default:
      return 'done';
  }
}

/**
 * The case's grid name in the current language, or ''.
 * @param {any} c
 * @returns {string}
 */
export function caseGridName(c) {
  const g = c && c.grid;
  if (!g || typeof g !== 'object') return '';
  const name = lang() === 'en' ? g.name_en || g.name : g.name || g.name_en;
  return typeof name === 'string' ? name : String(g.code ?? '');
}

/**
 * A duration in words, to the minute: 2天3小时 / 3小时5分 / 12分钟.
 * @param {number} ms not negative
 * @returns {string}
 */
export function durationText(ms) {
  const mins = Math.max(0, Math.floor(ms / 60000));
  const d = Math.floor(mins / 1440);
  const h = Math.floor((mins % 1440) / 60);
  const m = mins % 60;
  if (d > 0) return t('case.dur.d', { d, h });
  if (h > 0) return t('case.dur.h', { h, m });
  return t('case.dur.m', { m });
}

/**
 * The time left to the limit of the step a case waits for.
 * @param {any} c
 * @param {number} now ms since the epoch
 * @returns {{state: 'none'|'ok'|'soon'|'over', text: string, short: string}}
 *   soon is the last hour; over is past the limit (or marked overdue by the
 *   server); text names the step ("处理剩余 3小时5分"), short is only the
 *   time past the limit ("+2小时5分"), or ''
 */
export function caseDue(c, now) {
  const ms = c && typeof c.due_at === 'string' ? Date.parse(c.due_at) : NaN;
  if (!caseOpen(c) || Number.isNaN(ms)) {
    return c && c.overdue === true && caseOpen(c)
      ? { state: 'over', text: t('case.overdue'), short: '' }
      : { state: 'none', text: '', short: '' };
  }
  const step = caseStepName(nextStep(c.status));
  const left = ms - now;
  if (left <= 0) {
    const time = durationText(-left);
    return { state: 'over', text: t('case.due.over', { step, time }), short: t('case.due.late', { time }) };
  }
  const text = t('case.due.left', { step, time: durationText(left) });
  if (c.overdue === true) return { state: 'over', text, short: '' };
  return { state: left <= 3600000 ? 'soon' : 'ok', text, short: '' };
}

/**
 * A small tag with the case's status, translated, styled by data-status.
 * @param {any} c
 * @param {string} [className] more classes
 * @returns {HTMLElement}
 */
export function caseStatusTag(c, className = '') {
  const status = String((c && c.status) ?? '');
  const tag = el('span', `case-status-tag${className ? ` ${className}` : ''}`, caseStatusName(status));
  tag.dataset.status = status;
  return tag;
}

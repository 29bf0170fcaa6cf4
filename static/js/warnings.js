// Warnings (预警, issue 20): what the wall, the console, the leader page
// and the phones share. A WarningBook keeps the warnings by id from
// GET /api/v1/warnings and the warning.issued/updated/ended events (a
// warning's version orders them); the helpers name types, colours, areas
// and validity in the current language, and build the banner's chips.
// Every text from the server is set as text only.

import * as api from './api.js';
import { el, spaced } from './dom.js';
import { hhmm, mmdd, parseTime, sameDay } from './format.js';
import { t } from './i18n.js';
import { localText } from './incidentview.js';
import { serverDate } from './clock.js';

/** The warning types, in the order the pages offer them. */
export const WARNING_TYPES = ['typhoon', 'rainstorm', 'flood', 'large_event', 'mass_gathering', 'other'];

/** The colour levels, least severe first. */
export const COLOURS = ['blue', 'yellow', 'orange', 'red'];

/** The colour of each level as drawn (fill and outline). */
export const COLOUR_HEX = { blue: '#1e88e5', yellow: '#fdd835', orange: '#fb8c00', red: '#e53935' };

/** The response level a plan started for a warning takes by default. */
export const COLOUR_LEVEL = { red: 'I', orange: 'II', yellow: 'III', blue: 'IV' };

/** The events that carry a whole warning. */
export const WARNING_EVENTS = ['warning.issued', 'warning.updated', 'warning.ended'];

/**
 * The rank of a colour: blue 1 … red 4; 0 for anything else.
 * @param {unknown} c
 * @returns {number}
 */
export function colourRank(c) {
  return COLOURS.indexOf(String(c)) + 1;
}

/**
 * A warning type in the current language.
 * @param {unknown} type
 * @returns {string}
 */
export function typeName(type) {
  const s = String(type ?? '');
  return WARNING_TYPES.includes(s) ? t(`warn.type.${s}`) : s;
}

/**
 * A colour level in the current language ("红色").
 * @param {unknown} colour
 * @returns {string}
 */
export function colourName(colour) {
  const s = String(colour ?? '');
  return COLOURS.includes(s) ? t(`warn.colour.${s}`) : s;
}

/**
 * A time, short: HH:mm today, else MM-DD HH:mm (configured zone).
 * @param {unknown} s RFC 3339
 * @returns {string}
 */
export function shortTime(s) {
  const d = parseTime(typeof s === 'string' ? s : '');
  if (!d) return '';
  return sameDay(d, serverDate()) ? hhmm(d) : `${mmdd(d)} ${hhmm(d)}`;
}

/**
 * The names of the areas a warning covers, in the current language.
 * @param {any} w
 * @returns {string}
 */
export function areaText(w) {
  const a = w && w.area;
  if (!a) return '';
  if (a.kind === 'polygon') return t('warn.area.polygon');
  const names = Array.isArray(a.names) ? a.names.map((/** @type {any} */ n) => localText({ zh: n.name, en: n.name_en }) || String(n.code ?? '')) : [];
  if (a.kind === 'city') return names.length ? t('warn.area.cityOf', { names: names.join(t('warn.sep')) }) : t('warn.area.city');
  if (names.length) return names.join(t('warn.sep'));
  return Array.isArray(a.codes) ? a.codes.join(t('warn.sep')) : '';
}

/**
 * A colour chip: the colour's name on its colour (never colour alone).
 * @param {unknown} colour
 * @returns {HTMLElement}
 */
export function colourChip(colour) {
  const c = COLOURS.includes(String(colour)) ? String(colour) : 'none';
  const chip = el('span', `warn-chip warn-${c}`, colourName(colour));
  chip.dataset.colour = c;
  return chip;
}

/**
 * One warning in a banner: colour chip, type, title, area, until when.
 * @param {any} w
 * @returns {HTMLElement}
 */
export function bannerItem(w) {
  const li = el('li', `warn-item warn-${w.colour}`, null, spaced([
    colourChip(w.colour),
    el('span', 'warn-type', typeName(w.type)),
    w.drill === true ? el('span', 'tag drill-tag', t('incident.drill')) : null,
    el('strong', 'warn-title', String(w.title ?? '')),
    el('span', 'warn-area', areaText(w)),
    el('span', 'warn-until', t('warn.until', { time: shortTime(w.ends_at) })),
  ]));
  li.dataset.warningId = String(w.id);
  li.dataset.colour = String(w.colour);
  li.title = [w.title, typeName(w.type), colourName(w.colour), areaText(w), w.text].filter(Boolean).join(' · ');
  return li;
}

/**
 * The plans a warning put on stand-by, in words ("三防预案：转移安置组、抢险救援组").
 * @param {any} s a StandBy
 * @returns {string}
 */
export function standbyText(s) {
  const groups = Array.isArray(s.groups) ? s.groups.map((/** @type {any} */ g) => localText(g.name) || String(g.id)) : [];
  const plan = localText(s.plan_name) || String(s.plan_id);
  return groups.length ? t('warn.standby.text', { plan, groups: groups.join(t('warn.sep')) }) : plan;
}

/**
 * Whether a warning is only a summary (warning.standby's: no stand-by
 * lists, history or text).
 * @param {any} w
 * @returns {boolean}
 */
export function isSlim(w) {
  return !!w && !Array.isArray(w.history);
}

/**
 * The warnings known to a page, by id, newest version kept. A summary never
 * replaces a whole record of its version; a newer summary is laid over the
 * record it updates, which is then marked partial (until a whole one comes).
 */
export class WarningBook {
  constructor() {
    /** @type {Map<string, any>} */
    this.byId = new Map();
    /** @type {Map<string, number>} when each warning was last taken (see mark) */
    this.touched = new Map();
    this.clock = 0;
  }

  /**
   * Takes a warning (from a list or an event) unless an older version, or
   * a summary of the version held whole.
   * @param {any} w
   * @returns {boolean} whether it changed anything
   */
  put(w) {
    if (!w || typeof w.id !== 'string') return false;
    const had = this.byId.get(w.id);
    const v = Number(w.version);
    const slim = isSlim(w);
    if (had && Number(had.version) > v) return false;
    if (had && Number(had.version) === v && slim && !had.partial) return false;
    this.byId.set(w.id, slim ? { ...(had || {}), ...w, partial: true } : w);
    this.clock += 1;
    this.touched.set(w.id, this.clock);
    return true;
  }

  /**
   * A mark to take before asking for a list, for replaceActive.
   * @returns {number}
   */
  mark() {
    return this.clock;
  }

  /**
   * Replaces the active warnings with a fresh list (ended ones known are
   * kept for the record); an active one missing from the list is dropped
   * unless an event brought it after the mark taken before the list was
   * asked for (the list may have been served before that event).
   * @param {any[]} list
   * @param {number} [mark] book.mark() before the request; none: drop all missing
   */
  replaceActive(list, mark = Infinity) {
    const seen = new Set();
    for (const w of list) {
      this.put(w);
      if (w && typeof w.id === 'string') seen.add(w.id);
    }
    for (const [id, w] of this.byId) {
      if (w.status === 'active' && !seen.has(id) && (this.touched.get(id) ?? 0) <= mark) {
        this.byId.delete(id);
        this.touched.delete(id);
      }
    }
  }

  /**
   * The active warnings, most severe first, then the latest issued.
   * @returns {any[]}
   */
  active() {
    return [...this.byId.values()].filter((w) => w.status === 'active').sort(bySeverity);
  }

  /**
   * Every warning known, active first, then the latest updated.
   * @returns {any[]}
   */
  all() {
    return [...this.byId.values()].sort((a, b) => {
      const aa = a.status === 'active' ? 0 : 1;
      const bb = b.status === 'active' ? 0 : 1;
      if (aa !== bb) return aa - bb;
      return aa === 0 ? bySeverity(a, b) : String(b.updated_at).localeCompare(String(a.updated_at));
    });
  }

  /** Forgets everything. */
  reset() {
    this.byId.clear();
    this.touched.clear();
  }
}

/**
 * Orders warnings: the most severe colour first, then the latest issued.
 * @param {any} a
 * @param {any} b
 * @returns {number}
 */
export function bySeverity(a, b) {
  const r = colourRank(b.colour) - colourRank(a.colour);
  if (r !== 0) return r;
  return String(b.issued_at).localeCompare(String(a.issued_at));
}

/**
 * Lists warnings.
 * @param {'active'|'ended'|'all'} [status]
 * @param {number} [limit]
 * @returns {Promise<any[]>}
 */
export async function fetchWarnings(status = 'active', limit = 0) {
  const q = new URLSearchParams({ status });
  if (limit > 0) q.set('limit', String(limit));
  const res = await api.request('GET', `/api/v1/warnings?${q}`);
  return res && Array.isArray(res.warnings) ? res.warnings : [];
}

/**
 * Loads the active warnings into a book, unless the answer comes too late
 * (signed out meanwhile); a failure leaves the book as it was, for the next
 * try.
 * @param {WarningBook} book
 * @param {() => boolean} stale
 * @returns {Promise<boolean>} whether the book was refreshed
 */
export async function refreshActive(book, stale) {
  try {
    const mark = book.mark();
    const list = await fetchWarnings('active');
    if (stale()) return false;
    book.replaceActive(list, mark);
    return true;
  } catch {
    return false;
  }
}

/**
 * The warnings an incident carries, as a line of chips, or null.
 * @param {any} inc
 * @returns {HTMLElement|null}
 */
export function incidentWarnings(inc) {
  const refs = inc && Array.isArray(inc.warnings) ? inc.warnings : [];
  if (!refs.length) return null;
  const box = el('p', 'incident-warnings', null, spaced([
    el('span', 'incident-warnings-label', t('warn.incident.label')),
    ...refs.map((/** @type {any} */ r) => {
      const chip = el('span', `incident-warning warn-${r.colour}`, null, spaced([colourChip(r.colour), el('span', 'warn-title', `${typeName(r.type)} · ${String(r.title ?? '')}`)]));
      chip.dataset.warningId = String(r.id);
      return chip;
    }),
  ]));
  return box;
}

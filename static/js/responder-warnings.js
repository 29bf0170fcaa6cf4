// The phone's warnings (预警, issue 20): a banner of the active warnings
// (colour, type, title, until when) and, while the unit is on stand-by
// (待命) for a plan's working group, a card naming the plan and the group.
// The warnings come from GET /api/v1/warnings at sign-in, on every
// reconnection and every minute; warning.standby on the unit's stream says
// at once that the unit is on call (or no longer).
//
// Hooks for tests: #resp-warnings[data-count] > #resp-warn-list >
// li.warn-item[data-warning-id]; #standby-card (hidden when none) >
// #standby-list > li.standby-item[data-warning-id][data-plan-id]
// [data-group-id].

import { byId, el, show, spaced, replaceLive } from './dom.js';
import { localText } from './incidentview.js';
import { t } from './i18n.js';
import { bannerItem, colourChip, refreshActive, typeName, WarningBook } from './warnings.js';

const REFRESH_MS = 60 * 1000;

const book = new WarningBook();
/** @type {Map<string, {warning: any, version: number, plan_id: string, plan_name: any, group_id: string, group_name: any}>} stand-by said by events */
const told = new Map();
/** @type {ReturnType<typeof setInterval>|undefined} */
let timer;
let unitId = '';
let generation = 0;

/**
 * Starts following the warnings for a unit.
 * @param {string} unit
 */
export function startWarnings(unit) {
  unitId = unit;
  clearInterval(timer);
  timer = setInterval(refreshWarnings, REFRESH_MS);
  refreshWarnings();
}

/** Loads the active warnings again. */
export async function refreshWarnings() {
  const gen = generation;
  if (await refreshActive(book, () => gen !== generation)) renderWarnings(); // else the next minute or reconnection tries again
}

/**
 * Applies warning.standby from the unit's stream.
 * @param {any} data {warning, plan_id, plan_name, group_id, group_name, on_call}
 * @returns {boolean} whether the unit was just put on call
 */
export function applyStandby(data) {
  if (!data || !data.warning || typeof data.warning.id !== 'string') return false;
  const key = `${data.warning.id}|${data.plan_id}|${data.group_id}`;
  const was = told.has(key) || standby().some((s) => `${s.warning.id}|${s.plan_id}|${s.group_id}` === key); // before the event is taken
  book.put(data.warning);
  const version = Number(data.warning.version) || 0;
  if (data.on_call === true) told.set(key, { warning: data.warning, version, plan_id: String(data.plan_id), plan_name: data.plan_name, group_id: String(data.group_id), group_name: data.group_name });
  else told.delete(key);
  renderWarnings();
  const w = book.byId.get(data.warning.id);
  if (w && w.partial) refreshWarnings(); // the event carries a summary: fetch the whole warning
  return data.on_call === true && !was;
}

/**
 * The stand-by entries of this unit: from the warnings' stand-by lists and
 * from what the stream said, for active warnings only. A told entry goes
 * once a whole record of its version or later no longer lists the unit
 * (its on_call:false was missed while offline).
 * @returns {Array<{warning: any, plan_id: string, plan_name: any, group_id: string, group_name: any}>}
 */
function standby() {
  /** @type {Map<string, any>} */
  const out = new Map();
  for (const w of book.active()) {
    for (const s of Array.isArray(w.standby) ? w.standby : []) {
      for (const g of Array.isArray(s.groups) ? s.groups : []) {
        if (Array.isArray(g.units) && g.units.includes(unitId)) {
          out.set(`${w.id}|${s.plan_id}|${g.id}`, { warning: w, plan_id: String(s.plan_id), plan_name: s.plan_name, group_id: String(g.id), group_name: g.name });
        }
      }
    }
  }
  for (const [k, e] of told) {
    const w = book.byId.get(e.warning.id);
    if (!w || w.status !== 'active') told.delete(k);
    else if (out.has(k)) continue;
    else if (!w.partial && Number(w.version) >= e.version) told.delete(k);
    else out.set(k, { ...e, warning: w });
  }
  return [...out.values()];
}

/** Renders the banner and the stand-by card in the current language. */
export function renderWarnings() {
  const list = book.active();
  const box = byId('resp-warnings');
  box.dataset.count = String(list.length);
  replaceLive(byId('resp-warn-list'), () => list.map(bannerItem));
  show(box, list.length > 0);
  const mine = standby();
  replaceLive(byId('standby-list'), () => mine.map((s) => {
    const li = el('li', 'standby-item', null, [
      el('p', 'standby-line', null, spaced([colourChip(s.warning.colour), el('span', 'warn-type', typeName(s.warning.type)), el('strong', 'warn-title', String(s.warning.title ?? ''))])),
      el('p', 'standby-plan', t('warn.standby.phone', { plan: localText(s.plan_name) || s.plan_id, group: localText(s.group_name) || s.group_id })),
    ]);
    li.dataset.warningId = String(s.warning.id);
    li.dataset.planId = s.plan_id;
    li.dataset.groupId = s.group_id;
    return li;
  }));
  show(byId('standby-card'), mine.length > 0);
}

/** Forgets everything (sign-out). */
export function resetWarnings() {
  generation += 1;
  clearInterval(timer);
  timer = undefined;
  book.reset();
  told.clear();
  unitId = '';
  renderWarnings();
}

// Plan activations (预案启动) as the wall screen and the leaders' page keep
// them: every activation seen, by id, each kept at its latest state (the
// list fetched over HTTP and the events of the stream may arrive in either
// order, so the later updated_at wins).

import { t } from './i18n.js';
import { categoryName, roleName } from './refdata.js';

/**
 * Milliseconds since the epoch of an activation's last change, or 0.
 * @param {any} a
 * @returns {number}
 */
export function changedAt(a) {
  const ms = Date.parse(a && (a.updated_at || a.ended_at || a.decided_at || a.proposed_at));
  return Number.isNaN(ms) ? 0 : ms;
}

/**
 * Reports whether v looks like an activation.
 * @param {any} v
 * @returns {boolean}
 */
export function isActivation(v) {
  return !!v && typeof v === 'object' && typeof v.id === 'string' && v.id !== '';
}

/** Every activation seen, at its latest state. */
export class ActivationBook {
  constructor() {
    /** @type {Map<string, any>} */
    this.byId = new Map();
    /** Counts the changes taken, for mark. */
    this.clock = 0;
    /** @type {Map<string, number>} the clock when each was last changed */
    this.touched = new Map();
  }

  /** Forgets everything (on sign-out). */
  reset() {
    this.byId = new Map();
    this.touched = new Map();
  }

  /**
   * A mark to take before asking for a list, for dropOpen.
   * @returns {number}
   */
  mark() {
    return this.clock;
  }

  /**
   * Drops the proposed and active activations a fresh list (or snapshot)
   * did not hold: decided while this page was not told. One an event
   * brought after mark, taken before the list was asked for, is kept (the
   * list may have been read before that event).
   * @param {Set<string>} seen the ids the list held
   * @param {number} [mark] mark() before the request; none: drop every one missing
   */
  dropOpen(seen, mark = Infinity) {
    for (const [id, a] of this.byId) {
      if ((a.status === 'proposed' || a.status === 'active') && !seen.has(id) && (this.touched.get(id) ?? 0) <= mark) {
        this.byId.delete(id);
        this.touched.delete(id);
      }
    }
  }

  /**
   * Takes one activation unless an equal or later state is known.
   * @param {any} a
   * @returns {boolean} whether it changed anything
   */
  put(a) {
    if (!isActivation(a)) return false;
    const prev = this.byId.get(a.id);
    if (prev && changedAt(prev) > changedAt(a)) return false;
    const merged = { ...a };
    // Events carry the activation alone; keep an incident fetched earlier.
    if (!merged.incident && prev && prev.incident) merged.incident = prev.incident;
    this.byId.set(a.id, merged);
    this.clock += 1;
    this.touched.set(a.id, this.clock);
    return true;
  }

  /**
   * Applies task.acknowledged or task.done: the new counts of one working
   * group ({activation_id, group_id, progress}).
   * @param {any} data
   * @returns {boolean} whether a known group changed
   */
  progress(data) {
    if (!data || typeof data !== 'object' || !data.progress) return false;
    const a = this.byId.get(data.activation_id);
    if (!a || !Array.isArray(a.groups)) return false;
    const g = a.groups.find((/** @type {any} */ x) => x && x.id === data.group_id);
    if (!g) return false;
    const p = data.progress;
    const prev = g.tasks ?? {};
    // Counts only grow: a late event never takes progress back.
    g.tasks = {
      total: Number(p.total) || Number(prev.total) || 0,
      acknowledged: Math.max(Number(p.acknowledged) || 0, Number(prev.acknowledged) || 0),
      done: Math.max(Number(p.done) || 0, Number(prev.done) || 0),
    };
    return true;
  }

  /**
   * Sets the incident shown with every activation of that incident.
   * @param {any} inc
   * @returns {boolean} whether any activation is about it
   */
  setIncident(inc) {
    if (!inc || typeof inc.id !== 'string') return false;
    let any = false;
    for (const a of this.byId.values()) {
      if (a.incident_id === inc.id) {
        a.incident = inc;
        any = true;
      }
    }
    return any;
  }

  /**
   * The activations of one status, in the order given.
   * @param {string} status proposed, active, rejected or ended
   * @param {'asc'|'desc'} [order] by the time of their last change
   * @returns {any[]}
   */
  list(status, order = 'asc') {
    const out = [...this.byId.values()].filter((a) => a.status === status);
    out.sort((a, b) => (order === 'asc' ? changedAt(a) - changedAt(b) : changedAt(b) - changedAt(a)));
    return out;
  }
}

/**
 * A working group's progress: "3/5 已确认，1/5 已完成".
 * @param {any} g a group of an activation ({tasks: {total, acknowledged, done}})
 * @returns {string}
 */
export function progressText(g) {
  const p = (g && g.tasks) || {};
  return t('tasks.progress', { ack: Number(p.acknowledged) || 0, done: Number(p.done) || 0, total: Number(p.total) || 0 });
}

/**
 * A phase's name in the current language: 行动 (action) or 恢复 (recovery).
 * @param {string} phase
 * @returns {string}
 */
export function phaseName(phase) {
  const key = `phase.${phase}`;
  const name = t(key);
  return name === key ? String(phase ?? '') : name;
}

/**
 * An activation status's name in the current language.
 * @param {string} status
 * @returns {string}
 */
export function activationStatusName(status) {
  const key = `activation.status.${status}`;
  const name = t(key);
  return name === key ? String(status ?? '') : name;
}

/**
 * Who may decide: the approvers' role names, joined in the current
 * language.
 * @param {any} a
 * @returns {string}
 */
export function approversText(a) {
  const roles = Array.isArray(a && a.approvers) ? a.approvers : [];
  return roles.map((r) => roleName(String(r))).join(t('plan.or'));
}

/**
 * One reason the server gives for a plan's match, in the current language.
 * The server writes them in English; the known forms are translated and
 * anything else is shown as it is.
 * @param {string} why
 * @returns {string}
 */
export function whyText(why) {
  const s = String(why ?? '');
  let m;
  if (s === 'any category (general plan)') return t('plan.why.general');
  if (s === "the plan's extra conditions hold") return t('plan.why.when');
  if ((m = /^category (\S+)$/.exec(s))) return t('plan.why.category', { category: categoryName(m[1]) });
  if ((m = /^level (\S+) reaches the plan's minimum (\S+)$/.exec(s))) return t('plan.why.level', { level: m[1], min: m[2] });
  return s;
}

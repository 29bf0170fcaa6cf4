// The screen's local copy of the open incidents, kept up to date from the
// screen stream's messages.

import { LEVELS } from './refdata.js';

const RANK = { I: 0, II: 1, III: 2, IV: 3 };

/**
 * Milliseconds since the epoch of an incident's age reference: when it
 * occurred, else when it was created; Infinity when neither is known.
 * @param {any} inc
 * @returns {number}
 */
function ageKey(inc) {
  for (const v of [inc.occurred_at, inc.created_at]) {
    if (typeof v === 'string') {
      const ms = Date.parse(v);
      if (!Number.isNaN(ms)) return ms;
    }
  }
  return Infinity;
}

/**
 * Orders incidents by level (I first, ungraded last), then oldest first.
 * @param {any} a
 * @param {any} b
 * @returns {number}
 */
export function compareIncidents(a, b) {
  const ra = LEVELS.includes(a.level) ? RANK[a.level] : 4;
  const rb = LEVELS.includes(b.level) ? RANK[b.level] : 4;
  if (ra !== rb) return ra - rb;
  const aa = ageKey(a);
  const ab = ageKey(b);
  if (aa !== ab) return aa < ab ? -1 : 1;
  return String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0;
}

/**
 * Reports whether a stream message carries a seq (volatile ones do not).
 * @param {any} msg
 * @returns {boolean}
 */
function hasSeq(msg) {
  return typeof msg.seq === 'number' && Number.isFinite(msg.seq);
}

/**
 * Reports whether v looks like an incident we can show.
 * @param {any} v
 * @returns {boolean}
 */
function isIncident(v) {
  return v != null && typeof v === 'object' && typeof v.id === 'string' && v.id !== '';
}

/** The open incidents and the last seq applied. */
export class IncidentStore {
  constructor() {
    /** @type {Map<string, any>} */
    this.byId = new Map();
    /** @type {number|null} seq of the last snapshot or event applied */
    this.lastSeq = null;
    /** Whether a snapshot has been received since the last reset. */
    this.ready = false;
    /**
     * Open incidents the last snapshot left out (it carries at most a few
     * hundred, the most serious), less those heard of since.
     */
    this.hidden = 0;
    /** When the last snapshot was taken (ms), to tell what closed before it. */
    this.snapshotAt = NaN;
    /** @type {Set<string>} incidents the total counts as heard of: the snapshot's and those since */
    this.counted = new Set();
  }

  /** Forgets everything (on sign-out). */
  reset() {
    this.byId = new Map();
    this.lastSeq = null;
    this.ready = false;
    this.hidden = 0;
    this.snapshotAt = NaN;
    this.counted = new Set();
  }

  /**
   * The seq gate every stream message passes before it is handled.
   * Volatile messages (no seq: unit.positions frames, heartbeats) always
   * pass and never touch lastSeq. A snapshot always passes (apply() takes its
   * seq). Any other sequenced event, whatever its type, passes only when its
   * seq is after the last one applied, and then becomes the last one, so a
   * reconnection's since= covers unit events too and a replayed duplicate is
   * dropped here.
   * @param {any} msg {seq, type, at, data}
   * @returns {boolean} false for a sequenced event already applied
   */
  admit(msg) {
    if (!msg || typeof msg !== 'object') return false;
    if (!hasSeq(msg) || msg.type === 'snapshot') return true;
    if (this.lastSeq !== null && msg.seq <= this.lastSeq) return false;
    this.lastSeq = msg.seq;
    return true;
  }

  /**
   * Applies one stream message (normally one that admit() let through).
   * A snapshot always replaces the map (the server sends one when our seq is
   * unknown to it, possibly with a lower seq); an incident event is ignored
   * when its seq is before the last one applied (the same seq again, as
   * after admit(), applies the same data once more).
   * @param {any} msg {seq, type, at, data}
   * @returns {boolean} true when the incidents changed
   */
  apply(msg) {
    if (!msg || typeof msg !== 'object') return false;
    const sequenced = hasSeq(msg);
    switch (msg.type) {
      case 'snapshot': {
        const list = msg.data && msg.data.incidents;
        if (!Array.isArray(list)) return false;
        const m = new Map();
        for (const inc of list) {
          if (isIncident(inc) && inc.status !== 'closed') m.set(inc.id, inc);
        }
        this.byId = m;
        const total = msg.data.incidents_total;
        this.hidden = typeof total === 'number' && total > m.size ? total - m.size : 0;
        this.snapshotAt = Date.parse(msg.at);
        this.counted = new Set(m.keys());
        if (sequenced) this.lastSeq = msg.seq;
        this.ready = true;
        return true;
      }
      case 'incident.created':
      case 'incident.updated': {
        if (sequenced && this.lastSeq !== null && msg.seq < this.lastSeq) return false;
        if (sequenced) this.lastSeq = msg.seq;
        const inc = msg.data;
        if (!isIncident(inc)) return false;
        // An update of an incident we do not hold is one the snapshot left
        // out, now shown or closed since (counted once), or one closed at
        // the snapshot, which the total never counted: closed before it (a
        // deadline marked sent after closing) or reopened since.
        if (msg.type === 'incident.updated' && !this.counted.has(inc.id) && this.hidden > 0) {
          const closedAt = inc.status === 'closed' ? Date.parse(inc.closed_at) : NaN;
          const reopenedAt = inc.status !== 'closed' ? Date.parse(inc.reopened_at) : NaN;
          if (!(closedAt <= this.snapshotAt) && !(reopenedAt > this.snapshotAt)) this.hidden -= 1;
        }
        this.counted.add(inc.id); // counted from now on, closed or not
        if (inc.status === 'closed') return this.byId.delete(inc.id) || msg.type === 'incident.updated';
        this.byId.set(inc.id, inc);
        return true;
      }
      default:
        return false; // heartbeat and unknown types
    }
  }

  /**
   * The open incidents, ordered for the list.
   * @returns {any[]}
   */
  list() {
    return [...this.byId.values()].sort(compareIncidents);
  }

  /**
   * The number of open incidents, those the snapshot left out included.
   * @returns {number}
   */
  total() {
    return this.byId.size + this.hidden;
  }

  /**
   * The number of open incidents at each level.
   * @returns {Record<string, number>}
   */
  counts() {
    /** @type {Record<string, number>} */
    const c = {};
    for (const l of LEVELS) c[l] = 0;
    for (const inc of this.byId.values()) {
      if (LEVELS.includes(inc.level)) c[inc.level] += 1;
    }
    return c;
  }
}

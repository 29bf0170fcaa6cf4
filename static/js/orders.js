// The active orders (派警) the wall screen shows per incident: seeded by the
// snapshot's data.dispatches and kept up to date by dispatch.created and
// dispatch.updated; an order that is cleared, expired or cancelled is
// dropped.

import { orderActive } from './incidentview.js';

/**
 * Milliseconds since the epoch of an order's last change, or 0.
 * @param {any} d
 * @returns {number}
 */
function changedAt(d) {
  const ms = Date.parse(d && (d.updated_at || d.created_at));
  return Number.isNaN(ms) ? 0 : ms;
}

/** The active orders, by order id. */
export class OrderBook {
  constructor() {
    /** @type {Map<string, any>} */
    this.byId = new Map();
  }

  /** Forgets every order (on sign-out). */
  reset() {
    this.byId = new Map();
  }

  /**
   * Replaces the orders with a snapshot's list of active orders.
   * @param {any} list the snapshot's data.dispatches
   * @returns {boolean} whether the list was usable
   */
  replace(list) {
    if (!Array.isArray(list)) return false;
    const m = new Map();
    for (const d of list) {
      if (d && typeof d.id === 'string' && orderActive(d)) m.set(d.id, d);
    }
    this.byId = m;
    return true;
  }

  /**
   * Applies a dispatch.created or dispatch.updated message: an older state
   * of an order already known is ignored.
   * @param {any} msg {type, data: {dispatch_id, dispatch, incident?}}
   * @returns {boolean} whether the orders changed
   */
  apply(msg) {
    const data = msg && msg.data;
    const d = data && data.dispatch;
    if (!d || typeof d !== 'object') return false;
    const id = typeof d.id === 'string' && d.id ? d.id : data.dispatch_id;
    if (typeof id !== 'string' || id === '') return false;
    const prev = this.byId.get(id);
    if (prev && changedAt(prev) > changedAt(d)) return false;
    if (!orderActive(d)) return this.byId.delete(id);
    this.byId.set(id, { ...d, id });
    return true;
  }

  /**
   * The active orders of one incident, oldest first.
   * @param {string} incidentId
   * @returns {any[]}
   */
  ofIncident(incidentId) {
    const out = [];
    for (const d of this.byId.values()) if (d.incident_id === incidentId) out.push(d);
    out.sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
    return out;
  }
}

// What the responder's phone knows: its unit, the orders (派警) it was given,
// the tasks of plans, and the last seq of the unit's stream. It is kept in
// localStorage per unit, so a reload resumes with ?since= and shows the same
// orders. Orders are kept by dispatch_id, so an event replayed after a
// reconnection updates the order it names and is shown once.

import { orderActive } from './incidentview.js';
import { SeqGate } from './seq.js';
import { read, remove, write } from './storage.js';

/** How many past orders and tasks are kept. */
const HISTORY_MAX = 20;
const TASKS_MAX = 20;
const SAVE_DELAY_MS = 200;

/**
 * @typedef {{dispatch_id: string, dispatch: any, incident: any}} Order
 */

/**
 * Milliseconds since the epoch of an order's last change, or 0.
 * @param {any} d
 * @returns {number}
 */
function changedAt(d) {
  const ms = Date.parse(d && (d.updated_at || d.created_at));
  return Number.isNaN(ms) ? 0 : ms;
}

/**
 * The storage key of a unit's state.
 * @param {string} unitId
 * @returns {string}
 */
function storageKey(unitId) {
  return `wf.responder-state.${unitId}`;
}

/** The phone's state for one unit. */
export class ResponderState {
  /**
   * @param {string} unitId the unit the account is bound to
   */
  constructor(unitId) {
    this.unitId = unitId;
    /** @type {any} the unit as the server last showed it */
    this.unit = null;
    this.gate = new SeqGate();
    /** @type {Map<string, Order>} active orders by dispatch_id */
    this.orders = new Map();
    /** @type {Order[]} past orders, newest first */
    this.history = [];
    /** @type {any[]} tasks of plans, newest first */
    this.tasks = [];
    /** Whether the person switched position sharing on. */
    this.share = false;
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    this.saveTimer = undefined;
    this.load();
  }

  /** Reads the state saved by an earlier page load, if it is this unit's. */
  load() {
    const raw = read(storageKey(this.unitId));
    if (!raw) return;
    let s;
    try {
      s = JSON.parse(raw);
    } catch {
      return;
    }
    if (!s || typeof s !== 'object' || s.unit_id !== this.unitId) return;
    this.gate = new SeqGate(s.last_seq);
    this.unit = s.unit && typeof s.unit === 'object' ? s.unit : null;
    if (Array.isArray(s.orders)) {
      for (const o of s.orders) if (isOrder(o)) this.orders.set(o.dispatch_id, o);
    }
    if (Array.isArray(s.history)) this.history = s.history.filter(isOrder).slice(0, HISTORY_MAX);
    if (Array.isArray(s.tasks)) this.tasks = s.tasks.filter((x) => x && typeof x === 'object').slice(0, TASKS_MAX);
    this.share = s.share === true;
  }

  /** Saves the state soon (coalescing bursts). */
  save() {
    if (this.saveTimer !== undefined) return;
    this.saveTimer = setTimeout(() => this.saveNow(), SAVE_DELAY_MS);
  }

  /** Saves the state now. */
  saveNow() {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    write(storageKey(this.unitId), JSON.stringify({
      unit_id: this.unitId,
      last_seq: this.gate.lastSeq,
      unit: this.unit,
      orders: [...this.orders.values()],
      history: this.history,
      tasks: this.tasks,
      share: this.share,
    }));
  }

  /** Forgets everything, here and in storage (on sign-out). */
  clear() {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    remove(storageKey(this.unitId));
    this.unit = null;
    this.gate.reset();
    this.orders = new Map();
    this.history = [];
    this.tasks = [];
    this.share = false;
  }

  /**
   * Applies a snapshot: the unit, and the active orders, which replace the
   * list. Orders known before but missing now ended meanwhile: they are
   * returned so their final state can be asked for.
   * @param {any} data {unit, orders}
   * @returns {{vanished: Order[], fresh: Order[]}} orders that ended while
   *   away, and orders new to this phone
   */
  applySnapshot(data) {
    if (data && data.unit && typeof data.unit === 'object') this.unit = data.unit;
    if (data && Array.isArray(data.tasks)) {
      // The server's list is whole: the tasks of plans still active.
      this.tasks = data.tasks.filter((x) => x && typeof x === 'object' && typeof x.activation_id === 'string');
      this.tasks.sort((a, b) => String(b.assigned_at).localeCompare(String(a.assigned_at)));
      if (this.tasks.length > TASKS_MAX) this.tasks.length = TASKS_MAX;
    }
    const list = data && Array.isArray(data.orders) ? data.orders : [];
    /** @type {Map<string, Order>} */
    const next = new Map();
    /** @type {Order[]} */
    const fresh = [];
    for (const o of list) {
      if (!o || typeof o !== 'object') continue;
      const id = typeof o.dispatch_id === 'string' ? o.dispatch_id : o.dispatch && o.dispatch.id;
      if (typeof id !== 'string' || !id || !o.dispatch) continue;
      const prev = this.orders.get(id);
      const order = { dispatch_id: id, dispatch: o.dispatch, incident: o.incident ?? (prev ? prev.incident : null) };
      if (orderActive(order.dispatch)) {
        next.set(id, order);
        if (!prev) fresh.push(order);
      } else {
        this.toHistory(order);
      }
    }
    /** @type {Order[]} */
    const vanished = [];
    for (const [id, o] of this.orders) {
      if (next.has(id)) continue;
      vanished.push(o);
      this.toHistory(o); // as last known, until its final state is fetched
    }
    this.orders = next;
    this.save();
    return { vanished, fresh };
  }

  /**
   * Applies dispatch.created: a new order with its incident.
   * @param {any} data {dispatch_id, dispatch, incident}
   * @returns {{order: Order|null, fresh: boolean}} fresh when the order was
   *   not known before (a replay of a known one is not)
   */
  applyCreated(data) {
    const id = data && (data.dispatch_id || (data.dispatch && data.dispatch.id));
    if (typeof id !== 'string' || !id || !data.dispatch) return { order: null, fresh: false };
    const known = this.orders.get(id) ?? this.history.find((o) => o.dispatch_id === id);
    if (known && changedAt(known.dispatch) > changedAt(data.dispatch)) return { order: known, fresh: false };
    const order = { dispatch_id: id, dispatch: data.dispatch, incident: data.incident ?? (known ? known.incident : null) };
    this.place(order);
    this.save();
    return { order, fresh: !known };
  }

  /**
   * Applies a newer state of an order (dispatch.updated, or the order in a
   * reply). An older state than the one known is ignored.
   * @param {any} dispatch the order
   * @returns {{order: Order|null, ended: boolean}} ended when the order
   *   just left the active list (cleared, expired, cancelled)
   */
  applyOrder(dispatch) {
    if (!dispatch || typeof dispatch !== 'object' || typeof dispatch.id !== 'string') return { order: null, ended: false };
    const id = dispatch.id;
    const active = this.orders.get(id);
    const past = active ? undefined : this.history.find((o) => o.dispatch_id === id);
    const known = active ?? past;
    if (known && changedAt(known.dispatch) > changedAt(dispatch)) return { order: known, ended: false };
    const order = { dispatch_id: id, dispatch, incident: known ? known.incident : null };
    const ended = !!active && !orderActive(dispatch);
    this.place(order);
    this.save();
    return { order, ended };
  }

  /**
   * Puts an order in the active list or the history, by its status.
   * @param {Order} order
   */
  place(order) {
    if (orderActive(order.dispatch)) {
      this.history = this.history.filter((o) => o.dispatch_id !== order.dispatch_id);
      this.orders.set(order.dispatch_id, order);
    } else {
      this.orders.delete(order.dispatch_id);
      this.toHistory(order);
    }
  }

  /**
   * Adds (or updates) a past order at the top of the history.
   * @param {Order} order
   */
  toHistory(order) {
    this.history = [order, ...this.history.filter((o) => o.dispatch_id !== order.dispatch_id)];
    this.history.sort((a, b) => changedAt(b.dispatch) - changedAt(a.dispatch));
    if (this.history.length > HISTORY_MAX) this.history.length = HISTORY_MAX;
  }

  /**
   * Applies unit.status.
   * @param {any} data {unit_id, status}
   * @returns {boolean} whether it was about this unit
   */
  applyUnitStatus(data) {
    if (!data || data.unit_id !== this.unitId || typeof data.status !== 'string') return false;
    this.unit = { ...(this.unit ?? { id: this.unitId }), status: data.status };
    this.save();
    return true;
  }

  /**
   * Applies task.assigned: one group's tasks of an activated plan. The same
   * activation and group again replaces the earlier one.
   * @param {any} data
   * @returns {boolean} whether it was new
   */
  applyTask(data) {
    if (!data || typeof data !== 'object' || typeof data.activation_id !== 'string') return false;
    const same = (/** @type {any} */ x) => x.activation_id === data.activation_id && x.group_id === data.group_id;
    const fresh = !this.tasks.some(same);
    const prev = this.tasks.find(same);
    if (prev && prev.status && prev.status !== 'assigned' && data.status === 'assigned') return false; // a replay
    this.tasks = [data, ...this.tasks.filter((x) => !same(x))];
    this.tasks.sort((a, b) => String(b.assigned_at).localeCompare(String(a.assigned_at)));
    if (this.tasks.length > TASKS_MAX) this.tasks.length = TASKS_MAX;
    this.save();
    return fresh;
  }

  /**
   * Applies task.acknowledged or task.done ({task, progress}), or the task
   * a route answered with: the task's new state replaces the old.
   * @param {any} task
   * @returns {boolean} whether a known task changed
   */
  updateTask(task) {
    if (!task || typeof task !== 'object' || typeof task.id !== 'string') return false;
    const i = this.tasks.findIndex((x) => x.id === task.id);
    if (i < 0) return false;
    // Closed by its plan's end: only a done stored before the end (its
    // answer arriving after tasks.closed) moves it on.
    if (this.tasks[i].status === 'closed' && task.status !== 'done') return false;
    this.tasks[i] = { ...this.tasks[i], ...task };
    this.save();
    return true;
  }

  /**
   * Applies tasks.closed: the plan of activationId ended, so its tasks not
   * done are closed.
   * @param {unknown} activationId
   * @returns {boolean} whether a task was closed now (not on a repeat)
   */
  closeTasks(activationId) {
    if (typeof activationId !== 'string') return false;
    let closed = false;
    this.tasks = this.tasks.map((x) => {
      if (x.activation_id !== activationId || x.status === 'done' || x.status === 'closed') return x;
      closed = true;
      return { ...x, status: 'closed' };
    });
    if (closed) this.save();
    return closed;
  }

  /**
   * Sets the unit as the server shows it now (GET /api/v1/units/{id}).
   * @param {any} unit
   */
  setUnit(unit) {
    if (!unit || typeof unit !== 'object' || unit.id !== this.unitId) return;
    this.unit = unit;
    this.save();
  }

  /**
   * Sets the unit's own position from the phone's fix.
   * @param {{lon: number, lat: number, at: string}} pos
   */
  setOwnPosition(pos) {
    this.unit = { ...(this.unit ?? { id: this.unitId }), position: { ...pos } };
    this.save();
  }

  /**
   * The active orders, oldest first: the first is the current one.
   * @returns {Order[]}
   */
  activeOrders() {
    return [...this.orders.values()].sort((a, b) => String(a.dispatch.created_at).localeCompare(String(b.dispatch.created_at)));
  }
}

/**
 * Reports whether v looks like a stored order.
 * @param {any} v
 * @returns {boolean}
 */
function isOrder(v) {
  return !!v && typeof v === 'object' && typeof v.dispatch_id === 'string' && !!v.dispatch && typeof v.dispatch === 'object';
}

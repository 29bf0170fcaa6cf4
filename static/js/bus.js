// Routes the screen stream's messages to whoever handles their type: the
// incident store, the map's units, the activity feed. The link stays the
// only websocket; this only fans its messages out.

/**
 * @typedef {{type: string, seq?: number, at?: string, data?: any}} StreamMessage
 */

/** A small dispatcher of stream messages by type. */
export class MessageBus {
  constructor() {
    /** @type {Map<string, Array<(msg: StreamMessage) => void>>} */
    this.handlers = new Map();
  }

  /**
   * Calls fn with every message of the given type, in the order handlers
   * were added.
   * @param {string} type a message type such as "snapshot" or "unit.positions"
   * @param {(msg: StreamMessage) => void} fn
   * @returns {() => void} a function that removes the handler
   */
  on(type, fn) {
    const list = this.handlers.get(type) ?? [];
    list.push(fn);
    this.handlers.set(type, list);
    return () => {
      const l = this.handlers.get(type);
      if (!l) return;
      const i = l.indexOf(fn);
      if (i >= 0) l.splice(i, 1);
    };
  }

  /**
   * Hands a message to the handlers of its type. A handler that throws is
   * reported and does not keep the others from running.
   * @param {any} msg a decoded stream message
   * @returns {boolean} whether any handler took it
   */
  dispatch(msg) {
    if (!msg || typeof msg !== 'object' || typeof msg.type !== 'string') return false;
    const list = this.handlers.get(msg.type);
    if (!list || list.length === 0) return false;
    for (const fn of [...list]) {
      try {
        fn(msg);
      } catch (err) {
        console.error(`handling ${msg.type}:`, err);
      }
    }
    return true;
  }
}

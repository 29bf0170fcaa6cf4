// The seq gate of a stream whose messages are not incidents (the responder's
// unit stream, the leaders' stream): the same rule as IncidentStore.admit(),
// for pages that keep no incident store.

/**
 * Reports whether a stream message carries a seq (volatile ones do not).
 * @param {any} msg
 * @returns {boolean}
 */
export function hasSeq(msg) {
  return !!msg && typeof msg.seq === 'number' && Number.isFinite(msg.seq);
}

/** The last seq applied, and the gate every message passes. */
export class SeqGate {
  /**
   * @param {number|null} [lastSeq] a seq restored from an earlier page load
   */
  constructor(lastSeq = null) {
    /** @type {number|null} */
    this.lastSeq = typeof lastSeq === 'number' && Number.isFinite(lastSeq) && lastSeq >= 0 ? lastSeq : null;
  }

  /** Forgets the last seq (on sign-out). */
  reset() {
    this.lastSeq = null;
  }

  /**
   * Volatile messages (heartbeats, replies) always pass and never touch
   * lastSeq. A snapshot always passes and its seq becomes the last one. Any
   * other sequenced event passes only when its seq is after the last one,
   * and then becomes the last one: a replayed duplicate is dropped here.
   * @param {any} msg {seq, type, at, data}
   * @returns {boolean} false for a message to ignore
   */
  admit(msg) {
    if (!msg || typeof msg !== 'object') return false;
    if (!hasSeq(msg)) return true;
    if (msg.type === 'snapshot') {
      this.lastSeq = msg.seq;
      return true;
    }
    if (this.lastSeq !== null && msg.seq <= this.lastSeq) return false;
    this.lastSeq = msg.seq;
    return true;
  }
}

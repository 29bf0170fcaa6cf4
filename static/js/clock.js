// The server's clock as the pages know it: ages, countdowns, "today" and the
// header clocks follow the server, not the wall PC's or the phone's own clock.

/** Recent samples of the server's clock minus ours, in ms. @type {number[]} */
const samples = [];
/** The server's clock minus ours, in ms. */
let offset = 0;

/** How many samples are kept. */
const SAMPLES = 12;

/**
 * Learns how far our clock is from the server's from the time on a message
 * it sent just now (a heartbeat, a snapshot, a reply): the largest of the
 * last few samples, as the time in transit only makes a sample smaller.
 * @param {unknown} at RFC 3339
 */
export function sampleServerClock(at) {
  const ms = typeof at === 'string' ? Date.parse(at) : NaN;
  if (Number.isNaN(ms)) return;
  samples.push(ms - Date.now());
  if (samples.length > SAMPLES) samples.shift();
  offset = Math.max(...samples);
}

/**
 * Whether a message from the server has told its time yet.
 * @returns {boolean}
 */
export function clockKnown() {
  return samples.length > 0;
}

/**
 * The time now by the server's clock, in ms since the epoch.
 * @returns {number}
 */
export function serverNow() {
  return Date.now() + offset;
}

/**
 * A time read off our clock (a GPS fix's timestamp, say) on the server's.
 * @param {number} ms since the epoch, by our clock
 * @returns {number}
 */
export function toServerTime(ms) {
  return ms + offset;
}

/**
 * The time now by the server's clock.
 * @returns {Date}
 */
export function serverDate() {
  return new Date(serverNow());
}

// An optional alarm sound made with the Web Audio API (no audio files): off
// by default, switched on by a person (browsers only let a page make sound
// after a gesture), never remembered across page loads.

/** @type {AudioContext|null} */
let ctx = null;
let on = false;

/**
 * Reports whether the sound is on.
 * @returns {boolean}
 */
export function soundOn() {
  return on;
}

/**
 * Switches the sound on or off. Call it from a click so the browser lets
 * the audio start.
 * @param {boolean} value
 * @returns {boolean} whether the sound is now on (false when the browser
 *   has no Web Audio)
 */
export function setSound(value) {
  if (!value) {
    on = false;
    if (ctx) ctx.suspend().catch(() => {});
    return false;
  }
  const AC = /** @type {any} */ (window).AudioContext || /** @type {any} */ (window).webkitAudioContext;
  if (typeof AC !== 'function') {
    on = false;
    return false;
  }
  try {
    if (!ctx) ctx = new AC();
    ctx.resume().catch(() => {});
    on = true;
  } catch {
    on = false;
  }
  return on;
}

/**
 * Plays one tone.
 * @param {AudioContext} c
 * @param {number} freq Hz
 * @param {number} start seconds on the context's clock
 * @param {number} length seconds
 */
function tone(c, freq, start, length) {
  const osc = c.createOscillator();
  const gain = c.createGain();
  osc.type = 'square';
  osc.frequency.value = freq;
  gain.gain.setValueAtTime(0.0001, start);
  gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
  gain.gain.setValueAtTime(0.25, start + length - 0.04);
  gain.gain.exponentialRampToValueAtTime(0.0001, start + length);
  osc.connect(gain).connect(c.destination);
  osc.start(start);
  osc.stop(start + length + 0.02);
}

/** Beeps (three short tones) when the sound is on. */
export function beep() {
  if (!on || !ctx) return;
  try {
    const t0 = ctx.currentTime + 0.02;
    tone(ctx, 880, t0, 0.16);
    tone(ctx, 660, t0 + 0.24, 0.16);
    tone(ctx, 880, t0 + 0.48, 0.22);
  } catch {
    // a failed beep must not break the screen
  }
}

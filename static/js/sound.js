// The alarm sound, made with the Web Audio API (no audio files): on by
// default on the wall, for level I/II incidents and unacknowledged orders;
// a per-screen mute is remembered in localStorage (wf.sound = "off").
// Browsers let a page make sound only after a gesture, so the audio starts
// with the first click or key on the page; until then a beep is silent.

import { read, write } from './storage.js';

const KEY = 'wf.sound';

/** @type {any} */
let ctx = null;
let on = read(KEY) !== 'off';
let gesture = false;

/** Starts the audio after the first gesture on the page (once). */
export function initSound() {
  const start = () => {
    gesture = true;
    window.removeEventListener('pointerdown', start, true);
    window.removeEventListener('keydown', start, true);
    if (on) audio();
  };
  window.addEventListener('pointerdown', start, true);
  window.addEventListener('keydown', start, true);
}

/**
 * The audio context, made (or resumed) once a gesture allows it.
 * @returns {any}
 */
function audio() {
  if (!gesture) return null;
  const AC = /** @type {any} */ (window).AudioContext || /** @type {any} */ (window).webkitAudioContext;
  if (typeof AC !== 'function') return null;
  try {
    if (!ctx) ctx = new AC();
    if (ctx.state === 'suspended') ctx.resume().catch(() => {});
  } catch {
    ctx = null;
  }
  return ctx;
}

/**
 * Reports whether the sound is on.
 * @returns {boolean}
 */
export function soundOn() {
  return on;
}

/**
 * Switches the sound on or off on this screen, remembered across page
 * loads.
 * @param {boolean} value
 * @returns {boolean} whether the sound is now on
 */
export function setSound(value) {
  on = !!value;
  write(KEY, on ? 'on' : 'off');
  if (!on) {
    if (ctx) ctx.suspend().catch(() => {});
  } else {
    audio();
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
  if (!on) return;
  const c = audio();
  if (!c) return;
  try {
    const t0 = ctx.currentTime + 0.02;
    tone(ctx, 880, t0, 0.16);
    tone(ctx, 660, t0 + 0.24, 0.16);
    tone(ctx, 880, t0 + 0.48, 0.22);
  } catch {
    // a failed beep must not break the screen
  }
}

// Sharing the phone's position (上报位置): navigator.geolocation's
// watchPosition, and a position message on the live link at most every few
// seconds (the latest fix wins; fixes in between are dropped). Geolocation
// needs a secure context (https, or localhost).

import { clockKnown, toServerTime } from './clock.js';

/** A fix younger than this goes without a time while the server's clock is unknown. */
const FRESH_MS = 10000;

/**
 * A fix's time on the server's clock. Before the server has told its time,
 * a fresh fix goes without one (the server takes it as now) and an older
 * one with our clock's.
 * @param {number} ms by our clock
 * @returns {string|undefined}
 */
function fixTime(ms) {
  if (clockKnown()) return new Date(toServerTime(ms)).toISOString();
  return Date.now() - ms <= FRESH_MS ? undefined : new Date(ms).toISOString();
}

/**
 * @typedef {'off'|'unsupported'|'insecure'|'waiting'|'sent'|'offline'|'denied'|'unavailable'|'timeout'|'refused'} ShareStatus
 */

/**
 * @typedef {object} ShareState
 * @property {boolean} on whether sharing is switched on
 * @property {ShareStatus} status
 * @property {Date|null} sentAt when the last position was sent
 * @property {number|null} accuracy of the last fix, in metres
 * @property {string} message the server's reason for a refused position
 */

/**
 * Reports why the browser cannot share a position, or null when it can.
 * @returns {'unsupported'|'insecure'|null}
 */
export function geoUnavailable() {
  if (typeof window.isSecureContext === 'boolean' && !window.isSecureContext) return 'insecure';
  if (!('geolocation' in navigator) || !navigator.geolocation) return 'unsupported';
  return null;
}

/**
 * A finite number or undefined.
 * @param {unknown} v
 * @returns {number|undefined}
 */
function num(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * Creates a position sharer. Nothing happens until start().
 * @param {object} o
 * @param {(msg: any) => boolean} o.send sends one message; false when the
 *   link is down
 * @param {() => string} o.nextId a new client message id
 * @param {(state: ShareState) => void} o.onChange
 * @param {(pos: {lon: number, lat: number, at: string}) => void} [o.onFix] every fix
 * @param {number} [o.minIntervalMs] at most one message this often (5 s)
 * @returns {{start: () => void, stop: () => void, state: () => ShareState, replied: (ok: boolean, message?: string) => void, flush: () => void}}
 */
export function createSharer(o) {
  const minInterval = o.minIntervalMs ?? 5000;
  /** @type {ShareState} */
  const st = { on: false, status: 'off', sentAt: null, accuracy: null, message: '' };
  /** @type {number|null} */
  let watchId = null;
  /** @type {GeolocationPosition|null} */
  let latest = null;
  let latestSent = true;
  let lastSentMs = 0;
  /** @type {ReturnType<typeof setTimeout>|undefined} */
  let timer;
  /** @type {any} */
  let battery = null;

  function changed() {
    o.onChange({ ...st });
  }

  /** Sends the latest fix now if it is due, else schedules it. */
  function pump() {
    if (!st.on || !latest || latestSent) return;
    const wait = lastSentMs + minInterval - Date.now();
    if (wait > 0) {
      if (timer === undefined) {
        timer = setTimeout(() => {
          timer = undefined;
          pump();
        }, wait);
      }
      return;
    }
    const c = latest.coords;
    /** @type {Record<string, any>} */
    const msg = {
      type: 'position',
      id: o.nextId(),
      lon: c.longitude,
      lat: c.latitude,
      at: fixTime(latest.timestamp || Date.now()),
    };
    const speed = num(c.speed);
    const heading = num(c.heading);
    const accuracy = num(c.accuracy);
    if (speed !== undefined && speed >= 0) msg.speed_mps = speed;
    if (heading !== undefined && heading >= 0 && heading <= 360) msg.heading = heading;
    if (accuracy !== undefined && accuracy >= 0) msg.accuracy_m = accuracy;
    const level = battery ? num(battery.level) : undefined;
    if (level !== undefined) msg.battery_pct = Math.round(level * 100);
    if (!o.send(msg)) {
      st.status = 'offline';
      changed();
      return; // kept: sent when the link is back (flush) or with the next fix
    }
    latestSent = true;
    lastSentMs = Date.now();
    st.sentAt = new Date(toServerTime(lastSentMs));
    st.accuracy = accuracy ?? null;
    st.status = 'sent';
    changed();
  }

  /** @param {GeolocationPosition} pos */
  function onFix(pos) {
    latest = pos;
    latestSent = false;
    if (o.onFix) {
      o.onFix({ lon: pos.coords.longitude, lat: pos.coords.latitude, at: new Date(toServerTime(pos.timestamp || Date.now())).toISOString() });
    }
    pump();
  }

  /** @param {GeolocationPositionError} err */
  function onError(err) {
    if (err.code === 1) {
      st.status = 'denied';
      stopWatching();
      st.on = false;
    } else if (err.code === 3) {
      st.status = 'timeout';
    } else {
      st.status = 'unavailable';
    }
    changed();
  }

  function stopWatching() {
    if (watchId !== null) navigator.geolocation.clearWatch(watchId);
    watchId = null;
    clearTimeout(timer);
    timer = undefined;
  }

  return {
    /** Switches sharing on (if the browser can). */
    start() {
      if (st.on) return;
      const why = geoUnavailable();
      if (why) {
        st.status = why;
        changed();
        return;
      }
      st.on = true;
      st.status = 'waiting';
      st.message = '';
      latest = null;
      latestSent = true;
      changed();
      const nav = /** @type {any} */ (navigator);
      if (!battery && typeof nav.getBattery === 'function') {
        nav.getBattery().then((/** @type {any} */ b) => {
          battery = b;
        }).catch(() => {});
      }
      try {
        watchId = navigator.geolocation.watchPosition(onFix, onError, { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
      } catch {
        st.on = false;
        st.status = 'unsupported';
        changed();
      }
    },
    /** Switches sharing off. */
    stop() {
      stopWatching();
      st.on = false;
      st.status = 'off';
      latest = null;
      changed();
    },
    /** @returns {ShareState} */
    state() {
      return { ...st };
    },
    /**
     * The server's answer to a position message.
     * @param {boolean} ok
     * @param {string} [message] the reason when refused
     */
    replied(ok, message) {
      if (!st.on) return;
      st.status = ok ? 'sent' : 'refused';
      st.message = ok ? '' : String(message ?? '');
      changed();
    },
    /** Sends a fix kept while the link was down. */
    flush() {
      pump();
    },
  };
}

// The live link to a stream (/ws/screen, /ws/responder, /ws/leader): one
// websocket at a time, reconnected forever with backoff, and declared dead
// when nothing (not even a heartbeat) has arrived for a while. Each attempt
// offers the session's token among its subprotocols, so no token travels
// in a URL (proxy logs keep URLs) and no ticket is asked for first; a
// socket closed because its session ended (4001), or refused while the
// session is found ended, is not reconnected: the page signs out at once
// and its sign-in form says why.

import { ApiError, me, sessionEnded } from './api.js';
import { sampleServerClock } from './clock.js';
import { getToken } from './session.js';

/** The close code of a socket whose session ended: sign in again. */
export const SESSION_ENDED = 4001;

/** The subprotocol the server answers with, and the one carrying a token. */
const PROTOCOL = 'watchfloor';
const BEARER_PROTOCOL = 'watchfloor.bearer.';

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 10000;
const SILENCE_MS = 15000;
/** Messages stamped as they are sent: their time samples the server's clock. */
const SENT_NOW = new Set(['heartbeat', 'snapshot', 'reply', 'error']);

/**
 * @typedef {'connecting'|'up'|'down'} LinkState
 */

/**
 * How long to wait before the next attempt: between half the backoff delay
 * and all of it, at random, so that phones and screens cut off together
 * (an instance restarted, a storm refused) do not all dial again in the
 * same instant. A browser cannot read a refused upgrade's Retry-After.
 * @param {number} delay the backoff delay in ms
 * @param {() => number} [random] a number in [0, 1)
 * @returns {number}
 */
export function retryDelay(delay, random = Math.random) {
  return delay / 2 + (delay / 2) * random();
}

/**
 * Builds the websocket address of a stream for this page's host.
 * @param {string} path /ws/screen, /ws/responder or /ws/leader
 * @param {number|null} since last seq applied, or null for a fresh snapshot
 * @returns {string}
 */
export function streamURL(path, since) {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  let url = `${scheme}://${window.location.host}${path}`;
  if (since !== null && since !== undefined) url += `?since=${encodeURIComponent(String(since))}`;
  return url;
}

/**
 * The subprotocols a dial to address offers: the server's, and beside it
 * the session's token when the address is this page's host (a browser
 * cannot send an Authorization header with a websocket).
 * @param {string} address
 * @returns {string[]}
 */
export function socketProtocols(address) {
  const token = getToken();
  let sameHost = false;
  try {
    sameHost = new URL(address, window.location.href).host === window.location.host;
  } catch {
    // not an address: nothing of the session goes with it
  }
  return token && sameHost ? [PROTOCOL, BEARER_PROTOCOL + token] : [PROTOCOL];
}

/**
 * Builds the websocket address of the screen stream for this page's host.
 * @param {number|null} since last seq applied, or null for a fresh snapshot
 * @returns {string}
 */
export function screenURL(since) {
  return streamURL('/ws/screen', since);
}

/**
 * Creates a live link. Nothing happens until start().
 * @param {object} o
 * @param {() => string|Promise<string>} o.url the address to connect to,
 *   asked anew for every attempt (so it carries the latest since=)
 * @param {(msg: any) => void} o.onMessage every decoded JSON message
 * @param {(state: LinkState) => void} o.onState link state changes
 * @param {() => void} [o.onClosed] called each time a connection ends
 * @param {() => void} [o.onSessionEnded] called, instead of reconnecting,
 *   when the server closed the socket because its session ended (4001), or
 *   a dial failed while the session is found ended (a 401 for
 *   /api/v1/sessions/me); by default the page's unauthorized handler runs
 *   (api.sessionEnded), so every page signs out with the reason shown
 * @param {number} [o.silenceMs] how long without a message means dead
 * @param {boolean} [o.upOnOpen] count the link up as soon as the socket
 *   opens (for quiet streams whose first message after a resume may be a
 *   heartbeat seconds later); the backoff still resets only on a message
 * @returns {{start: () => void, stop: () => void, state: () => LinkState, send: (msg: any) => boolean}}
 */
export function createLiveLink(o) {
  const silenceMs = o.silenceMs ?? SILENCE_MS;
  /** @type {WebSocket|null} */
  let ws = null;
  let running = false;
  let generation = 0;
  let delay = MIN_DELAY_MS;
  /** @type {ReturnType<typeof setTimeout>|undefined} */
  let retryTimer;
  /** @type {ReturnType<typeof setTimeout>|undefined} */
  let silenceTimer;
  /** @type {LinkState} */
  let state = 'connecting';

  /** @param {LinkState} s */
  function setState(s) {
    if (s === state) return;
    state = s;
    o.onState(s);
  }

  /** Drops the current socket without reacting to its events. */
  function detach() {
    clearTimeout(silenceTimer);
    silenceTimer = undefined;
    const sock = ws;
    ws = null;
    if (!sock) return;
    sock.onopen = null;
    sock.onmessage = null;
    sock.onerror = null;
    sock.onclose = null;
    try {
      sock.close();
    } catch {
      // already closed
    }
  }

  /** @param {number} gen */
  function armSilence(gen) {
    clearTimeout(silenceTimer);
    silenceTimer = setTimeout(() => {
      if (gen === generation) lost(gen);
    }, silenceMs);
  }

  /**
   * The connection of generation gen ended or went silent: mark the link
   * down and try again after the backoff delay, unless its session ended.
   * @param {number} gen
   * @param {boolean} [ended] the session ended: do not reconnect
   */
  function lost(gen, ended = false) {
    if (!running || gen !== generation) return;
    generation += 1;
    detach();
    setState('down');
    if (o.onClosed) {
      try {
        o.onClosed();
      } catch {
        // a failing observer must not stop reconnection
      }
    }
    if (!running) return; // onClosed may have stopped us
    if (ended) {
      running = false;
      try {
        if (o.onSessionEnded) o.onSessionEnded();
        else sessionEnded();
      } catch {
        // nothing more to do
      }
      return;
    }
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, retryDelay(delay));
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }

  async function connect() {
    retryTimer = undefined;
    if (!running) return;
    const gen = ++generation;
    let address;
    try {
      address = await o.url();
    } catch {
      lost(gen); // a failed attempt
      return;
    }
    if (!running || gen !== generation) return;
    let sock;
    try {
      sock = new WebSocket(address, socketProtocols(address));
    } catch {
      // a bad address: count it as a failed attempt
      ws = null;
      lost(gen);
      return;
    }
    ws = sock;
    let good = false;
    let opened = false;
    armSilence(gen);
    sock.onopen = () => {
      opened = true;
      if (gen === generation && o.upOnOpen) setState('up');
    };
    sock.onmessage = (ev) => {
      if (gen !== generation) return;
      armSilence(gen);
      if (typeof ev.data !== 'string') return;
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      // The server says in every heartbeat whether its storage is
      // reachable: while it is not, the page is not live, socket or not.
      if (msg && SENT_NOW.has(msg.type)) sampleServerClock(msg.at);
      if (msg && msg.type === 'heartbeat' && msg.data && msg.data.ready === false) {
        setState('down');
        return;
      }
      if (!good || state !== 'up') {
        good = true;
        delay = MIN_DELAY_MS; // a working connection resets the backoff
        setState('up');
      }
      o.onMessage(msg);
    };
    sock.onerror = () => {
      // onclose follows and handles it
    };
    sock.onclose = (ev) => {
      if (ev.code === SESSION_ENDED) lost(gen, true);
      else if (opened) lost(gen);
      else refused(gen);
    };
  }

  /**
   * A dial of generation gen ended before it opened: the browser does not
   * say why (a 401 for a session that ended looks like a network failure),
   * so the session is asked for; a 401 ends it, anything else is a failed
   * attempt.
   * @param {number} gen
   */
  async function refused(gen) {
    let ended = false;
    try {
      await me();
    } catch (err) {
      ended = err instanceof ApiError && err.status === 401;
    }
    lost(gen, ended);
  }

  return {
    /** Opens the link (again) if it is not running. */
    start() {
      if (running) return;
      running = true;
      delay = MIN_DELAY_MS;
      state = 'connecting';
      o.onState('connecting');
      connect();
    },
    /** Closes the link and cancels any reconnection. */
    stop() {
      running = false;
      generation += 1;
      clearTimeout(retryTimer);
      retryTimer = undefined;
      detach();
    },
    /** @returns {LinkState} */
    state() {
      return state;
    },
    /**
     * Sends one JSON message on the open connection.
     * @param {any} msg
     * @returns {boolean} false when no connection is up (nothing was sent)
     */
    send(msg) {
      if (!ws || state !== 'up' || ws.readyState !== WebSocket.OPEN) return false;
      try {
        ws.send(JSON.stringify(msg));
        return true;
      } catch {
        return false;
      }
    },
  };
}

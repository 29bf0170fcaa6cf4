// The live link to a stream (/ws/screen, /ws/responder, /ws/leader): one
// websocket at a time, reconnected forever with backoff, and declared dead
// when nothing (not even a heartbeat) has arrived for a while.

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 10000;
const SILENCE_MS = 15000;

/**
 * @typedef {'connecting'|'up'|'down'} LinkState
 */

/**
 * Builds the websocket address of a stream for this page's host.
 * @param {string} path /ws/screen, /ws/responder or /ws/leader
 * @param {string} token bearer token
 * @param {number|null} since last seq applied, or null for a fresh snapshot
 * @returns {string}
 */
export function streamURL(path, token, since) {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  let url = `${scheme}://${window.location.host}${path}?token=${encodeURIComponent(token)}`;
  if (since !== null && since !== undefined) url += `&since=${encodeURIComponent(String(since))}`;
  return url;
}

/**
 * Builds the websocket address of the screen stream for this page's host.
 * @param {string} token bearer token
 * @param {number|null} since last seq applied, or null for a fresh snapshot
 * @returns {string}
 */
export function screenURL(token, since) {
  return streamURL('/ws/screen', token, since);
}

/**
 * Creates a live link. Nothing happens until start().
 * @param {object} o
 * @param {() => string} o.url the address to connect to, asked anew for
 *   every attempt (so it carries the latest since=)
 * @param {(msg: any) => void} o.onMessage every decoded JSON message
 * @param {(state: LinkState) => void} o.onState link state changes
 * @param {() => void} [o.onClosed] called each time a connection ends
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
   * down and try again after the backoff delay.
   * @param {number} gen
   */
  function lost(gen) {
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
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, delay);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }

  function connect() {
    retryTimer = undefined;
    if (!running) return;
    const gen = ++generation;
    let sock;
    try {
      sock = new WebSocket(o.url());
    } catch {
      // a bad address: count it as a failed attempt
      ws = null;
      lost(gen);
      return;
    }
    ws = sock;
    let good = false;
    armSilence(gen);
    sock.onopen = () => {
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
    sock.onclose = () => lost(gen);
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

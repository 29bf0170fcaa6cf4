// Calls to the Watchfloor HTTP API: JSON in and out, the bearer token, and
// problem+json errors turned into ApiError. Any 401 on an authenticated call
// is reported to the handler set with onUnauthorized.

import { getToken } from './session.js';

const TIMEOUT_MS = 10000;

/** An HTTP error answer from the API, with its problem+json body if any. */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status
   * @param {any} problem the decoded problem+json body, or null
   */
  constructor(status, problem) {
    super((problem && typeof problem.title === 'string' && problem.title) || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem ?? null;
  }
}

/** @type {() => void} */
let unauthorized = () => {};

/**
 * Sets what happens when an authenticated call is answered 401 (the token
 * expired or was revoked).
 * @param {() => void} fn
 */
export function onUnauthorized(fn) {
  unauthorized = fn;
}

let ended = false;

/**
 * Reports that the session ended (a socket closed with 4001, a refused
 * ticket, a 401): the sign-in form will say so, and the page signs out now.
 */
export function sessionEnded() {
  ended = true;
  unauthorized();
}

/**
 * Reports whether the session ended since the last call, and forgets it:
 * the sign-in form asks once, as it is shown again.
 * @returns {boolean}
 */
export function takeSessionEnded() {
  const was = ended;
  ended = false;
  return was;
}

/**
 * Reads a response body as JSON, or null when empty or not JSON.
 * @param {Response} res
 * @returns {Promise<any>}
 */
async function readBody(res) {
  if (res.status === 204) return null;
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * Sends one request to the API.
 * @param {string} method
 * @param {string} path absolute path, e.g. /api/v1/config
 * @param {{body?: any, form?: FormData, headers?: Record<string, string>, auth?: boolean, token?: string, timeoutMs?: number, blob?: boolean}} [opts]
 *   body is sent as JSON, form as multipart; headers are added to the
 *   request's; auth (default true) adds the bearer token (opts.token, else
 *   the session's) and reports a 401 to the unauthorized handler; blob
 *   returns a successful answer's body as a Blob
 * @returns {Promise<any>} the decoded JSON body (or Blob), or null
 * @throws {ApiError} on an HTTP error; a TypeError or AbortError when the
 *   server cannot be reached in time
 */
export async function request(method, path, opts = {}) {
  const auth = opts.auth !== false;
  /** @type {Record<string, string>} */
  const headers = { Accept: opts.blob ? '*/*' : 'application/json, application/problem+json', ...(opts.headers ?? {}) };
  const token = opts.token ?? getToken();
  if (auth && token) headers.Authorization = `Bearer ${token}`;
  /** @type {BodyInit|undefined} */
  let body;
  if (opts.form !== undefined) {
    body = opts.form; // the browser sets the multipart Content-Type and boundary
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), opts.timeoutMs ?? TIMEOUT_MS);
  try {
    const res = await fetch(path, {
      method,
      headers,
      body,
      cache: 'no-store',
      credentials: 'same-origin',
      signal: ctrl.signal,
    });
    if (res.ok && opts.blob) return await res.blob();
    const data = await readBody(res);
    if (!res.ok) {
      if (res.status === 401 && auth && opts.token === undefined) sessionEnded();
      throw new ApiError(res.status, data);
    }
    return data;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Signs in.
 * @param {string} username
 * @param {string} password
 * @returns {Promise<{token: string, role: string, username: string, expires_at: string}>}
 */
export function login(username, password) {
  return request('POST', '/api/v1/sessions', { body: { username, password }, auth: false });
}

/**
 * Ends the current session on the server.
 * @returns {Promise<null>}
 */
export function logout() {
  return request('DELETE', '/api/v1/sessions', { auth: true });
}

/**
 * Ends a session given by its token (one not kept, e.g. of an account that
 * may not use this page). A 401 is not reported as a sign-out.
 * @param {string} token
 * @returns {Promise<null>}
 */
export function logoutToken(token) {
  return request('DELETE', '/api/v1/sessions', { token });
}

/**
 * Asks for a one-time websocket ticket (valid for seconds, single use), so
 * that the token never travels in a socket's URL.
 * @returns {Promise<{ticket: string, expires_at: string}>}
 */
export function socketTicket() {
  return request('POST', '/api/v1/sessions/ticket');
}

/**
 * Returns the current session; a 401 means the token is no longer valid.
 * @returns {Promise<any>}
 */
export function me() {
  return request('GET', '/api/v1/sessions/me');
}

/**
 * Lists incident categories.
 * @returns {Promise<Array<{id: string, name: {zh: string, en: string}}>>}
 */
export function categories() {
  return request('GET', '/api/v1/categories');
}

/**
 * Returns the public configuration (levels, map, deployment).
 * @returns {Promise<{levels?: Array<{level: string, zh: string, en: string, colour: string}>}>}
 */
export function config() {
  return request('GET', '/api/v1/config');
}

/**
 * Returns the grid polygons (district, streets, communities, grids).
 * @returns {Promise<{type: string, features: any[]}>} a GeoJSON FeatureCollection;
 *   each feature's properties: code, name, name_en, level, parent
 */
export function grids() {
  return request('GET', '/api/v1/grids');
}

/**
 * Returns the key zones (sensitive places, schools, …).
 * @returns {Promise<{type: string, features: any[]}>} a GeoJSON FeatureCollection;
 *   each feature's properties: id, name, name_en, kind
 */
export function zones() {
  return request('GET', '/api/v1/zones');
}

/**
 * Lists the units with their status and last position.
 * @returns {Promise<{units: any[], count: number}>}
 */
export function units() {
  return request('GET', '/api/v1/units');
}

/**
 * Returns one unit with its status and last position.
 * @param {string} id
 * @returns {Promise<any>}
 */
export function unit(id) {
  return request('GET', `/api/v1/units/${encodeURIComponent(id)}`);
}

/**
 * Returns one incident with its timeline.
 * @param {string} id
 * @returns {Promise<any>}
 */
export function incident(id) {
  return request('GET', `/api/v1/incidents/${encodeURIComponent(id)}`);
}

/**
 * Returns one order (派警).
 * @param {string} id
 * @returns {Promise<any>}
 */
export function dispatch(id) {
  return request('GET', `/api/v1/dispatches/${encodeURIComponent(id)}`);
}

/**
 * Encodes an id as one path segment. ':' (alarm ids are kind:about) is a
 * valid path character and stays as it is: the server matches the segment
 * without decoding it, so "%3A" would name another, unknown alarm.
 * @param {string} id
 * @returns {string}
 */
export function pathSegment(id) {
  return encodeURIComponent(id).replace(/%3A/gi, ':');
}

/**
 * Acknowledges an alarm on every screen.
 * @param {string} id e.g. incident.serious:INC-20261124-0001
 * @returns {Promise<any>} the alarm
 */
export function ackAlarm(id) {
  return request('POST', `/api/v1/alarms/${pathSegment(id)}/ack`);
}

/**
 * Lists plan activations: with no status, those proposed and active.
 * @param {''|'proposed'|'active'|'rejected'|'ended'} [status]
 * @returns {Promise<{activations: any[], count: number}>}
 */
export function activations(status = '') {
  const q = status ? `?status=${encodeURIComponent(status)}` : '';
  return request('GET', `/api/v1/activations${q}`);
}

/**
 * Decides on a plan activation: approve, reject (reason required), end
 * (reason required) or phase (moves it to recovery).
 * @param {string} id
 * @param {'approve'|'reject'|'end'|'phase'} action
 * @param {string} reason may be empty for approve and phase
 * @returns {Promise<any>} the activation
 */
export function activationAction(id, action, reason) {
  /** @type {Record<string, string>} */
  const body = { reason };
  if (action === 'phase') body.phase = 'recovery';
  return request('POST', `/api/v1/activations/${encodeURIComponent(id)}/${action}`, { body });
}

/**
 * Lists grid cases (网格事件). A responder gets only the cases it reported
 * or that were given to its unit.
 * @param {{status?: string, kind?: string, grid?: string, overdue?: boolean}} [q]
 * @returns {Promise<{cases: any[], count: number}>}
 */
export function cases(q = {}) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v !== undefined && v !== '') p.set(k, String(v));
  }
  const qs = p.toString();
  return request('GET', `/api/v1/cases${qs ? `?${qs}` : ''}`);
}

/**
 * Returns one grid case with its timeline.
 * @param {string} id
 * @returns {Promise<any>}
 */
export function gridCase(id) {
  return request('GET', `/api/v1/cases/${encodeURIComponent(id)}`);
}

/**
 * Reports a grid case. The same idempotency key with the same body again
 * (a retried submission) answers with the case created the first time.
 * @param {{kind: string, title: string, description?: string, location: {lon: number, lat: number}, reporter?: {name?: string, phone?: string}, people_involved?: number, drill?: boolean}} body
 * @param {string} key Idempotency-Key: 1 to 128 printable ASCII characters
 * @returns {Promise<any>} the case
 */
export function createCase(body, key) {
  return request('POST', '/api/v1/cases', { body, headers: { 'Idempotency-Key': key } });
}

/**
 * Takes one step of a grid case: accept, reject {reason}, dispatch
 * {assignee}, handle {result, mediation}, verify {passed, note}, close
 * {note}, evaluate {satisfaction}, escalate {reason}.
 * @param {string} id
 * @param {Record<string, any>} body {action, …}
 * @returns {Promise<any>} the case as it now stands
 */
export function caseAction(id, body) {
  return request('POST', `/api/v1/cases/${encodeURIComponent(id)}/actions`, { body });
}

/**
 * Adds a photo (JPEG or PNG by its content, at most 5 MB) to a grid case.
 * @param {string} id
 * @param {Blob} photo
 * @param {string} [name] the file name sent with it
 * @returns {Promise<{n: number, content_type: string, bytes: number, by: string, at: string}>}
 */
export function addCasePhoto(id, photo, name = 'photo.jpg') {
  const form = new FormData();
  form.append('photo', photo, name);
  return request('POST', `/api/v1/cases/${encodeURIComponent(id)}/photos`, { form, timeoutMs: 60000 });
}

/**
 * Fetches one photo of a grid case (it needs the bearer token, so it cannot
 * be an <img src> of its own).
 * @param {string} id
 * @param {number} n from 1
 * @returns {Promise<Blob>}
 */
export function casePhoto(id, n) {
  return request('GET', `/api/v1/cases/${encodeURIComponent(id)}/photos/${encodeURIComponent(String(n))}`, { blob: true, timeoutMs: 30000 });
}

/**
 * Returns the grid patrol minutes of a day (today by the server's clock when
 * no date is given).
 * @param {string} [date] YYYY-MM-DD
 * @returns {Promise<{date: string, target_minutes: number, grids: Array<{code: string, name: string, name_en?: string, officers: Record<string, number>, minutes: number, target: number, met: boolean}>}>}
 */
export function patrol(date) {
  return request('GET', `/api/v1/patrol${date ? `?date=${encodeURIComponent(date)}` : ''}`);
}

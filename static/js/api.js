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
 * @param {{body?: any, auth?: boolean, token?: string}} [opts] auth (default
 *   true) adds the bearer token (opts.token, else the session's) and reports
 *   a 401 to the unauthorized handler
 * @returns {Promise<any>} the decoded JSON body, or null
 * @throws {ApiError} on an HTTP error; a TypeError or AbortError when the
 *   server cannot be reached in time
 */
export async function request(method, path, opts = {}) {
  const auth = opts.auth !== false;
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json, application/problem+json' };
  const token = opts.token ?? getToken();
  if (auth && token) headers.Authorization = `Bearer ${token}`;
  let body;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), TIMEOUT_MS);
  try {
    const res = await fetch(path, {
      method,
      headers,
      body,
      cache: 'no-store',
      credentials: 'same-origin',
      signal: ctrl.signal,
    });
    const data = await readBody(res);
    if (!res.ok) {
      if (res.status === 401 && auth && opts.token === undefined) unauthorized();
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

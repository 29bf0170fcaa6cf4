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
 * @param {{body?: any, auth?: boolean}} [opts] auth (default true) adds the
 *   bearer token and reports a 401 to the unauthorized handler
 * @returns {Promise<any>} the decoded JSON body, or null
 * @throws {ApiError} on an HTTP error; a TypeError or AbortError when the
 *   server cannot be reached in time
 */
export async function request(method, path, opts = {}) {
  const auth = opts.auth !== false;
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json, application/problem+json' };
  const token = getToken();
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
      if (res.status === 401 && auth) unauthorized();
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

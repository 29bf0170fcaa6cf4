// Calls to the Watchfloor HTTP API: JSON in and out, the bearer token, and
// problem+json errors turned into ApiError. Any 401 on an authenticated call
// is reported to the handler set with onUnauthorized.

import { sampleServerClock } from './clock.js';
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
 * Reports that the session ended (a socket closed with 4001, a 401): the
 * sign-in form will say so, and the page signs out now.
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
 * A fresh Idempotency-Key: prefix and 128 random bits (getRandomValues
 * works without a secure context, unlike crypto.randomUUID).
 * @param {string} prefix
 * @returns {string}
 */
export function idempotencyKey(prefix) {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return `${prefix}-${[...b].map((x) => x.toString(16).padStart(2, '0')).join('')}`;
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
    // A page without a socket up learns the server's clock from its answers.
    sampleServerClock(res.headers.get('X-Server-Time'));
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
 * Lists plan activations: with no status, those proposed and active; with
 * a limit, only that many of those changed last, newest first.
 * @param {''|'proposed'|'active'|'rejected'|'ended'} [status]
 * @param {number} [limit]
 * @returns {Promise<{activations: any[], count: number, total: number}>}
 */
export function activations(status = '', limit = 0) {
  const q = new URLSearchParams();
  if (status) q.set('status', status);
  if (limit) q.set('limit', String(limit));
  const qs = q.toString();
  return request('GET', `/api/v1/activations${qs ? `?${qs}` : ''}`);
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

// The operator's console (console.html): calls, the incident desk, orders,
// levels, the lifecycle and the information reports.

/**
 * Builds a query string from the non-empty values.
 * @param {Record<string, any>} q
 * @returns {string} "" or "?a=b&…"
 */
function query(q) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

/**
 * Searches the gazetteer (地名地址库) by prefix and substring of name,
 * address or code.
 * @param {string} q
 * @param {number} [limit]
 * @returns {Promise<{total: number, places: any[]}>}
 */
export function places(q, limit = 10) {
  return request('GET', `/api/v1/places${query({ q, limit })}`);
}

/**
 * Grades and places a call without storing anything.
 * @param {Record<string, any>} body the fields of a create
 * @returns {Promise<{level: string, level_reasons: any[], grid: any, zones: any[]}>}
 */
export function classify(body) {
  return request('POST', '/api/v1/classify', { body });
}

/**
 * Open incidents of the same category near a place, recently reported.
 * @param {string} category
 * @param {number} lon
 * @param {number} lat
 * @returns {Promise<{radius_m: number, window_s: number, duplicates: any[]}>}
 */
export function duplicates(category, lon, lat) {
  return request('GET', `/api/v1/incidents/duplicates${query({ category, lon, lat })}`);
}

/**
 * Takes a call (接警). The same key with the same body again answers with
 * the incident created the first time.
 * @param {Record<string, any>} body
 * @param {string} key Idempotency-Key
 * @returns {Promise<any>} the incident
 */
export function createIncident(body, key) {
  return request('POST', '/api/v1/incidents', { body, headers: { 'Idempotency-Key': key } });
}

/**
 * Records a follow-up report (续报) of an incident.
 * @param {string} id
 * @param {Record<string, any>} body the facts as now known
 * @param {string} [key] Idempotency-Key
 * @returns {Promise<any>} the incident
 */
export function followUp(id, body, key) {
  const headers = key ? { 'Idempotency-Key': key } : undefined;
  return request('POST', `/api/v1/incidents/${encodeURIComponent(id)}/reports`, { body, headers });
}

/**
 * Lists incidents.
 * @param {{status?: string, level?: string, category?: string, grid?: string, since?: string, limit?: number}} [q]
 * @returns {Promise<{incidents: any[], count: number}>}
 */
export function incidents(q = {}) {
  return request('GET', `/api/v1/incidents${query(q)}`);
}

/**
 * The incidents with a reporting deadline still open, the earliest due first.
 * @param {number} [limit]
 * @returns {Promise<{incidents: any[], count: number, total: number}>}
 */
export function dueIncidents(limit = 200) {
  return request('GET', `/api/v1/deadlines${query({ limit })}`);
}

/**
 * The nearest suitable available units of an incident.
 * @param {string} id
 * @param {number} [limit]
 * @returns {Promise<{candidates: any[]}>}
 */
export function candidates(id, limit = 8) {
  return request('GET', `/api/v1/incidents/${encodeURIComponent(id)}/candidates${query({ limit })}`);
}

/**
 * The orders of an incident.
 * @param {string} id
 * @returns {Promise<{dispatches: any[]}>}
 */
export function incidentDispatches(id) {
  return request('GET', `/api/v1/incidents/${encodeURIComponent(id)}/dispatches`);
}

/**
 * Sends units to an incident (派警).
 * @param {string} id
 * @param {string[]} unitIds
 * @param {string} note
 * @param {string} [key] Idempotency-Key
 * @returns {Promise<any>}
 */
export function sendUnits(id, unitIds, note, key) {
  const headers = key ? { 'Idempotency-Key': key } : undefined;
  return request('POST', `/api/v1/incidents/${encodeURIComponent(id)}/dispatches`, { body: { unit_ids: unitIds, note }, headers });
}

/**
 * Cancels an order.
 * @param {string} id the order
 * @param {string} reason
 * @returns {Promise<any>}
 */
export function cancelDispatch(id, reason) {
  return request('POST', `/api/v1/dispatches/${encodeURIComponent(id)}/cancel`, { body: { reason } });
}

/**
 * Redirects an order to another unit (改派).
 * @param {string} id the order
 * @param {string} unitId
 * @param {string} note
 * @returns {Promise<any>}
 */
export function redirectDispatch(id, unitId, note) {
  return request('POST', `/api/v1/dispatches/${encodeURIComponent(id)}/redirect`, { body: { unit_id: unitId, note } });
}

/**
 * Sets an incident's level (leader, admin).
 * @param {string} id
 * @param {string} level
 * @param {string} reason
 * @returns {Promise<any>} the incident
 */
export function setLevel(id, level, reason) {
  return request('POST', `/api/v1/incidents/${encodeURIComponent(id)}/level`, { body: { level, reason } });
}

/**
 * Moves an incident through its lifecycle; closing carries the summary.
 * @param {string} id
 * @param {{status: string, reason?: string, summary?: {outcome: string, losses: string, lessons: string}}} body
 * @returns {Promise<any>} the incident
 */
export function setStatus(id, body) {
  return request('POST', `/api/v1/incidents/${encodeURIComponent(id)}/status`, { body });
}

/**
 * The path of one deadline's information report (信息报告).
 * @param {string} id
 * @param {string} deadline
 * @returns {string}
 */
export function reportPath(id, deadline) {
  return `/api/v1/incidents/${encodeURIComponent(id)}/deadlines/${encodeURIComponent(deadline)}/report`;
}

/**
 * The draft (or saved, or sent) information report of a deadline.
 * @param {string} id
 * @param {string} deadline
 * @returns {Promise<any>}
 */
export function reportDraft(id, deadline) {
  return request('GET', reportPath(id, deadline));
}

/**
 * Saves an edited report text.
 * @param {string} id
 * @param {string} deadline
 * @param {string} text
 * @returns {Promise<any>}
 */
export function saveReport(id, deadline, text) {
  return request('PUT', reportPath(id, deadline), { body: { text } });
}

/**
 * Records a report as sent to the given recipients.
 * @param {string} id
 * @param {string} deadline
 * @param {string[]} to recipient ids
 * @param {string} text the text as sent
 * @returns {Promise<any>} the incident
 */
export function markReportSent(id, deadline, to, text) {
  return request('POST', `/api/v1/incidents/${encodeURIComponent(id)}/deadlines/${encodeURIComponent(deadline)}`, { body: { to, text } });
}

/**
 * Downloads the report as text (the export needs the bearer token).
 * @param {string} id
 * @param {string} deadline
 * @returns {Promise<Blob>}
 */
export function reportText(id, deadline) {
  return request('GET', `${reportPath(id, deadline)}.txt`, { blob: true });
}

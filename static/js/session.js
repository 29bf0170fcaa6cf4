// The signed-in session as kept in localStorage.
//
// The wall screen keeps its session under wf.token, wf.role, wf.user and
// wf.unit. Another page may choose its own scope (setSessionScope), so that
// a responder phone or a leader's tablet signed in in the same browser as a
// screen does not sign the screen out: scope "leader" keeps wf.leader.token
// and so on.

import { read, remove, write } from './storage.js';

let prefix = 'wf.';

/**
 * Chooses where this page keeps its session. Call it before anything reads
 * the session.
 * @param {string} scope '' for the wall screen's keys, else a short name
 */
export function setSessionScope(scope) {
  prefix = scope ? `wf.${scope}.` : 'wf.';
}

/**
 * The storage key of one session field in the current scope.
 * @param {string} field token, role, user or unit
 * @returns {string}
 */
function key(field) {
  return prefix + field;
}

/**
 * Returns the bearer token, or null when signed out.
 * @returns {string|null}
 */
export function getToken() {
  return read(key('token')) || null;
}

/**
 * Returns the signed-in user's name, or an empty string.
 * @returns {string}
 */
export function getUsername() {
  return read(key('user')) || '';
}

/**
 * Returns the signed-in user's role, or an empty string.
 * @returns {string}
 */
export function getRole() {
  return read(key('role')) || '';
}

/**
 * Returns the unit a responder account is bound to, or an empty string.
 * @returns {string}
 */
export function getUnit() {
  return read(key('unit')) || '';
}

/**
 * Stores a new session as returned by POST /api/v1/sessions.
 * @param {{token: string, role?: string, username?: string, unit?: string}} s
 */
export function saveSession(s) {
  write(key('token'), String(s.token));
  write(key('role'), String(s.role ?? ''));
  write(key('user'), String(s.username ?? ''));
  write(key('unit'), String(s.unit ?? ''));
}

/** Forgets the session. */
export function clearSession() {
  for (const f of ['token', 'role', 'user', 'unit']) remove(key(f));
}

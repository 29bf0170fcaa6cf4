// The signed-in session as kept in localStorage.

import { read, remove, write } from './storage.js';

const TOKEN = 'wf.token';
const ROLE = 'wf.role';
const USER = 'wf.user';

/**
 * Returns the bearer token, or null when signed out.
 * @returns {string|null}
 */
export function getToken() {
  return read(TOKEN) || null;
}

/**
 * Returns the signed-in user's name, or an empty string.
 * @returns {string}
 */
export function getUsername() {
  return read(USER) || '';
}

/**
 * Returns the signed-in user's role, or an empty string.
 * @returns {string}
 */
export function getRole() {
  return read(ROLE) || '';
}

/**
 * Stores a new session as returned by POST /api/v1/sessions.
 * @param {{token: string, role?: string, username?: string}} s
 */
export function saveSession(s) {
  write(TOKEN, String(s.token));
  write(ROLE, String(s.role ?? ''));
  write(USER, String(s.username ?? ''));
}

/** Forgets the session. */
export function clearSession() {
  remove(TOKEN);
  remove(ROLE);
  remove(USER);
}

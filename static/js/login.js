// The sign-in form.

import * as api from './api.js';
import { byId } from './dom.js';
import { t } from './i18n.js';
import { roleName } from './refdata.js';
import { getToken, saveSession } from './session.js';

/** @type {{key: string, params?: Record<string, string|number>}|null} */
let error = null;
let busy = false;

/** Shows the current error (if any) and the submit button's label. */
export function renderLogin() {
  const line = byId('login-error');
  line.textContent = error ? t(error.key, error.params) : '';
  const submit = /** @type {HTMLButtonElement} */ (byId('login-submit'));
  submit.textContent = t(busy ? 'login.busy' : 'login.submit');
  submit.disabled = busy;
}

/**
 * Sets or clears the error line.
 * @param {string|null} key catalogue key
 * @param {Record<string, string|number>} [params]
 */
function setError(key, params) {
  error = key ? { key, params } : null;
  renderLogin();
}

/**
 * Maps a failed sign-in to a catalogue key.
 * @param {unknown} err
 * @returns {{key: string, params?: Record<string, string|number>}}
 */
function describe(err) {
  if (err instanceof api.ApiError) {
    switch (err.status) {
      case 401:
        return { key: 'login.error.credentials' };
      case 400:
      case 422:
        return { key: 'login.error.required' };
      case 429:
        return { key: 'login.error.rate' };
      default:
        return { key: 'login.error.other', params: { status: err.status } };
    }
  }
  return { key: 'login.error.network' };
}

/**
 * Wires the form: on success the session is stored and onSignedIn runs.
 * With opts.roles, an account of another role is refused on this page (its
 * new session is ended again) with the message opts.roleError.
 * @param {() => void} onSignedIn
 * @param {{roles?: string[], roleError?: string}} [opts]
 */
export function initLogin(onSignedIn, opts = {}) {
  const form = /** @type {HTMLFormElement} */ (byId('login-form'));
  const user = /** @type {HTMLInputElement} */ (byId('username'));
  const pass = /** @type {HTMLInputElement} */ (byId('password'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (busy) return;
    const username = user.value.trim();
    const password = pass.value;
    if (!username || !password) {
      setError('login.error.required');
      (username ? pass : user).focus();
      return;
    }
    busy = true;
    setError(null);
    try {
      const s = await api.login(username, password);
      if (!s || typeof s.token !== 'string' || s.token === '') throw new TypeError('no token in answer');
      if (opts.roles && !opts.roles.includes(String(s.role))) {
        api.logoutToken(s.token).catch(() => {});
        busy = false;
        setError(opts.roleError || 'login.error.role', { role: roleName(String(s.role ?? '')) });
        user.select();
        user.focus();
        return;
      }
      saveSession({ token: s.token, role: s.role, username: s.username || username, unit: s.unit });
      pass.value = '';
      busy = false;
      renderLogin();
      onSignedIn();
    } catch (err) {
      busy = false;
      const d = describe(err);
      setError(d.key, d.params);
      pass.select();
      pass.focus();
    }
  });
}

/**
 * Clears the form's password before it is shown again; the error line says
 * why when the session ended (rather than the person signing out).
 */
export function resetLogin() {
  busy = false;
  error = api.takeSessionEnded() ? { key: 'login.error.ended' } : null;
  /** @type {HTMLInputElement} */ (byId('password')).value = '';
  renderLogin();
}

/**
 * Ends the session on the server (best effort) with the sign-out button
 * disabled meanwhile, then calls done: the page forgets the token whatever
 * the server said.
 * @param {() => void} done
 * @returns {Promise<void>}
 */
export async function endSession(done) {
  const btn = /** @type {HTMLButtonElement} */ (byId('logout'));
  btn.disabled = true;
  try {
    if (getToken()) await api.logout();
  } catch {
    // the token is forgotten here whatever the server said
  } finally {
    btn.disabled = false;
    api.takeSessionEnded(); // signing out is no ended session to report
    done();
  }
}

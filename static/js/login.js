// The sign-in form, and the change of a one-time password that follows the
// sign-in of an account that must change it (every page's sign-in).
//
// Hooks for tests: #password-form (built here), #new-password,
// #new-password-again, #password-error, #password-submit, #password-cancel.

import * as api from './api.js';
import { byId, el } from './dom.js';
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
  if (change) change.render();
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
      // The form sends only with both fields typed, so a 400 is a name no
      // account can have (Admin, a space inside): to the person, a wrong
      // username, as for an unknown one.
      case 401:
      case 400:
      case 422:
        return { key: 'login.error.credentials' };
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
      const signedIn = () => {
        saveSession({ token: s.token, role: s.role, username: s.username || username, unit: s.unit });
        onSignedIn();
      };
      pass.value = '';
      busy = false;
      renderLogin();
      // The session is kept only once the one-time password is changed: a
      // reload meanwhile asks to sign in again.
      if (s.must_change_password === true) askNewPassword(form, s.token, s.username || username, password, signedIn);
      else signedIn();
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

/**
 * The open password change, if any: its render (labels and error line in
 * the current language).
 * @type {{render: () => void}|null}
 */
let change = null;

/**
 * Checks a new password as the server's policy does, for a message before
 * the round trip (the server checks again, and alone knows the common list).
 * @param {string} pw
 * @param {string} again
 * @param {string} username
 * @param {string} old
 * @returns {string|null} a catalogue key, or null
 */
function policyError(pw, again, username, old) {
  if (pw !== again) return 'pwchange.error.mismatch';
  if ([...pw].length < 10) return 'pwchange.error.short';
  const lower = pw.toLowerCase();
  const name = username.toLowerCase();
  if (lower === name || (name.length >= 4 && lower.includes(name))) return 'pwchange.error.username';
  const classes = new Set([...pw].map((c) => (/[a-z]/.test(c) ? 'l' : /[A-Z]/.test(c) ? 'u' : /[0-9]/.test(c) ? 'd' : 'o')));
  if (classes.size < 2) return 'pwchange.error.classes';
  if (pw === old) return 'pwchange.error.same';
  return null;
}

/**
 * Maps the server's refusal of a new password to a catalogue key.
 * @param {unknown} err
 * @returns {{key: string, params?: Record<string, string|number>}}
 */
function describeChange(err) {
  if (!(err instanceof api.ApiError)) return { key: 'login.error.network' };
  if (err.status === 401) return { key: 'login.error.ended' };
  const errors = (err.problem && Array.isArray(err.problem.errors) && err.problem.errors) || [];
  const text = errors.map((/** @type {any} */ e) => String(e.message ?? '')).join(' ');
  if (err.status === 400) {
    if (text.includes('common')) return { key: 'pwchange.error.common' };
    if (text.includes('username')) return { key: 'pwchange.error.username' };
    if (text.includes('at least 10')) return { key: 'pwchange.error.short' };
    if (text.includes('mix')) return { key: 'pwchange.error.classes' };
    if (text.includes('differ')) return { key: 'pwchange.error.same' };
  }
  return { key: 'pwchange.error.other', params: { status: err.status } };
}

/**
 * Labelled password input.
 * @param {string} id
 * @param {string} labelKey
 * @returns {{label: HTMLElement, input: HTMLInputElement}}
 */
function passwordField(id, labelKey) {
  const label = el('label', 'field-label', t(labelKey));
  label.setAttribute('for', id);
  label.dataset.i18n = labelKey;
  const input = /** @type {HTMLInputElement} */ (el('input', 'field'));
  Object.assign(input, { id, type: 'password', autocomplete: 'new-password', required: true });
  return { label, input };
}

/**
 * Replaces the sign-in form with the change of the one-time password just
 * used; after the change, done continues to the page. Cancel ends the new
 * session and shows the sign-in form again.
 * @param {HTMLFormElement} loginForm
 * @param {string} token the new session's, not yet kept
 * @param {string} username
 * @param {string} old the one-time password just typed
 * @param {() => void} done
 */
function askNewPassword(loginForm, token, username, old, done) {
  const form = /** @type {HTMLFormElement} */ (el('form', 'login-card password-card'));
  form.id = 'password-form';
  form.noValidate = true;
  const heading = el('h2', 'login-heading', t('pwchange.heading'));
  const intro = el('p', 'login-subtitle', t('pwchange.intro', { username }));
  const first = passwordField('new-password', 'pwchange.new');
  const second = passwordField('new-password-again', 'pwchange.again');
  const hint = el('p', 'password-hint', t('pwchange.hint'));
  const line = el('p', 'login-error');
  line.id = 'password-error';
  line.setAttribute('role', 'alert');
  const submit = /** @type {HTMLButtonElement} */ (el('button', 'btn btn-primary'));
  Object.assign(submit, { id: 'password-submit', type: 'submit' });
  const cancel = /** @type {HTMLButtonElement} */ (el('button', 'btn btn-ghost'));
  Object.assign(cancel, { id: 'password-cancel', type: 'button' });
  form.append(heading, intro, first.label, first.input, second.label, second.input, hint, line, submit, cancel);
  /** @type {{key: string, params?: Record<string, string|number>}|null} */
  let fault = null;
  let saving = false;
  const render = () => {
    heading.textContent = t('pwchange.heading');
    intro.textContent = t('pwchange.intro', { username });
    first.label.textContent = t('pwchange.new');
    second.label.textContent = t('pwchange.again');
    hint.textContent = t('pwchange.hint');
    line.textContent = fault ? t(fault.key, fault.params) : '';
    submit.textContent = t(saving ? 'pwchange.busy' : 'pwchange.submit');
    submit.disabled = saving;
    cancel.textContent = t('pwchange.cancel');
  };
  const close = () => {
    change = null;
    form.remove();
    loginForm.hidden = false;
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (saving) return;
    const key = policyError(first.input.value, second.input.value, username, old);
    fault = key ? { key } : null;
    if (key) {
      render();
      first.input.focus();
      return;
    }
    saving = true;
    render();
    try {
      await api.request('PUT', '/api/v1/sessions/me/password', { token, body: { old_password: old, new_password: first.input.value } });
      close();
      done();
    } catch (err) {
      saving = false;
      fault = describeChange(err);
      render();
      if (err instanceof api.ApiError && err.status === 401) {
        close();
        return;
      }
      first.input.select();
      first.input.focus();
    }
  });
  cancel.addEventListener('click', () => {
    api.logoutToken(token).catch(() => {});
    close();
  });
  change = { render };
  render();
  loginForm.hidden = true;
  loginForm.after(form);
  first.input.focus();
}

// Watchfloor wall screen: wires sign-in, reference data, the live link and
// the screen together. Loaded as a module, so nothing leaks onto window.

import * as api from './api.js';
import { byId, show } from './dom.js';
import { applyLabels, lang, onLangChange, toggleLang } from './i18n.js';
import { IncidentStore } from './incidents.js';
import { createLiveLink, screenURL } from './live.js';
import { initLogin, renderLogin, resetLogin } from './login.js';
import { clearReference, loadReference, referenceLoaded } from './refdata.js';
import {
  renderCounts,
  renderLevelLabels,
  renderLink,
  renderList,
  renderUser,
  startClock,
  stopClock,
} from './screen.js';
import { clearSession, getToken, getUsername } from './session.js';

const RENDER_DELAY_MS = 50;

const store = new IncidentStore();
/** @type {'connecting'|'up'|'down'} */
let linkState = 'connecting';
/** @type {Date|null} */
let lastMessageAt = null;
/** @type {ReturnType<typeof setTimeout>|undefined} */
let renderTimer;
let onScreen = false;

const link = createLiveLink({
  url: () => screenURL(getToken() ?? '', store.lastSeq),
  onMessage(msg) {
    lastMessageAt = new Date();
    if (store.apply(msg)) scheduleRender();
  },
  onState(state) {
    linkState = state;
    renderLink(linkState, lastMessageAt);
    if (state === 'up' && !referenceLoaded()) refreshReference();
  },
  onClosed: checkSession,
});

/**
 * After the socket closes, asks whether the token still holds: a 401 is
 * handled by the API layer (back to sign-in); anything else is ignored and
 * the link keeps reconnecting.
 */
function checkSession() {
  if (!getToken()) {
    signedOut();
    return;
  }
  api.me().catch(() => {});
}

/** Re-renders the incidents soon, coalescing bursts of messages. */
function scheduleRender() {
  if (renderTimer !== undefined) return;
  renderTimer = setTimeout(() => {
    renderTimer = undefined;
    renderIncidents();
  }, RENDER_DELAY_MS);
}

/** Renders counters and list from the store now. */
function renderIncidents() {
  clearTimeout(renderTimer);
  renderTimer = undefined;
  renderCounts(store.counts());
  renderList(store.list(), store.ready);
}

/** Renders everything on the screen that depends on data or language. */
function renderScreen() {
  renderLevelLabels();
  renderLink(linkState, lastMessageAt);
  renderIncidents();
}

/** Loads categories and level names, then relabels what uses them. */
function refreshReference() {
  loadReference()
    .then(() => {
      if (onScreen) renderScreen();
    })
    .catch(() => {});
}

/** Sets the language toggles' own language (they name the other one). */
function labelToggles() {
  for (const b of document.querySelectorAll('.lang-toggle')) {
    b.setAttribute('lang', lang() === 'zh' ? 'en' : 'zh-CN');
  }
}

/** Shows the screen and starts the live link. */
function showScreen() {
  onScreen = true;
  show(byId('login'), false);
  show(byId('screen'), true);
  renderUser(getUsername());
  startClock();
  renderScreen();
  link.start();
  refreshReference();
}

/** Stops everything live and shows the sign-in form. */
function signedOut() {
  link.stop();
  stopClock();
  clearSession();
  clearReference();
  store.reset();
  lastMessageAt = null;
  linkState = 'connecting';
  renderLink(linkState, null);
  renderIncidents();
  renderUser('');
  if (onScreen) resetLogin();
  onScreen = false;
  show(byId('screen'), false);
  show(byId('login'), true);
  const user = /** @type {HTMLInputElement} */ (byId('username'));
  if (!user.value) user.focus();
  else byId('password').focus();
}

/** Ends the session on the server (best effort) and signs out here. */
async function logout() {
  const btn = /** @type {HTMLButtonElement} */ (byId('logout'));
  btn.disabled = true;
  link.stop();
  try {
    if (getToken()) await api.logout();
  } catch {
    // the token is forgotten here whatever the server said
  } finally {
    btn.disabled = false;
    signedOut();
  }
}

function main() {
  applyLabels(document);
  labelToggles();
  renderLogin();
  onLangChange(() => {
    labelToggles();
    renderLogin();
    if (onScreen) {
      startClock();
      renderScreen();
    }
  });
  for (const b of document.querySelectorAll('.lang-toggle')) {
    b.addEventListener('click', () => toggleLang());
  }
  byId('logout').addEventListener('click', () => {
    logout();
  });
  api.onUnauthorized(() => {
    if (onScreen || getToken()) signedOut();
  });
  initLogin(showScreen);

  if (getToken()) showScreen();
  else signedOut();
}

main();

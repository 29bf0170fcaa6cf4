// The operator's console (值班台): taking calls, the incident desk and the
// case desk, for operators and admin; leaders and deputies see the actions
// their role allows; a wall-screen viewer or a responder is refused at
// sign-in. One /ws/screen link feeds the desk and the case desk.
//
// Keys: F2 (or Alt+N) a new call, F3 the incident desk, F4 the case desk;
// in the call form Enter saves and Esc cancels.
//
// Hooks for tests: #app[data-tab] (call|desk|cases|handover|warnings); #new-badge;
// #link-state (.up/.down); see console-call.js and console-desk.js.

import * as api from './api.js';
import { MessageBus } from './bus.js';
import { CallDesk } from './console-call.js';
import { mountCaseDesk } from './console-cases.js';
import { IncidentDesk } from './console-desk.js';
import { mountHandover, reload as reloadHandover, render as renderHandover } from './console-handover.js';
import { mountWarnings } from './console-warnings.js';
import { byId, show } from './dom.js';
import { zonedTime } from './format.js';
import { applyLabels, labelLangToggles, lang, onLangChange, t, toggleLang } from './i18n.js';
import { createLiveLink, screenURL } from './live.js';
import { showLinkState } from './linkstate.js';
import { endSession, initLogin, renderLogin, resetLogin } from './login.js';
import { clearReference, loadReference, referenceLoaded, roleName } from './refdata.js';
import { SeqGate } from './seq.js';
import { clearSession, getRole, getToken, getUsername, setSessionScope } from './session.js';
import { serverDate } from './clock.js';

setSessionScope('console');

/** Roles that may use the console. */
const CONSOLE_ROLES = ['admin', 'operator', 'leader', 'deputy'];
/** Roles that issue and change warnings. */
const WARNING_ROLES = ['operator', 'leader'];
/** Roles that handle grid cases on the case desk. */
const CASE_ROLES = ['admin', 'operator', 'leader', 'deputy'];

const bus = new MessageBus();
const gate = new SeqGate();
let onApp = false;
let tab = 'call';
let area = '';
let timeZone = '';
let caseDeskMounted = false;
/** @type {{forget: () => void}|null} the case desk, once mounted */
let caseDesk = null;
/** @type {'connecting'|'up'|'down'} */
let linkState = 'connecting';
/** @type {ReturnType<typeof setInterval>|undefined} */
let tickTimer;

const warnings = mountWarnings(byId('warnings-panel'), {
  canEdit: () => WARNING_ROLES.includes(getRole()),
  onEvent: (type, fn) => bus.on(type, fn),
  onChange: (book) => {
    const n = book.active().length;
    const b = byId('warn-badge');
    b.textContent = n ? String(n) : '';
    show(b, n > 0);
  },
});

const call = new CallDesk({
  canCreate: () => ['admin', 'operator'].includes(getRole()),
  onSaved: (inc, followUp) => {
    if (inc && typeof inc.id === 'string') desk.changed(inc, !followUp);
  },
  visible: () => tab === 'call',
});

const desk = new IncidentDesk({
  role: getRole,
  area: () => area,
  tz: () => timeZone,
  visible: () => tab === 'desk',
  onNew: (n) => {
    const b = byId('new-badge');
    b.textContent = n ? t('console.newCount', { n }) : '';
    show(b, n > 0);
  },
});

const link = createLiveLink({
  url: () => screenURL(gate.lastSeq),
  onMessage(msg) {
    if (gate.admit(msg)) bus.dispatch(msg);
  },
  onState(s) {
    linkState = s;
    if (s === 'up' && !referenceLoaded()) refreshReference();
    renderLink();
  },
  onClosed: checkSession,
});

/** Routes the screen stream to the desk. */
function routeMessages() {
  bus.on('snapshot', (msg) => desk.snapshot(msg.data));
  bus.on('snapshot', () => {
    if (onApp) warnings.reload();
  });
  bus.on('incident.created', (msg) => desk.changed(msg.data, true));
  bus.on('incident.updated', (msg) => desk.changed(msg.data, false));
  for (const type of ['dispatch.created', 'dispatch.updated']) {
    bus.on(type, (msg) => {
      const d = msg.data && msg.data.dispatch;
      if (d) desk.order(d);
    });
  }
  for (const type of ['deadline.due', 'deadline.overdue', 'alarm.raised', 'alarm.acked', 'activation.proposed', 'activation.approved', 'activation.rejected', 'activation.phase', 'activation.ended']) {
    bus.on(type, (msg) => desk.touched(msg.data && msg.data.incident_id));
  }
}

/**
 * Shows one tab.
 * @param {string} name call, desk, cases or handover
 */
function showTab(name) {
  if ((name === 'cases' && byId('tab-cases').hidden) || (name === 'handover' && byId('tab-handover').hidden)) return;
  tab = name;
  byId('app').dataset.tab = name;
  for (const b of document.querySelectorAll('.console-tabs .tab')) {
    const on = /** @type {HTMLElement} */ (b).dataset.tab === name;
    b.setAttribute('aria-selected', on ? 'true' : 'false');
    b.classList.toggle('active', on);
  }
  show(byId('call-panel'), name === 'call');
  show(byId('desk-panel'), name === 'desk');
  show(byId('case-desk'), name === 'cases');
  show(byId('handover-panel'), name === 'handover');
  show(byId('warnings-panel'), name === 'warnings');
  if (name === 'handover') reloadHandover();
  if (name === 'warnings') warnings.reload();
  if (name === 'call') call.focus();
  if (name === 'desk') desk.seen();
}

/**
 * Opens the incident desk with an incident selected.
 * @param {string} id
 */
function openIncident(id) {
  showTab('desk');
  desk.select(id);
}

/**
 * The global keys: F2/Alt+N a new call, F3 the desk, F4 the cases; Esc in
 * the call form cancels.
 * @param {KeyboardEvent} ev
 */
function onKey(ev) {
  if (!onApp) return;
  if (ev.key === 'F2' || (ev.altKey && (ev.key === 'n' || ev.key === 'N'))) {
    ev.preventDefault();
    showTab('call');
  } else if (ev.key === 'F3') {
    ev.preventDefault();
    showTab('desk');
  } else if (ev.key === 'F4') {
    ev.preventDefault();
    showTab('cases');
  } else if (ev.key === 'Escape' && tab === 'call' && !ev.defaultPrevented) {
    call.reset();
  }
}

/** Mounts the case desk once, for the roles that handle cases. */
function mountCases() {
  const allowed = CASE_ROLES.includes(getRole());
  show(byId('tab-cases'), allowed);
  if (!allowed || caseDeskMounted) return;
  caseDeskMounted = true;
  try {
    // Mounted once per page, for whoever is signed in at the time: the
    // account is read when used, not when mounted.
    caseDesk = mountCaseDesk(byId('case-desk'), {
      get role() { return getRole(); },
      get username() { return getUsername(); },
      get area() { return area; },
      onEvent: (/** @type {string} */ type, /** @type {(data: any, msg: any) => void} */ fn) => bus.on(type, (msg) => fn(msg.data, msg)),
      onSnapshot: (/** @type {(data: any, msg: any) => void} */ fn) => bus.on('snapshot', (msg) => fn(msg.data, msg)),
      openIncident,
    });
  } catch (err) {
    console.warn('case desk:', err);
  }
}

/** Shows the link state. */
function renderLink() {
  showLinkState(linkState, 'console.linkBanner');
}

/** Shows the signed-in user and role. */
function renderUser() {
  byId('user-name').textContent = getUsername();
  byId('user-role').textContent = getRole() ? roleName(getRole()) : '';
}

/** Moves the clock and the countdowns on. */
function tick() {
  byId('clock-time').textContent = zonedTime(serverDate(), timeZone, true);
  desk.tick();
}

/** Loads the reference data, the time zone, the grids and the account's area. */
async function refreshReference() {
  const [, cfg, me, grids] = await Promise.allSettled([loadReference(), api.config(), api.me(), api.grids()]);
  if (cfg.status === 'fulfilled' && cfg.value && typeof (/** @type {any} */ (cfg.value)).timezone === 'string') timeZone = /** @type {any} */ (cfg.value).timezone;
  if (me.status === 'fulfilled' && me.value && typeof me.value.area === 'string') area = me.value.area;
  if (grids.status === 'fulfilled' && grids.value && Array.isArray(grids.value.features)) desk.fillGrids(grids.value.features);
  show(byId('filter-mine').closest('label') ?? byId('filter-mine'), !!area);
  // The shift handover is the centre's: an account limited to an area has
  // no handover tab (the server refuses it the routes too).
  show(byId('tab-handover'), !area);
  if (area && tab === 'handover') showTab('call');
  desk.relabel();
  call.relabel();
}

/**
 * After the socket closes, signs out if the token is gone (signed out in
 * another tab). Whether the session still holds the live link asks itself
 * when its next dial fails (live.js).
 */
function checkSession() {
  if (!getToken()) {
    signedOut();
  }
}

/** Shows the console and starts the live link. */
async function showApp() {
  if (!CONSOLE_ROLES.includes(getRole())) {
    signedOut();
    return;
  }
  onApp = true;
  show(byId('login'), false);
  show(byId('app'), true);
  renderUser();
  renderLink();
  link.start();
  clearInterval(tickTimer);
  tickTimer = setInterval(tick, 1000);
  await Promise.allSettled([call.load(), refreshReference(), warnings.reload()]);
  if (!onApp) return;
  mountCases();
  mountHandover(byId('handover-panel'), { username: getUsername(), tz: () => timeZone });
  call.renderBusy();
  showTab(tab);
}

/** Stops everything live and shows the sign-in form. */
function signedOut() {
  link.stop();
  clearInterval(tickTimer);
  clearSession();
  clearReference();
  gate.reset();
  desk.reset();
  call.reset(true); // the caller's name and number are not the next person's
  if (caseDesk) caseDesk.forget();
  warnings.reset();
  area = '';
  linkState = 'connecting';
  if (onApp) resetLogin();
  onApp = false;
  show(byId('app'), false);
  show(byId('login'), true);
  document.title = t('console.title');
  const user = /** @type {HTMLInputElement} */ (byId('username'));
  if (!user.value) user.focus();
  else byId('password').focus();
}

function main() {
  routeMessages();
  applyLabels(document);
  labelLangToggles();
  renderLogin();
  onLangChange(() => {
    labelLangToggles();
    renderLogin();
    if (onApp) {
      renderUser();
      renderLink();
      call.relabel();
      desk.relabel();
      renderHandover();
      warnings.render();
      tick();
    }
  });
  for (const b of document.querySelectorAll('.lang-toggle')) b.addEventListener('click', () => toggleLang());
  for (const b of document.querySelectorAll('.console-tabs .tab')) {
    b.addEventListener('click', () => showTab(/** @type {HTMLElement} */ (b).dataset.tab ?? 'call'));
  }
  document.addEventListener('keydown', onKey);
  byId('logout').addEventListener('click', async () => {
    link.stop();
    await endSession(signedOut);
  });
  api.onUnauthorized(() => {
    if (onApp || getToken()) signedOut();
  });
  initLogin(showApp, { roles: CONSOLE_ROLES, roleError: 'console.error.role' });
  if (getToken()) showApp();
  else signedOut();
}

main();

// Watchfloor wall screen: wires sign-in, reference data, the live link and
// the screen together. Loaded as a module, so nothing leaks onto window.
//
// Every message of the live link passes the store's seq gate (duplicates of
// sequenced events are dropped there; volatile ones pass without touching
// lastSeq) and is then routed by type through one MessageBus: incidents to
// the store, units to the map, orders to the order book, alarms to the
// alarm panel, plan activations to the banners, unit transitions and
// reporting deadlines to the activity feed, and grid cases to their panel
// and the map (fetched again after every snapshot).

import { addActivity, clearActivity, renderActivity, setActivityIncidentLookup, setCallsignLookup } from './activity.js';
import { alarmsOpen, applyAlarm, clearAlarms, initAlarms, renderAlarms, replaceAlarms, setAccountArea, setIncidentLookup } from './alarms.js';
import * as api from './api.js';
import { MessageBus } from './bus.js';
import { applyCase, clearCases, initCases, loadCases, renderCases, startPatrol } from './caseboard.js';
import { dayChanged, dayUnitStatus, dayUnits, renderDay, startDay, stopDay } from './daypanel.js';
import { tickDeadlines } from './deadlines.js';
import { byId, show } from './dom.js';
import { applyLabels, labelLangToggles, lang, onLangChange, t, toggleLang } from './i18n.js';
import { IncidentStore } from './incidents.js';
import { createLiveLink, screenURL } from './live.js';
import { endSession, initLogin, renderLogin, resetLogin } from './login.js';
import {
  changeUnit,
  focusIncident,
  initMap,
  loadMapData,
  moveUnits,
  relabelMap,
  renderIncidentMarkers,
  replaceUnits,
  resetMap,
  setOrderLines,
  setUnitStatus,
  unitCallsign,
} from './map.js';
import { dutyChanged, renderOnDuty, startOnDuty, stopOnDuty } from './onduty.js';
import { OrderBook } from './orders.js';
import { applyPlan, clearPlans, loadPlans, renderPlans, setPlanIncidentLookup, setPlanWarningLookup } from './planboard.js';
import { clearReference, loadReference, referenceLoaded } from './refdata.js';
import {
  fitList,
  renderCounts,
  renderLevelLabels,
  renderLink,
  renderList,
  renderUser,
  startClock,
  stopClock,
  tickAges,
} from './screen.js';
import { clearSession, getToken, getUsername } from './session.js';
import { beep, initSound, setSound, soundOn } from './sound.js';
import { clearCharts, renderCharts, resizeCharts } from './wallcharts.js';
import { applyWarning, clearWarnings, loadWarnings, onWarningsChange, renderWarnings, startWarnings, warningTitle } from './wallwarnings.js';
import { WARNING_EVENTS } from './warnings.js';
import { serverDate } from './clock.js';

const RENDER_DELAY_MS = 50;
/** While alarms stay open and the sound is on, a reminder beep this often. */
const REMIND_MS = 30000;

const store = new IncidentStore();
const orders = new OrderBook();
/** @type {ReturnType<typeof setInterval>|undefined} */
let tickTimer;
/** @type {ReturnType<typeof setInterval>|undefined} */
let remindTimer;
const bus = new MessageBus();
/** @type {'connecting'|'up'|'down'} */
let linkState = 'connecting';
/** @type {Date|null} */
let lastMessageAt = null;
/** @type {ReturnType<typeof setTimeout>|undefined} */
let renderTimer;
let onScreen = false;

const link = createLiveLink({
  url: () => screenURL(store.lastSeq),
  onMessage(msg) {
    lastMessageAt = serverDate();
    if (store.admit(msg)) bus.dispatch(msg);
  },
  onState(state) {
    linkState = state;
    renderLink(linkState, lastMessageAt);
    if (state === 'up') {
      if (!referenceLoaded()) refreshReference();
      loadMapData().then(() => {
        if (onScreen) renderWarnings();
      });
    }
  },
  onClosed: checkSession,
});

/** Routes each type of stream message to what it changes. */
function routeMessages() {
  /** @param {any} msg */
  const incidents = (msg) => {
    if (store.apply(msg)) scheduleRender();
  };
  bus.on('snapshot', incidents);
  bus.on('incident.created', incidents);
  bus.on('incident.updated', incidents);
  bus.on('snapshot', (msg) => replaceUnits(msg.data && msg.data.units));
  bus.on('unit.positions', (msg) => moveUnits(msg.data && msg.data.units));
  bus.on('unit.status', (msg) => setUnitStatus(msg.data));
  bus.on('snapshot', (msg) => dayUnits(msg.data && msg.data.units));
  bus.on('unit.positions', (msg) => dayUnitStatus(msg.data && msg.data.units));
  bus.on('unit.status', (msg) => dayUnitStatus(msg.data));
  bus.on('unit.changed', (msg) => changeUnit(msg.data));
  bus.on('unit.changed', (msg) => {
    const u = msg.data && msg.data.unit;
    if (u && u.id && msg.data.action !== 'updated') dayUnitStatus({ unit_id: u.id, status: u.retired ? 'retired' : 'available' });
  });
  for (const type of ['incident.created', 'dispatch.created', 'alarm.raised', 'alarm.acked', 'case.created', 'case.updated']) {
    bus.on(type, dayChanged);
  }
  bus.on('unit.entered', addActivity);
  bus.on('unit.left', addActivity);
  bus.on('deadline.due', addActivity);
  bus.on('deadline.overdue', addActivity);
  bus.on('dispatch.updated', addActivity);
  bus.on('snapshot', (msg) => {
    const data = msg.data || {};
    if (orders.replace(data.dispatches)) scheduleRender();
    replaceAlarms(data.alarms);
    loadPlans();
    loadCases();
    loadWarnings();
  });
  for (const type of WARNING_EVENTS) bus.on(type, applyWarning);
  bus.on('case.created', applyCase);
  bus.on('case.updated', applyCase);
  /** @param {any} msg */
  const order = (msg) => {
    if (orders.apply(msg)) scheduleRender();
  };
  bus.on('dispatch.created', order);
  bus.on('dispatch.created', (msg) => {
    const d = msg.data && msg.data.dispatch;
    if (d && d.status === 'offered') beep(); // an order waits for its unit
  });
  bus.on('dispatch.updated', order);
  bus.on('alarm.raised', applyAlarm);
  bus.on('alarm.acked', applyAlarm);
  bus.on('roster.changed', dutyChanged);
  for (const type of ['activation.proposed', 'activation.approved', 'activation.rejected', 'activation.phase', 'activation.ended', 'task.acknowledged', 'task.done']) {
    bus.on(type, applyPlan);
  }
}

/**
 * The title of an open incident, if the screen has it.
 * @param {string} id
 * @returns {string|undefined}
 */
function incidentTitle(id) {
  const inc = store.byId.get(id);
  return inc && typeof inc.title === 'string' ? inc.title : undefined;
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
  const list = store.list();
  renderCounts(store.counts());
  renderList(list, store.ready, (id) => orders.ofIncident(id), store.total());
  renderIncidentMarkers(list);
  setOrderLines(list.flatMap((inc) => orders.ofIncident(inc.id)));
  renderPlans(); // banners name the incidents
}

/** Labels the sound toggle with its state. */
function renderSound() {
  const b = byId('sound-toggle');
  const on = soundOn();
  b.setAttribute('aria-pressed', String(on));
  b.classList.toggle('on', on);
  b.textContent = t(on ? 'sound.on' : 'sound.off');
}

/** Starts the one-second tick of the deadline countdowns and the reminders. */
function startTicks() {
  stopTicks();
  tickTimer = setInterval(() => {
    tickDeadlines(byId('incidents'));
    tickAges(byId('incidents'));
  }, 1000);
  remindTimer = setInterval(() => {
    if (alarmsOpen() || unacked()) beep();
  }, REMIND_MS);
}

/**
 * Reports whether an order waits for its unit's acknowledgement.
 * @returns {boolean}
 */
function unacked() {
  for (const d of orders.byId.values()) if (d.status === 'offered') return true;
  return false;
}

/** Stops the ticks. */
function stopTicks() {
  clearInterval(tickTimer);
  clearInterval(remindTimer);
  tickTimer = undefined;
  remindTimer = undefined;
}

/** Renders everything on the screen that depends on data or language. */
function renderScreen() {
  renderLevelLabels();
  renderLink(linkState, lastMessageAt);
  renderIncidents();
  relabelMap();
  renderActivity();
  renderAlarms();
  renderCases();
  renderSound();
  renderCharts();
  renderOnDuty();
  renderWarnings();
}

/** Loads categories and level names, then relabels what uses them. */
function refreshReference() {
  loadReference()
    .then(() => {
      if (onScreen) renderScreen();
    })
    .catch(() => {});
}

/** Shows the screen and starts the live link. */
function showScreen() {
  onScreen = true;
  show(byId('login'), false);
  show(byId('screen'), true);
  initMap();
  // The patrol note names grids in English from the map's grid names.
  loadMapData().then(() => {
    if (onScreen) {
      renderCases();
      renderWarnings(); // the streets' and communities' shapes are known now
    }
  });
  renderUser(getUsername());
  startClock();
  startTicks();
  renderScreen();
  link.start();
  refreshReference();
  api.me().then((me) => { if (onScreen) setAccountArea(me && typeof me.area === 'string' ? me.area : ''); }).catch(() => {});
  startPatrol();
  startDay();
  startOnDuty();
  startWarnings();
}

/** Stops everything live and shows the sign-in form. */
function signedOut() {
  link.stop();
  stopClock();
  stopOnDuty();
  stopTicks();
  clearSession();
  clearReference();
  store.reset();
  orders.reset();
  resetMap();
  clearActivity();
  clearAlarms();
  clearPlans();
  clearCases();
  clearWarnings();
  stopDay();
  renderDay();
  clearCharts();
  renderSound();
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
  link.stop();
  await endSession(signedOut);
}

/**
 * Pans the map to the incident whose list item was clicked.
 * @param {MouseEvent} ev
 */
function onListClick(ev) {
  const target = /** @type {Element|null} */ (ev.target instanceof Element ? ev.target : null);
  const li = target && target.closest('li[data-id]');
  if (li instanceof HTMLElement && li.dataset.id) focusIncident(li.dataset.id);
}

/**
 * Shows only the panels named in ?panels= (map, incidents, alarms,
 * counters, charts, cases, activity, plans), side by side: one screen of a
 * wall split into several. Without it, the whole wall layout.
 */
function choosePanels() {
  const raw = new URLSearchParams(window.location.search).get('panels');
  if (!raw) return;
  const wanted = new Set(raw.split(',').map((p) => p.trim()).filter(Boolean));
  const main = byId('main');
  main.classList.add('custom');
  main.dataset.panels = [...wanted].join(',');
  for (const node of main.querySelectorAll('[data-panel]')) {
    const name = /** @type {HTMLElement} */ (node).dataset.panel ?? '';
    node.classList.toggle('panel-off', !wanted.has(name));
  }
}

function main() {
  choosePanels();
  initSound();
  routeMessages();
  setCallsignLookup(unitCallsign);
  setIncidentLookup(incidentTitle);
  setActivityIncidentLookup(incidentTitle);
  setPlanIncidentLookup(incidentTitle);
  setPlanWarningLookup(warningTitle);
  onWarningsChange(renderPlans);
  initAlarms();
  initCases();
  applyLabels(document);
  labelLangToggles();
  renderLogin();
  onLangChange(() => {
    labelLangToggles();
    renderLogin();
    if (onScreen) {
      startClock();
      renderScreen();
    }
  });
  for (const b of document.querySelectorAll('.lang-toggle')) {
    b.addEventListener('click', () => toggleLang());
  }
  byId('incidents').addEventListener('click', onListClick);
  window.addEventListener('resize', () => {
    fitList();
    resizeCharts();
  });
  byId('sound-toggle').addEventListener('click', () => {
    setSound(!soundOn());
    renderSound();
    beep(); // a short test: the sound works
  });
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

// The reports page (研判分析): the monthly and quarterly analysis, hotspots
// and patrol advice, track playback and the daily bulletin, for leaders and
// operators to read on the wall and on paper. Viewers, operators, leaders,
// deputies and administrators may sign in; the session is kept under
// wf.reports.* so that it does not sign out a wall screen in the same
// browser.
//
// Hooks for tests: #login (the form: #username, #password, #login-submit,
// #login-error), #app, #user-name, #user-role, #lang-toggle, #logout,
// #print, #generated-at; and the sections' own hooks: #analysis (see
// analysis-report.js), #hotspots (analysis-hotspots.js), #playback
// (playback.js), #bulletin (analysis-bulletin.js).

import * as api from './api.js';
import { serverDate } from './clock.js';
import { byId, show } from './dom.js';
import { labelLangToggles, lang, onLangChange, toggleLang } from './i18n.js';
import { createLiveLink, streamURL } from './live.js';
import { endSession, initLogin, renderLogin, resetLogin } from './login.js';
import { clearReference, loadReference, roleName } from './refdata.js';
import { clearSession, getRole, getToken, getUsername, setSessionScope } from './session.js';
import { disposeAll, redrawAll, watchLayout } from './analysis-charts.js';
import { applyReportLabels, rt } from './analysis-i18n.js';
import { clearPlace, dateTime, loadPlace } from './analysis-ref.js';
import * as report from './analysis-report.js';
import * as hotspots from './analysis-hotspots.js';
import * as playback from './playback.js';
import * as bulletin from './analysis-bulletin.js';

setSessionScope('reports');

/** Roles that may read the reports. */
const READ_ROLES = ['viewer', 'operator', 'leader', 'deputy', 'admin'];

let onApp = false;
/** Bumped on sign-out so late answers are dropped. */
let generation = 0;

/** Shows who is signed in. */
function renderUser() {
  byId('user-name').textContent = getUsername();
  byId('user-role').textContent = getRole() ? roleName(getRole()) : '';
}

/** Stamps the time the figures were fetched (it shows on paper). */
function stamp() {
  const node = byId('generated-at');
  node.textContent = rt('reports.generated', { time: dateTime(serverDate()) });
}

/** Everything that shows text, drawn again in the current language. */
function renderAll() {
  applyReportLabels(document);
  labelLangToggles();
  renderLogin();
  document.title = rt('reports.title');
  if (!onApp) return;
  renderUser();
  stamp();
  report.render();
  hotspots.render();
  playback.render();
  bulletin.render();
  redrawAll();
}

/**
 * The reports have no stream of their own: /ws/session carries only
 * heartbeats, and its closing with 4001 signs the page out at once when
 * the session ends elsewhere (the default of the live link).
 */
const sessionLink = createLiveLink({
  url: () => streamURL('/ws/session', null),
  onMessage() {},
  onState(s) {
    document.body.dataset.link = s;
  },
  upOnOpen: true,
});

/** Shows the page and fetches every report. */
async function showApp() {
  if (!READ_ROLES.includes(getRole())) {
    signedOut();
    return;
  }
  const gen = generation;
  onApp = true;
  sessionLink.start();
  show(byId('login'), false);
  show(byId('app'), true);
  renderUser();
  stamp();
  await Promise.allSettled([loadPlace(), loadReference()]);
  if (gen !== generation) return;
  report.resetAnalysis();
  hotspots.resetHotspots();
  playback.resetPlayback();
  bulletin.resetBulletin();
  playback.showPlaybackMap();
  report.loadAnalysis();
  hotspots.loadHotspots();
  playback.loadUnits().then(() => {
    if (gen === generation) playback.loadTrack();
  });
}

/** Forgets the session and shows the sign-in form. */
function signedOut() {
  generation += 1;
  sessionLink.stop();
  clearSession();
  clearReference();
  clearPlace();
  disposeAll();
  if (onApp) {
    resetLogin();
    report.resetAnalysis();
    hotspots.resetHotspots();
    playback.resetPlayback();
    bulletin.resetBulletin();
  }
  onApp = false;
  show(byId('app'), false);
  show(byId('login'), true);
  document.title = rt('reports.title');
  const user = /** @type {HTMLInputElement} */ (byId('username'));
  if (!user.value) user.focus();
  else byId('password').focus();
}

/** Ends the session on the server (best effort) and signs out here. */
async function logout() {
  await endSession(signedOut);
}

function main() {
  applyReportLabels(document);
  labelLangToggles();
  renderLogin();
  document.title = rt('reports.title');
  onLangChange(renderAll);
  for (const b of document.querySelectorAll('.lang-toggle')) {
    b.addEventListener('click', () => toggleLang());
  }
  byId('logout').addEventListener('click', () => {
    logout();
  });
  byId('print').addEventListener('click', () => {
    stamp();
    window.print();
  });
  report.initAnalysis();
  hotspots.initHotspots();
  playback.initPlayback();
  bulletin.initBulletin();
  watchLayout();
  api.onUnauthorized(() => {
    if (onApp || getToken()) signedOut();
  });
  initLogin(() => {
    showApp();
  }, { roles: READ_ROLES, roleError: 'login.error.role' });
  if (getToken()) showApp();
  else signedOut();
}

main();

// The administration page (系统管理): accounts, units and their devices,
// the duty roster and shift handovers, each a tab whose module fills its
// section. Accounts and units are the administrator's; the duty tab is also
// for the leaders and operators who keep the roster and hand over shifts.
//
// Hooks for tests: .admin-tab[data-tab] (aria-selected), section
// #tab-accounts / #tab-units / #tab-duty (hidden when not selected).

import * as api from './api.js';
import * as accounts from './admin-accounts.js';
import * as duty from './admin-duty.js';
import * as notify from './admin-notify.js';
import * as units from './admin-units.js';
import { byId } from './dom.js';
import { applyLabels, labelLangToggles, onLangChange, t, toggleLang } from './i18n.js';
import { endSession, initLogin, renderLogin, resetLogin } from './login.js';
import { roleName } from './refdata.js';
import { clearSession, getRole, getToken, getUsername, setSessionScope } from './session.js';

setSessionScope('admin');

/** The tabs, their modules and the roles that see them. */
const TABS = [
  { id: 'accounts', module: accounts, roles: ['admin'] },
  { id: 'units', module: units, roles: ['admin'] },
  { id: 'duty', module: duty, roles: ['admin', 'leader', 'deputy', 'operator'] },
  { id: 'notify', module: notify, roles: ['admin'] },
];
const PAGE_ROLES = ['admin', 'leader', 'deputy', 'operator'];

let onApp = false;
/** @type {string} */
let current = '';

/** The tabs the signed-in role sees. */
function visibleTabs() {
  const role = getRole();
  return TABS.filter((tab) => tab.roles.includes(role));
}

/**
 * Shows one tab and hides the others.
 * @param {string} id
 */
function select(id) {
  current = id;
  for (const tab of TABS) {
    const on = tab.id === id;
    const btn = byId(`tab-btn-${tab.id}`);
    btn.setAttribute('aria-selected', String(on));
    btn.tabIndex = on ? 0 : -1;
    byId(`tab-${tab.id}`).hidden = !on;
  }
}

function showApp() {
  onApp = true;
  byId('login').hidden = true;
  byId('app').hidden = false;
  byId('user-name').textContent = getUsername();
  byId('user-role').textContent = roleName(getRole());
  const tabs = visibleTabs();
  for (const tab of TABS) byId(`tab-btn-${tab.id}`).hidden = !tabs.includes(tab);
  const who = { role: getRole(), username: getUsername() };
  // The configuration and the grids, read once for every tab.
  const ref = { config: api.config(), grids: api.grids() };
  ref.config.catch(() => {}); // each tab that awaits one says why it failed
  ref.grids.catch(() => {});
  for (const tab of tabs) tab.module.mount(byId(`tab-${tab.id}`), who, ref);
  select(tabs.some((tab) => tab.id === current) ? current : tabs[0].id);
}

function signedOut() {
  onApp = false;
  clearSession();
  byId('app').hidden = true;
  byId('login').hidden = false;
  resetLogin();
}

function relabel() {
  applyLabels(document);
  labelLangToggles();
  renderLogin();
  document.title = t('admin.title');
  if (onApp) byId('user-role').textContent = roleName(getRole());
  for (const tab of TABS) tab.module.relabel();
}

function main() {
  relabel();
  onLangChange(relabel);
  for (const b of document.querySelectorAll('.lang-toggle')) b.addEventListener('click', () => toggleLang());
  byId('logout').addEventListener('click', () => endSession(signedOut));
  for (const tab of TABS) byId(`tab-btn-${tab.id}`).addEventListener('click', () => select(tab.id));
  api.onUnauthorized(() => {
    if (onApp || getToken()) signedOut();
  });
  initLogin(showApp, { roles: PAGE_ROLES, roleError: 'login.error.role' });
  if (getToken() && PAGE_ROLES.includes(getRole())) showApp();
  else signedOut();
}

main();

// A minimal host for the case desk until the console page exists: sign in,
// then mount the desk. (Temporary: the console of issue 16 replaces it.)
import * as api from './api.js';
import { byId } from './dom.js';
import { applyLabels, toggleLang } from './i18n.js';
import { initLogin, renderLogin } from './login.js';
import { getRole, getToken, getUsername, setSessionScope } from './session.js';
import { mountCaseDesk } from './console-cases.js';

setSessionScope('console');

/** Shows the desk. */
async function showApp() {
  const me = await api.me().catch(() => null);
  byId('login').hidden = true;
  byId('app').hidden = false;
  mountCaseDesk(byId('case-desk'), {
    role: getRole(), username: getUsername(), area: me?.area ?? '',
    onEvent: () => {}, onSnapshot: () => {},
    openIncident: (id) => { byId('opened-incident').textContent = id; byId('opened-incident').dataset.id = id; },
  });
}

applyLabels(document);
renderLogin();
byId('lang-toggle').addEventListener('click', () => toggleLang());
initLogin(() => void showApp());
if (getToken()) void showApp();

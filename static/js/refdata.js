// Reference data fetched once per sign-in: category names and level names.
// Until it arrives (or if it cannot be had) the catalogue's level names and
// the bare category id stand in.

import * as api from './api.js';
import { setTimeZone } from './format.js';
import { lang, t } from './i18n.js';
import { read, write } from './storage.js';

/** Where this browser keeps the last map.navigation it was told. */
const NAV_KEY = 'wf.navigation';

/** The four levels, most serious first. */
export const LEVELS = ['I', 'II', 'III', 'IV'];

/** @type {Map<string, {zh: string, en: string}>} */
let categoryNames = new Map();
/** @type {Map<string, {zh: string, en: string}>} */
let levelNames = new Map();
/** map.navigation: the app a navigate button opens ('' until told). */
let navigation = '';
let loaded = false;
/** @type {Promise<boolean>|null} */
let inflight = null;

/**
 * Fetches categories and configuration with the bearer token. Failures other
 * than 401 (which the API layer reports) leave the fallbacks in place.
 * Calls made while a load is under way share it.
 * @returns {Promise<boolean>} true when both were loaded
 */
export function loadReference() {
  if (!inflight) {
    inflight = fetchReference().finally(() => {
      inflight = null;
    });
  }
  return inflight;
}

/**
 * Does the fetching for loadReference.
 * @returns {Promise<boolean>}
 */
async function fetchReference() {
  const [cats, cfg] = await Promise.allSettled([api.categories(), api.config()]);
  if (cats.status === 'fulfilled' && Array.isArray(cats.value)) {
    const m = new Map();
    for (const c of cats.value) {
      if (c && typeof c.id === 'string' && c.name && typeof c.name === 'object') {
        m.set(c.id, { zh: String(c.name.zh ?? ''), en: String(c.name.en ?? '') });
      }
    }
    categoryNames = m;
  }
  if (cfg.status === 'fulfilled' && cfg.value) {
    setTimeZone(cfg.value.timezone);
    navigation = knownApp(cfg.value.map?.navigation) || 'geo';
    write(NAV_KEY, navigation);
  }
  if (cfg.status === 'fulfilled' && cfg.value && Array.isArray(cfg.value.levels)) {
    const m = new Map();
    for (const l of cfg.value.levels) {
      if (l && typeof l.level === 'string') {
        m.set(l.level, { zh: String(l.zh ?? ''), en: String(l.en ?? '') });
      }
    }
    levelNames = m;
  }
  loaded = cats.status === 'fulfilled' && cfg.status === 'fulfilled';
  return loaded;
}

/**
 * Reports whether the reference data has been loaded.
 * @returns {boolean}
 */
export function referenceLoaded() {
  return loaded;
}

/** Forgets the reference data (on sign-out). */
export function clearReference() {
  categoryNames = new Map();
  levelNames = new Map();
  navigation = '';
  loaded = false;
}

/**
 * The map app the deployment's navigate buttons open (map.navigation): as
 * the configuration says, else as this browser was last told (a phone on
 * a poor link), else '' (unknown: a guess could send a responder to the
 * wrong datum).
 * @returns {string} 'amap', 'geo' or ''
 */
export function navigationApp() {
  return navigation || knownApp(read(NAV_KEY));
}

/**
 * A map.navigation value the pages know, else ''.
 * @param {unknown} v
 * @returns {string}
 */
function knownApp(v) {
  return v === 'amap' || v === 'geo' ? v : '';
}

/**
 * Capitalises the first letter of a name.
 * @param {string} s
 * @returns {string}
 */
function capitalise(s) {
  return s ? s.charAt(0).toUpperCase() + s.slice(1) : s;
}

/**
 * Returns a category's name in the current language, or its id when unknown.
 * @param {string} id
 * @returns {string}
 */
export function categoryName(id) {
  const n = categoryNames.get(id);
  if (!n) return String(id ?? '');
  return (lang() === 'en' ? n.en || n.zh : n.zh || n.en) || String(id);
}

/**
 * Returns a level's name ("特别重大" / "Particularly serious") in the current
 * language; an ungraded or unknown level is named as such.
 * @param {string|null|undefined} level
 * @returns {string}
 */
export function levelName(level) {
  if (!level || !LEVELS.includes(level)) return t('level.none');
  const n = levelNames.get(level);
  if (n) {
    const name = lang() === 'en' ? capitalise(n.en) : n.zh;
    if (name) return name;
  }
  return t(`level.${level}`);
}

/**
 * A role's name in the current language (总指挥, 副总指挥 …); an unknown one
 * as the server spells it.
 * @param {string} role
 * @returns {string}
 */
export function roleName(role) {
  const key = `role.${role}`;
  const name = t(key);
  return name === key ? String(role ?? '') : name;
}

// The wall's warnings (预警, issue 20): a band under the header, over the
// map column, listing the active warnings (colour, type, title, areas,
// until when), and their areas shaded on the map. Loaded with
// GET /api/v1/warnings after every snapshot and every minute, kept live by
// warning.issued/updated/ended on the screen stream.
//
// Hooks for tests: #warn-band[data-count] (hidden when none) >
// #warn-list > li.warn-item[data-warning-id][data-colour], #warn-more
// [data-count] ("+N", hidden when every one shows); see warnmap.js
// for the map.

import { byId, show, replaceLive } from './dom.js';
import { t } from './i18n.js';
import { bannerItem, refreshActive, WarningBook } from './warnings.js';
import { clearShading, renderShading } from './warnmap.js';

const REFRESH_MS = 60 * 1000;

const book = new WarningBook();
/** @type {ReturnType<typeof setInterval>|undefined} */
let timer;
/** Bumped on sign-out so late answers are dropped. */
let generation = 0;
/** Whether the band is measured again on resize. */
let resizing = false;

/** Loads the active warnings again. */
export async function loadWarnings() {
  const gen = generation;
  if (!(await refreshActive(book, () => gen !== generation))) return; // the next snapshot or minute tries again
  renderWarnings();
  onChange();
}

/**
 * Applies a warning.* event (its data is the whole warning).
 * @param {any} msg
 */
export function applyWarning(msg) {
  if (book.put(msg && msg.data)) {
    renderWarnings();
    onChange();
  }
}

/** @type {() => void} */
let onChange = () => {};

/**
 * Sets what follows a change of the warnings (the plans' banners name them).
 * @param {() => void} fn
 */
export function onWarningsChange(fn) {
  onChange = fn;
}

/**
 * The title of a warning the wall knows.
 * @param {string} id
 * @returns {string|undefined}
 */
export function warningTitle(id) {
  const w = book.byId.get(id);
  return w && typeof w.title === 'string' ? w.title : undefined;
}

/** Renders the band and the shading in the current language. */
export function renderWarnings() {
  const list = book.active();
  const band = byId('warn-band');
  band.dataset.count = String(list.length);
  band.setAttribute('aria-label', t('warn.band.label'));
  show(band, list.length > 0);
  replaceLive(byId('warn-list'), () => list.map(bannerItem), renderMore);
  renderShading(list);
}

/** Says "+N" for the warnings the band has no room to show (never clipped silently). */
function renderMore() {
  const box = byId('warn-list');
  const bottom = box.getBoundingClientRect().bottom;
  for (const li of box.children) li.classList.remove('warn-clipped');
  const hidden = [...box.children].filter((li) => li.getBoundingClientRect().bottom > bottom + 1);
  for (const li of hidden) li.classList.add('warn-clipped'); // no line cut in half
  const more = byId('warn-more');
  more.dataset.count = String(hidden.length);
  more.textContent = hidden.length ? t('warn.list.more', { n: hidden.length }) : '';
  more.title = hidden.map((li) => /** @type {HTMLElement} */ (li).title).join('\n');
  show(more, hidden.length > 0);
}

/** Starts the minute's refresh. */
export function startWarnings() {
  if (!resizing) window.addEventListener('resize', () => { if (book.byId.size) renderMore(); });
  resizing = true;
  clearInterval(timer);
  timer = setInterval(loadWarnings, REFRESH_MS);
}

/** Forgets the warnings and stops the refresh (sign-out). */
export function clearWarnings() {
  generation += 1;
  clearInterval(timer);
  timer = undefined;
  book.reset();
  clearShading();
  replaceLive(byId('warn-list'), () => []);
  byId('warn-band').dataset.count = '0';
  show(byId('warn-more'), false);
  show(byId('warn-band'), false);
}

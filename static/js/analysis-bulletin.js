// The printable daily bulletin (每日三通报) and its CSV. Both need the bearer
// header, so neither can be a plain link: the page fetches them with the
// token and hands the browser a Blob URL, a new window for the HTML page
// (with a link to open it again should a popup blocker refuse the window)
// and a download for the CSV.
//
// Hooks for tests: #bulletin[data-state=idle|loading|loaded|failed]
// [data-opened=1|0] [data-csv-bytes]; #bulletin-date (input type=date),
// #bulletin-open, #bulletin-csv, #bulletin-link (a blob: link, shown once
// the page has been fetched), #bulletin-status.

import { byId } from './dom.js';
import * as rapi from './analysis-api.js';
import { rt } from './analysis-i18n.js';
import { today } from './analysis-ref.js';
import { describeError } from './analysis-report.js';

/** @type {string} the Blob URL of the last bulletin page */
let pageURL = '';
/** @type {{key: string, params?: Record<string, string|number>}|null} */
let status = null;
let busy = false;

/**
 * Sets the status line.
 * @param {{key: string, params?: Record<string, string|number>}|null} s
 */
function setStatus(s) {
  status = s;
  const line = byId('bulletin-status');
  line.textContent = s ? rt(s.key, s.params) : '';
  line.hidden = !s;
}

/**
 * The chosen date, or today.
 * @returns {string} YYYY-MM-DD
 */
function chosenDate() {
  const input = /** @type {HTMLInputElement} */ (byId('bulletin-date'));
  if (!/^\d{4}-\d{2}-\d{2}$/.test(input.value)) input.value = today();
  return input.value;
}

/**
 * Makes the page's root-relative links absolute: a document behind a Blob
 * URL has no path to resolve "/bulletin.css" against.
 * @param {string} html
 * @returns {string}
 */
function absolutise(html) {
  const origin = window.location.origin;
  return html.replace(/(\s(?:href|src))="\/(?!\/)/g, `$1="${origin}/`);
}

/**
 * Disables both buttons and marks the section loading while a file is
 * fetched (the caller sets the state afterwards).
 * @param {boolean} on
 */
function setBusy(on) {
  busy = on;
  /** @type {HTMLButtonElement} */ (byId('bulletin-open')).disabled = on;
  /** @type {HTMLButtonElement} */ (byId('bulletin-csv')).disabled = on;
  if (on) byId('bulletin').dataset.state = 'loading';
}

/** Fetches the day's bulletin page and opens it in a new window. */
async function openPage() {
  if (busy) return;
  const date = chosenDate();
  const box = byId('bulletin');
  setBusy(true);
  setStatus({ key: 'reports.loading' });
  try {
    const blob = await rapi.bulletin(date, 'html');
    const html = absolutise(await blob.text());
    if (pageURL) URL.revokeObjectURL(pageURL);
    pageURL = URL.createObjectURL(new Blob([html], { type: 'text/html;charset=utf-8' }));
    const link = /** @type {HTMLAnchorElement} */ (byId('bulletin-link'));
    link.href = pageURL;
    link.textContent = rt('reports.bulletin.link', { date });
    link.hidden = false;
    const win = window.open(pageURL, '_blank');
    box.dataset.opened = win ? '1' : '0';
    setBusy(false);
    box.dataset.state = 'loaded';
    setStatus(win ? { key: 'reports.bulletin.opened', params: { date } } : { key: 'reports.bulletin.blocked' });
  } catch (err) {
    setBusy(false);
    box.dataset.state = 'failed';
    setStatus(describeError(err));
  }
}

/** Fetches the day's bulletin as CSV and downloads it. */
async function downloadCSV() {
  if (busy) return;
  const date = chosenDate();
  const box = byId('bulletin');
  setBusy(true);
  setStatus({ key: 'reports.loading' });
  try {
    const blob = await rapi.bulletin(date, 'csv');
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = `bulletin-${date}.csv`;
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    box.dataset.csvBytes = String(blob.size);
    setBusy(false);
    box.dataset.state = 'loaded';
    setStatus({ key: 'reports.bulletin.downloaded', params: { file: a.download } });
  } catch (err) {
    setBusy(false);
    box.dataset.state = 'failed';
    setStatus(describeError(err));
  }
}

/** Draws the labels again in the current language. */
export function render() {
  if (status) setStatus(status);
  const link = /** @type {HTMLAnchorElement} */ (byId('bulletin-link'));
  if (!link.hidden) link.textContent = rt('reports.bulletin.link', { date: chosenDate() });
}

/** Wires the buttons. */
export function initBulletin() {
  byId('bulletin-open').addEventListener('click', () => {
    openPage();
  });
  byId('bulletin-csv').addEventListener('click', () => {
    downloadCSV();
  });
  byId('bulletin-date').addEventListener('change', () => {
    const link = /** @type {HTMLAnchorElement} */ (byId('bulletin-link'));
    link.hidden = true;
  });
}

/** Sets today's date and forgets the last page. */
export function resetBulletin() {
  if (pageURL) URL.revokeObjectURL(pageURL);
  pageURL = '';
  status = null;
  setStatus(null);
  /** @type {HTMLInputElement} */ (byId('bulletin-date')).value = today();
  const link = /** @type {HTMLAnchorElement} */ (byId('bulletin-link'));
  link.hidden = true;
  link.removeAttribute('href');
  const box = byId('bulletin');
  box.dataset.state = 'idle';
  delete box.dataset.opened;
  delete box.dataset.csvBytes;
}

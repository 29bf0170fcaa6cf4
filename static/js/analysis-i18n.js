// The reports page's strings: its keys ("reports.…") live in the one
// catalogue, i18n.js, like every other page's. The language is i18n.js's
// (kept in localStorage under wf.lang).

import { applyLabels, t } from './i18n.js';

/**
 * Translates a key into the current language: the reports catalogue first
 * (falling back to Chinese), then the shared one.
 * @param {string} key
 * @param {Record<string, string|number>} [params]
 * @returns {string}
 */
export function rt(key, params) {
  return t(key, params);
}

/**
 * Labels the page like i18n.js's applyLabels (data-i18n, data-i18n-label,
 * data-i18n-placeholder), then relabels the elements whose keys only the
 * reports catalogue knows, plus data-i18n-title for title attributes.
 * @param {ParentNode} root
 */
export function applyReportLabels(root) {
  applyLabels(root);
  for (const node of root.querySelectorAll('[data-i18n]')) {
    const key = node.getAttribute('data-i18n') ?? '';
    if (key.startsWith('reports.')) node.textContent = rt(key);
  }
  for (const node of root.querySelectorAll('[data-i18n-label]')) {
    const key = node.getAttribute('data-i18n-label') ?? '';
    if (key.startsWith('reports.')) node.setAttribute('aria-label', rt(key));
  }
  for (const node of root.querySelectorAll('[data-i18n-title]')) {
    node.setAttribute('title', rt(node.getAttribute('data-i18n-title') ?? ''));
  }
}

// The header's live-link indicator and the banner shown while the link is
// down: the same on every page that follows a stream.

import { byId, show } from './dom.js';
import { t } from './i18n.js';

/**
 * Shows the link state in #link-state and, while the link is down,
 * #link-banner with the page's own text.
 * @param {'connecting'|'up'|'down'} state
 * @param {string} bannerKey catalogue key of the banner's text
 */
export function showLinkState(state, bannerKey) {
  const ind = byId('link-state');
  const up = state === 'up';
  ind.classList.toggle('up', up);
  ind.classList.toggle('down', !up);
  ind.classList.toggle('connecting', state === 'connecting');
  byId('link-state-text').textContent = t(up ? 'link.up' : state === 'down' ? 'link.down' : 'link.connecting');
  show(byId('link-banner'), state === 'down');
  byId('link-banner-text').textContent = t(bannerKey);
}

// The link of a phone's "navigate" button: the deployment names the map app
// (map.navigation), and each app is given the datum it documents, since a
// WGS-84 point read as GCJ-02 lands some hundreds of metres off in China.

import { toGCJ02 } from './gcj02.js';

/** The longest place name handed to the app, in characters. */
const NAME_MAX = 60;

/**
 * The link that opens app on a route to a WGS-84 point called name: for
 * 'amap' Amap's URI API (its app when installed, else its web page) with
 * the point shifted onto GCJ-02 (coordinate=gaode); otherwise a geo: URI
 * (RFC 5870, WGS-84).
 * @param {string} app map.navigation: 'amap' or 'geo'
 * @param {number} lon @param {number} lat
 * @param {string} [name] the place's address or title, for the app to show
 * @returns {string}
 */
export function navHref(app, lon, lat, name = '') {
  if (app === 'amap') {
    const [gLon, gLat] = toGCJ02(lon, lat);
    // Commas separate the coordinates from the name in to=; whole characters
    // only, and a lone surrogate replaced, so encodeURIComponent never throws.
    const label = Array.from(String(name).replace(/[\s,，]+/g, ' ').trim()).slice(0, NAME_MAX)
      .map((c) => (c.length === 1 && c >= '\uD800' && c <= '\uDFFF' ? '\uFFFD' : c)).join('');
    const to = `${gLon.toFixed(6)},${gLat.toFixed(6)}${label ? `,${encodeURIComponent(label)}` : ''}`;
    return `https://uri.amap.com/navigation?to=${to}&mode=car&coordinate=gaode&callnative=1&src=watchfloor`;
  }
  const ll = `${lat.toFixed(6)},${lon.toFixed(6)}`;
  return `geo:${ll}?q=${ll}`;
}

/**
 * Points a navigate button at a WGS-84 point: a web link opens beside the
 * page, which keeps its socket and its orders.
 * @param {HTMLAnchorElement} a
 * @param {string} app @param {number} lon @param {number} lat @param {string} [name]
 */
export function setNavLink(a, app, lon, lat, name) {
  a.href = navHref(app, lon, lat, name);
  if (app === 'amap') {
    a.target = '_blank';
    a.rel = 'noopener';
  } else {
    a.removeAttribute('target');
    a.removeAttribute('rel');
  }
}

// GCJ-02, the datum of Chinese online maps (Amap/高德): the published
// formula, the same as geo/datum in Go (a test holds the two together on
// reference points). Watchfloor stores WGS-84; only a display on a GCJ-02
// base map shifts what it draws, and shifts clicks back.

const A = 6378245.0;
const EE = 0.00669342162296594323;

/**
 * Whether a point lies outside the rectangle where GCJ-02 differs from WGS-84.
 * @param {number} lon @param {number} lat
 */
export function outOfChina(lon, lat) {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

/**
 * The GCJ-02 offset in degrees at a WGS-84 point.
 * @param {number} lon @param {number} lat
 * @returns {[number, number]}
 */
function delta(lon, lat) {
  const x = lon - 105.0;
  const y = lat - 35.0;
  const d = (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
  let dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x)) + d
    + (20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin(y / 3.0 * Math.PI)) * 2.0 / 3.0
    + (160.0 * Math.sin(y / 12.0 * Math.PI) + 320 * Math.sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
  let dLon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x)) + d
    + (20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin(x / 3.0 * Math.PI)) * 2.0 / 3.0
    + (150.0 * Math.sin(x / 12.0 * Math.PI) + 300.0 * Math.sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
  const rad = lat / 180.0 * Math.PI;
  let magic = Math.sin(rad);
  magic = 1 - EE * magic * magic;
  const sq = Math.sqrt(magic);
  dLat = (dLat * 180.0) / ((A * (1 - EE)) / (magic * sq) * Math.PI);
  dLon = (dLon * 180.0) / (A / sq * Math.cos(rad) * Math.PI);
  return [dLon, dLat];
}

/**
 * Shifts a WGS-84 point onto GCJ-02.
 * @param {number} lon @param {number} lat
 * @returns {[number, number]} [lon, lat]
 */
export function toGCJ02(lon, lat) {
  if (outOfChina(lon, lat)) return [lon, lat];
  const [dLon, dLat] = delta(lon, lat);
  return [lon + dLon, lat + dLat];
}

/**
 * Inverts toGCJ02 by fixed-point iteration (well under a millimetre).
 * @param {number} lon @param {number} lat
 * @returns {[number, number]} [lon, lat]
 */
export function toWGS84(lon, lat) {
  if (outOfChina(lon, lat)) return [lon, lat];
  let wLon = lon;
  let wLat = lat;
  for (let i = 0; i < 30; i++) {
    const [gLon, gLat] = toGCJ02(wLon, wLat);
    const eLon = gLon - lon;
    const eLat = gLat - lat;
    wLon -= eLon;
    wLat -= eLat;
    if (Math.abs(eLon) < 1e-10 && Math.abs(eLat) < 1e-10) break;
  }
  return [wLon, wLat];
}

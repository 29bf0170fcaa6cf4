// The API calls of the reports page (analysis, hotspots, patrol advice,
// tracks and the daily bulletin), made through api.js's request so they
// carry the bearer token and report a 401 like every other call.

import { request } from './api.js';

/**
 * Builds a query string from the defined, non-empty values.
 * @param {Record<string, string|undefined>} q
 * @returns {string} "" or "?a=1&b=2"
 */
function query(q) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v !== undefined && v !== '') p.set(k, v);
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

/**
 * The monthly incident analysis or the quarterly security analysis.
 * @param {'month'|'quarter'} period
 * @param {string} at YYYY-MM or YYYY-Qn
 * @returns {Promise<any>}
 */
export function analysis(period, at) {
  return request('GET', `/api/v1/analysis${query({ period, at })}`);
}

/**
 * Incidents per lowest-level grid and per hour of the week over local dates.
 * @param {string} [from] YYYY-MM-DD
 * @param {string} [to] YYYY-MM-DD
 * @returns {Promise<{from: string, to: string, grids: {type: string, features: any[]}, hour_of_week?: number[][]}>}
 */
export function hotspots(from, to) {
  return request('GET', `/api/v1/hotspots${query({ from, to })}`);
}

/**
 * The grids ranked for patrol (警力跟着警情走).
 * @returns {Promise<{grids: Array<{code: string, name: string, incidents_28d: number, patrol_minutes_today: number, score: number}>}>}
 */
export function patrolAdvice() {
  return request('GET', '/api/v1/patrol/advice');
}

/**
 * A unit's stored fixes between two times.
 * @param {string} id unit id
 * @param {string} from RFC 3339
 * @param {string} to RFC 3339
 * @returns {Promise<any>} a GeoJSON Feature with a LineString
 */
export function track(id, from, to) {
  return request('GET', `/api/v1/units/${encodeURIComponent(id)}/track${query({ from, to })}`, { timeoutMs: 30000 });
}

/**
 * The daily bulletin as a file (HTML page or CSV).
 * @param {string} date YYYY-MM-DD
 * @param {'html'|'csv'} format
 * @returns {Promise<Blob>}
 */
export function bulletin(date, format) {
  return request('GET', `/api/v1/bulletins/daily${query({ date, format })}`, { blob: true, timeoutMs: 30000 });
}

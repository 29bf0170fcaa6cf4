// Times in the configured time zone (GET /api/v1/config `timezone`, set by
// refdata when the reference data loads), never the browser's own; until it
// is known, the browser's.

import { locale } from './i18n.js';

/** @type {string} the IANA zone times are shown in; '' for the browser's */
let zone = '';
/** @type {Intl.DateTimeFormat|null} */
let partsFormat = null;

/**
 * Sets the time zone every time on the page is shown in.
 * @param {unknown} tz an IANA name such as Asia/Shanghai; anything the
 *   browser does not know leaves the zone as it was
 */
export function setTimeZone(tz) {
  if (typeof tz !== 'string' || tz === '' || tz === zone) return;
  try {
    partsFormat = new Intl.DateTimeFormat('en-CA', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    zone = tz;
  } catch {
    // an unknown zone: keep the last one
  }
}

/**
 * The configured time zone, or '' while it is not known.
 * @returns {string}
 */
export function timeZone() {
  return zone;
}

/**
 * The calendar fields of a time in the configured zone.
 * @param {Date} d
 * @returns {{year: number, month: number, day: number, hour: number, minute: number, second: number}}
 */
export function zoned(d) {
  if (!partsFormat) {
    return { year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate(), hour: d.getHours(), minute: d.getMinutes(), second: d.getSeconds() };
  }
  /** @type {Record<string, number>} */
  const f = {};
  for (const p of partsFormat.formatToParts(d)) {
    if (p.type !== 'literal') f[p.type] = Number(p.value);
  }
  return { year: f.year, month: f.month, day: f.day, hour: f.hour % 24, minute: f.minute, second: f.second };
}

/**
 * Pads a number to two digits.
 * @param {number} n
 * @returns {string}
 */
function two(n) {
  return String(n).padStart(2, '0');
}

/**
 * Parses an RFC 3339 time.
 * @param {unknown} s
 * @returns {Date|null} null when missing or unparseable
 */
export function parseTime(s) {
  if (typeof s !== 'string' || s === '') return null;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? null : new Date(ms);
}

/**
 * Formats a time as HH:mm in the configured zone.
 * @param {Date} d
 * @returns {string}
 */
export function hhmm(d) {
  const z = zoned(d);
  return `${two(z.hour)}:${two(z.minute)}`;
}

/**
 * Formats a time as HH:mm:ss in the configured zone.
 * @param {Date} d
 * @returns {string}
 */
export function hhmmss(d) {
  const z = zoned(d);
  return `${two(z.hour)}:${two(z.minute)}:${two(z.second)}`;
}

/**
 * Formats a date as MM-DD in the configured zone.
 * @param {Date} d
 * @returns {string}
 */
export function mmdd(d) {
  const z = zoned(d);
  return `${two(z.month)}-${two(z.day)}`;
}

/**
 * Reports whether two times fall on the same local day.
 * @param {Date} a
 * @param {Date} b
 * @returns {boolean}
 */
export function sameDay(a, b) {
  const x = zoned(a);
  const y = zoned(b);
  return x.year === y.year && x.month === y.month && x.day === y.day;
}

/**
 * Formats today's date with the weekday in the current language.
 * @param {Date} d
 * @returns {string}
 */
export function longDate(d) {
  try {
    return new Intl.DateTimeFormat(locale(), {
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      weekday: 'short',
      ...(zone ? { timeZone: zone } : {}),
    }).format(d);
  } catch {
    return `${zoned(d).year}-${mmdd(d)}`;
  }
}

/**
 * Formats a duration as mm:ss, or h:mm:ss from an hour up. A time still to
 * come is rounded up to the second (so 0:00 is shown only when it is due);
 * a negative one, time gone by, is formatted as its absolute value.
 * @param {number} ms milliseconds
 * @returns {string}
 */
export function countdown(ms) {
  const total = ms >= 0 ? Math.ceil(ms / 1000) : Math.floor(-ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

/**
 * Formats a time in the given IANA time zone (the configured one), as
 * MM-DD HH:mm:ss, or HH:mm:ss with short.
 * @param {Date} d
 * @param {string} [timeZone] e.g. Asia/Shanghai; the browser's when empty
 * @param {boolean} [short]
 * @returns {string}
 */
export function zonedTime(d, timeZone, short = false) {
  try {
    /** @type {Intl.DateTimeFormatOptions} */
    const o = { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' };
    if (!short) Object.assign(o, { month: '2-digit', day: '2-digit' });
    if (timeZone) o.timeZone = timeZone;
    const parts = new Intl.DateTimeFormat('en-GB', o).formatToParts(d);
    /** @type {Record<string, string>} */
    const p = {};
    for (const x of parts) p[x.type] = x.value;
    const time = `${p.hour}:${p.minute}:${p.second}`;
    return short ? time : `${p.month}-${p.day} ${time}`;
  } catch {
    return short ? hhmmss(d) : `${mmdd(d)} ${hhmmss(d)}`;
  }
}

/**
 * Reads a datetime-local value (YYYY-MM-DDTHH:mm) as a time on the
 * configured zone's clocks.
 * @param {string} v
 * @returns {Date|null}
 */
export function fromZonedInput(v) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(v);
  if (!m) return null;
  const wanted = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  let at = wanted;
  for (let pass = 0; pass < 2; pass++) {
    const z = zoned(new Date(at));
    at += wanted - Date.UTC(z.year, z.month - 1, z.day, z.hour, z.minute, z.second);
  }
  return new Date(at);
}

/**
 * A time as a datetime-local value on the configured zone's clocks.
 * @param {Date} d
 * @returns {string}
 */
export function toZonedInput(d) {
  const z = zoned(d);
  return `${z.year}-${two(z.month)}-${two(z.day)}T${two(z.hour)}:${two(z.minute)}`;
}

// Times in the browser's local time zone.

import { locale } from './i18n.js';

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
 * Formats a time as HH:mm in local time.
 * @param {Date} d
 * @returns {string}
 */
export function hhmm(d) {
  return `${two(d.getHours())}:${two(d.getMinutes())}`;
}

/**
 * Formats a time as HH:mm:ss in local time.
 * @param {Date} d
 * @returns {string}
 */
export function hhmmss(d) {
  return `${hhmm(d)}:${two(d.getSeconds())}`;
}

/**
 * Formats a date as MM-DD in local time.
 * @param {Date} d
 * @returns {string}
 */
export function mmdd(d) {
  return `${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}

/**
 * Reports whether two times fall on the same local day.
 * @param {Date} a
 * @param {Date} b
 * @returns {boolean}
 */
export function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
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
    }).format(d);
  } catch {
    return `${d.getFullYear()}-${mmdd(d)}`;
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

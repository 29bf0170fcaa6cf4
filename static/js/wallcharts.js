// Today's charts on the wall: incidents created per local hour, stacked by
// level, and the day's median times to acknowledge and to reach the scene,
// all from the daily bulletin (counters kept at write time).
//
// Hooks for tests: #chart-hours[data-ready="1"][data-total] once drawn,
// #median-ack and #median-scene.

import { byId } from './dom.js';
import { t } from './i18n.js';
import { LEVELS, levelName } from './refdata.js';

const COLOURS = { I: '#e53935', II: '#fb8c00', III: '#fdd835', IV: '#1e88e5' };

/** @type {any} */
let chart = null;
/** @type {any} */
let last = null;

/**
 * A median in seconds as minutes and seconds ("4分12秒"), or a dash.
 * @param {unknown} s
 * @returns {string}
 */
export function medianText(s) {
  if (typeof s !== 'number' || !Number.isFinite(s)) return '—';
  const total = Math.round(s);
  const m = Math.floor(total / 60);
  const sec = total % 60;
  return m > 0 ? t('wall.duration.ms', { m, s: sec }) : t('wall.duration.s', { s: sec });
}

/**
 * Draws the charts from a daily bulletin (or again from the last one, after
 * a change of language, when b is omitted).
 * @param {any} [b]
 */
export function renderCharts(b) {
  if (b !== undefined) last = b;
  const box = byId('chart-hours');
  if (!box) return;
  const bulletin = last;
  byId('median-ack').textContent = medianText(bulletin && bulletin.calls && bulletin.calls.ack_s_p50);
  byId('median-scene').textContent = medianText(bulletin && bulletin.calls && bulletin.calls.to_scene_s_p50);
  const echarts = /** @type {any} */ (window).echarts;
  if (!echarts || box.clientWidth === 0 || box.clientHeight === 0) return;
  if (!chart) chart = echarts.init(box, null, { renderer: 'canvas' });
  const byHour = (bulletin && bulletin.incidents && bulletin.incidents.by_hour_level) || {};
  const hours = Array.from({ length: 24 }, (_, h) => String(h));
  let total = 0;
  const series = LEVELS.map((l) => {
    const row = Array.isArray(byHour[l]) ? byHour[l].map((n) => (typeof n === 'number' ? n : 0)) : new Array(24).fill(0);
    for (const n of row) total += n;
    return { name: levelName(l), type: 'bar', stack: 'all', data: row, itemStyle: { color: COLOURS[l] }, barCategoryGap: '20%' };
  });
  // Sizes follow the page's rem, which grows with the screen (20px at 1080p).
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 20;
  const small = Math.round(rem * 0.55);
  chart.setOption({
    animation: false,
    backgroundColor: 'transparent',
    textStyle: { color: '#9fb0c0' },
    grid: { left: Math.round(rem * 1.4), right: Math.round(rem * 0.4), top: Math.round(rem * 1.1), bottom: Math.round(rem * 1) },
    legend: { top: 0, right: 0, itemWidth: small, itemHeight: Math.round(small * 0.8), textStyle: { color: '#9fb0c0', fontSize: small } },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: hours, name: '', axisLabel: { color: '#9fb0c0', fontSize: small, interval: 2 }, axisLine: { lineStyle: { color: '#2a3644' } } },
    yAxis: { type: 'value', minInterval: 1, axisLabel: { color: '#9fb0c0', fontSize: small }, splitLine: { lineStyle: { color: '#1e2a36' } } },
    series,
  }, true);
  box.setAttribute('aria-label', t('wall.charts.hoursLabel'));
  box.dataset.ready = bulletin ? '1' : '0';
  box.dataset.total = String(total);
}

/** Fits the chart to its box after the window was resized. */
export function resizeCharts() {
  if (chart) chart.resize();
}

/** Forgets the chart (on sign-out). */
export function clearCharts() {
  if (chart) chart.dispose();
  chart = null;
  last = null;
  const box = byId('chart-hours');
  if (box) box.dataset.ready = '0';
}

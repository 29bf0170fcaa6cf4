// ECharts (vendored, a classic script that sets window.echarts) for the
// reports page: every chart on the canvas renderer with canvas ("richText")
// tooltips, so ECharts never writes HTML strings or style attributes the
// Content-Security-Policy would refuse, and user text never goes through
// innerHTML. A chart is described by a function of the theme, so it can be
// drawn again in print colours (dark text on white paper) and back.
//
// Hooks for tests: each chart container gets data-ready="1" once drawn
// ("0" while it is being drawn again), and data-chart-empty="1" when it
// has nothing to show.

/** Screen colours: the dark theme of the command centre. */
const SCREEN = {
  text: '#e8eef4',
  muted: '#9fb0c0',
  line: '#3a4a5c',
  split: '#1f2a36',
  tipBg: '#1b2633',
  tipBorder: '#3a4a5c',
  bar: '#42a5f5',
  previous: '#607d8b',
  accent: '#ffb74d',
};

/** Print colours: black on white. */
const PAPER = {
  text: '#111111',
  muted: '#444444',
  line: '#888888',
  split: '#dddddd',
  tipBg: '#ffffff',
  tipBorder: '#888888',
  bar: '#1e88e5',
  previous: '#b0bec5',
  accent: '#ef6c00',
};

/** The size charts are drawn at for paper (CSS pixels, about 180 mm wide). */
const PRINT_SIZE = { width: 680, height: 300 };

/**
 * @typedef {typeof SCREEN} Theme
 * @typedef {{box: HTMLElement, chart: any, build: (theme: Theme) => any, tall?: boolean}} Entry
 */

/** @type {Map<string, Entry>} charts by container id */
const charts = new Map();
let printing = false;
/** @type {Set<(on: boolean) => void>} */
const printHooks = new Set();

/**
 * Reports whether ECharts was loaded.
 * @returns {boolean}
 */
export function chartsAvailable() {
  const e = /** @type {any} */ (window).echarts;
  return Boolean(e && typeof e.init === 'function');
}

/**
 * The colours in use now.
 * @returns {Theme}
 */
export function theme() {
  return printing ? PAPER : SCREEN;
}

/**
 * A font size in CSS pixels for a chart: sizes are given for the page at
 * 1920×1080 (root font 18px) and follow the root font on other screens; on
 * paper they are a little smaller.
 * @param {number} px
 * @returns {number}
 */
export function fs(px) {
  if (printing) return Math.round(px * 0.85);
  const root = parseFloat(getComputedStyle(document.documentElement).fontSize) || 18;
  return Math.round((px * root) / 18);
}

/**
 * Options shared by every chart: no animation when printing, the canvas
 * tooltip, the text style.
 * @param {Theme} th
 * @returns {any}
 */
export function baseOption(th) {
  return {
    animation: !printing,
    animationDuration: 400,
    backgroundColor: 'transparent',
    textStyle: { color: th.text, fontFamily: 'PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif', fontSize: fs(15) },
    tooltip: {
      renderMode: 'richText',
      backgroundColor: th.tipBg,
      borderColor: th.tipBorder,
      textStyle: { color: th.text, fontSize: fs(15) },
    },
  };
}

/**
 * A category axis and value axis pair in the theme's colours.
 * @param {Theme} th
 * @returns {{category: any, value: any}}
 */
export function axes(th) {
  return {
    category: {
      type: 'category',
      axisLine: { lineStyle: { color: th.line } },
      axisTick: { lineStyle: { color: th.line } },
      axisLabel: { color: th.text, fontSize: fs(15) },
    },
    value: {
      type: 'value',
      minInterval: 1,
      axisLine: { show: false },
      axisLabel: { color: th.muted, fontSize: fs(14) },
      splitLine: { lineStyle: { color: th.split } },
    },
  };
}

/**
 * Draws (or draws again) the chart in the container with the given id.
 * @param {string} id the container's id
 * @param {(theme: Theme) => any} build the option for a theme
 * @param {{empty?: boolean}} [opts] empty marks a chart with no data
 * @returns {boolean} false when ECharts is missing
 */
export function drawChart(id, build, opts = {}) {
  const box = document.getElementById(id);
  if (!box || !chartsAvailable()) return false;
  let entry = charts.get(id);
  if (!entry) {
    const echarts = /** @type {any} */ (window).echarts;
    const chart = echarts.init(box, null, { renderer: 'canvas' });
    entry = { box, chart, build };
    charts.set(id, entry);
    chart.on('finished', () => {
      box.dataset.ready = '1';
    });
  }
  entry.build = build;
  box.dataset.ready = '0';
  box.dataset.chartEmpty = opts.empty ? '1' : '0';
  render(entry);
  return true;
}

/**
 * Applies an entry's option in the current theme.
 * @param {Entry} entry
 */
function render(entry) {
  entry.chart.setOption(entry.build(theme()), { notMerge: true, lazyUpdate: false });
}

/** Draws every chart again (after a language change). */
export function redrawAll() {
  for (const entry of charts.values()) {
    entry.box.dataset.ready = '0';
    render(entry);
  }
}

/** Re-measures every chart (after a layout change). */
export function resizeAll() {
  if (printing) return;
  for (const entry of charts.values()) {
    if (entry.box.clientWidth > 0 && entry.box.clientHeight > 0) entry.chart.resize();
  }
}

/**
 * Switches between screen and paper: on paper every chart is drawn at a
 * fixed A4-wide size in dark ink with no animation.
 * @param {boolean} on
 */
export function setPrinting(on) {
  if (on === printing) return;
  printing = on;
  document.documentElement.classList.toggle('printing', on);
  for (const entry of charts.values()) {
    if (on) {
      const tall = entry.box.classList.contains('chart-tall');
      entry.chart.resize({ width: PRINT_SIZE.width, height: tall ? PRINT_SIZE.height + 80 : PRINT_SIZE.height, animation: { duration: 0 } });
      render(entry);
    } else {
      render(entry);
      entry.chart.resize({ width: 'auto', height: 'auto', animation: { duration: 0 } });
    }
  }
  for (const fn of printHooks) fn(on);
}

/**
 * Keeps a map's on-screen pixel size on paper: while printing, its box
 * keeps the size it had on the screen and is scaled down to the paper's
 * width with CSS zoom, so the map (whose canvas would only be redrawn on a
 * later animation frame) prints as it was drawn.
 * @param {HTMLElement} box the map's container
 * @param {() => void} onResize called when the box changes size on screen
 */
export function printableMap(box, onResize) {
  let size = { w: box.clientWidth, h: box.clientHeight };
  if (typeof ResizeObserver === 'function') {
    new ResizeObserver(() => {
      if (printing || box.clientWidth === 0) return;
      size = { w: box.clientWidth, h: box.clientHeight };
      onResize();
    }).observe(box);
  }
  printHooks.add((on) => {
    if (on && size.w > 0) {
      box.style.width = `${size.w}px`;
      box.style.height = `${size.h}px`;
      box.style.zoom = String(Math.min(1, PRINT_SIZE.width / size.w));
    } else {
      box.style.removeProperty('width');
      box.style.removeProperty('height');
      box.style.removeProperty('zoom');
    }
  });
}

/** Forgets every chart (on sign-out). */
export function disposeAll() {
  for (const entry of charts.values()) {
    entry.chart.dispose();
    delete entry.box.dataset.ready;
    delete entry.box.dataset.chartEmpty;
  }
  charts.clear();
}

/** Watches the window and the print dialog for the charts' sake. */
export function watchLayout() {
  let queued = false;
  window.addEventListener('resize', () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      resizeAll();
    });
  });
  window.addEventListener('beforeprint', () => setPrinting(true));
  window.addEventListener('afterprint', () => setPrinting(false));
  const media = window.matchMedia ? window.matchMedia('print') : null;
  if (media) media.addEventListener('change', (ev) => setPrinting(ev.matches));
}

// The one catalogue of every string the pages show, in Simplified Chinese
// (the default) and English, with the chosen language kept in localStorage.

import { read, write } from './storage.js';

const STORAGE_KEY = 'wf.lang';

/** Languages offered, with the value of <html lang> for each. */
const LANGS = { zh: 'zh-CN', en: 'en' };

const CATALOGUE = {
  zh: {
    'app.title': 'Watchfloor 应急指挥大屏',
    'app.subtitle': '社区应急指挥中心',
    'lang.toggle': 'English',

    'login.heading': '值班登录',
    'login.username': '用户名',
    'login.password': '密码',
    'login.submit': '登录',
    'login.busy': '正在登录…',
    'login.error.credentials': '用户名或密码错误',
    'login.error.required': '请输入用户名和密码',
    'login.error.rate': '尝试次数过多，请稍后再试',
    'login.error.network': '无法连接服务器，请稍后重试',
    'login.error.other': '登录失败（{status}）',

    'header.user': '当前用户',
    'header.logout': '退出登录',

    'link.connecting': '正在连接…',
    'link.up': '已连接',
    'link.down': '连接中断，正在重连…',
    'link.banner': '实时连接中断，正在重连…屏幕数据可能不是最新的',
    'link.banner.last': '最后更新 {time}',
    'link.banner.never': '尚未收到数据',

    'counters.heading': '各级别未结事件数',
    'level.I': '特别重大',
    'level.II': '重大',
    'level.III': '较大',
    'level.IV': '一般',
    'level.none': '未定级',

    'list.heading': '未结事件',
    'list.total': '共 {n} 起',
    'list.empty': '当前没有未结事件',
    'list.loading': '正在加载实时数据…',

    'incident.drill': '演练 DRILL',
    'incident.noGrid': '—',
    'incident.occurred': '发生',
    'incident.people': '涉及 {n} 人',
    'incident.deaths': '死亡 {n} 人',
    'incident.injuries': '受伤 {n} 人',
    'incident.reasonsSep': '；',

    'status.open': '接警',
    'status.responding': '处置中',
    'status.recovery': '恢复中',
    'status.closed': '已结束',

    'map.title': '态势地图',
    'map.label': '态势地图：网格、重点区域、力量位置和未结事件',
    'map.loading': '正在加载地图…',
    'map.error': '地图数据加载失败，连接恢复后将重试',
    'map.unavailable': '地图组件未能加载',
    'map.units': '力量 {n}',
    'map.approx': '位置为网格中心（近似）',
    'map.zoomIn': '放大',
    'map.zoomOut': '缩小',

    'legend.label': '图例',
    'legend.status': '力量状态',
    'legend.type': '力量类型',
    'legend.incident': '事件级别',
    'legend.area': '区域',
    'legend.pulse': 'I、II 级闪烁',

    'unitType.car': '巡逻车',
    'unitType.motorbike': '铁骑摩托',
    'unitType.foot': '步巡民警',
    'unitType.grid_officer': '网格员',
    'unitType.fire': '消防车',
    'unitType.medical': '急救车',
    'unitType.unknown': '类型未知',

    'unitStatus.available': '待命',
    'unitStatus.dispatched': '已派遣',
    'unitStatus.en_route': '赶赴途中',
    'unitStatus.on_scene': '现场处置',
    'unitStatus.off_duty': '不在岗',
    'unitStatus.unknown': '状态未知',

    'unit.lastFix': '最后定位 {time}',
    'unit.noFix': '暂无定位',
    'unit.sep': ' · ',

    'zoneKind.sensitive': '敏感区域',
    'zoneKind.school': '学校',
    'zoneKind.other': '其他区域',
    'area.grid': '网格边界',

    'activity.heading': '动态',
    'activity.empty': '暂无动态',
    'activity.entered': '{unit} 进入 {where} {place}',
    'activity.left': '{unit} 离开 {where} {place}',
    'activity.where.home_grid': '责任网格',
    'activity.where.sensitive': '敏感区域',
    'activity.where.school': '学校',
    'activity.where.zone': '区域',
  },
  en: {
    'app.title': 'Watchfloor Emergency Command Screen',
    'app.subtitle': 'Community emergency command centre',
    'lang.toggle': '中文',

    'login.heading': 'Duty sign-in',
    'login.username': 'Username',
    'login.password': 'Password',
    'login.submit': 'Sign in',
    'login.busy': 'Signing in…',
    'login.error.credentials': 'Wrong username or password',
    'login.error.required': 'Enter your username and password',
    'login.error.rate': 'Too many attempts; please try again later',
    'login.error.network': 'Cannot reach the server; please try again',
    'login.error.other': 'Sign-in failed ({status})',

    'header.user': 'Signed in as',
    'header.logout': 'Sign out',

    'link.connecting': 'Connecting…',
    'link.up': 'Connected',
    'link.down': 'Link lost, reconnecting…',
    'link.banner': 'Live link lost, reconnecting… the data on screen may be out of date',
    'link.banner.last': 'last update {time}',
    'link.banner.never': 'no data received yet',

    'counters.heading': 'Open incidents by level',
    'level.I': 'Particularly serious',
    'level.II': 'Serious',
    'level.III': 'Relatively serious',
    'level.IV': 'Ordinary',
    'level.none': 'Ungraded',

    'list.heading': 'Open incidents',
    'list.total': '{n} in total',
    'list.empty': 'No open incidents',
    'list.loading': 'Loading live data…',

    'incident.drill': '演练 DRILL',
    'incident.noGrid': '—',
    'incident.occurred': 'Occurred',
    'incident.people': '{n} involved',
    'incident.deaths': '{n} dead',
    'incident.injuries': '{n} injured',
    'incident.reasonsSep': '; ',

    'status.open': 'Reported',
    'status.responding': 'Responding',
    'status.recovery': 'Recovering',
    'status.closed': 'Closed',

    'map.title': 'Situation map',
    'map.label': 'Situation map: grids, key zones, unit positions and open incidents',
    'map.loading': 'Loading the map…',
    'map.error': 'Could not load the map data; will retry when the link is back',
    'map.unavailable': 'The map component could not be loaded',
    'map.units': '{n} units',
    'map.approx': 'Location is the grid centre (approximate)',
    'map.zoomIn': 'Zoom in',
    'map.zoomOut': 'Zoom out',

    'legend.label': 'Legend',
    'legend.status': 'Unit status',
    'legend.type': 'Unit type',
    'legend.incident': 'Incident level',
    'legend.area': 'Areas',
    'legend.pulse': 'I and II pulse',

    'unitType.car': 'Patrol car',
    'unitType.motorbike': 'Motorbike',
    'unitType.foot': 'Officer on foot',
    'unitType.grid_officer': 'Grid officer',
    'unitType.fire': 'Fire engine',
    'unitType.medical': 'Ambulance',
    'unitType.unknown': 'Unknown type',

    'unitStatus.available': 'Available',
    'unitStatus.dispatched': 'Dispatched',
    'unitStatus.en_route': 'En route',
    'unitStatus.on_scene': 'On scene',
    'unitStatus.off_duty': 'Off duty',
    'unitStatus.unknown': 'Unknown status',

    'unit.lastFix': 'Last fix {time}',
    'unit.noFix': 'No fix yet',
    'unit.sep': ' · ',

    'zoneKind.sensitive': 'Sensitive zone',
    'zoneKind.school': 'School',
    'zoneKind.other': 'Other zone',
    'area.grid': 'Grid boundary',

    'activity.heading': 'Activity',
    'activity.empty': 'No activity yet',
    'activity.entered': '{unit} entered {where} {place}',
    'activity.left': '{unit} left {where} {place}',
    'activity.where.home_grid': 'home grid',
    'activity.where.sensitive': 'sensitive zone',
    'activity.where.school': 'school zone',
    'activity.where.zone': 'zone',
  },
};

/** @type {'zh'|'en'} */
let current = normalise(read(STORAGE_KEY)) ?? 'zh';

/** @type {Set<() => void>} */
const listeners = new Set();

/**
 * Maps a stored or requested language tag to 'zh' or 'en'.
 * @param {string|null|undefined} tag
 * @returns {'zh'|'en'|null}
 */
function normalise(tag) {
  if (typeof tag !== 'string') return null;
  const t = tag.trim().toLowerCase();
  if (t.startsWith('zh')) return 'zh';
  if (t.startsWith('en')) return 'en';
  return null;
}

/**
 * Translates a key into the current language, filling {name} placeholders
 * from params. An unknown key falls back to Chinese, then to the key itself.
 * @param {string} key
 * @param {Record<string, string|number>} [params]
 * @returns {string}
 */
export function t(key, params) {
  const text = CATALOGUE[current][key] ?? CATALOGUE.zh[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/**
 * Translates a key like t(), but fills {name} placeholders with DOM nodes
 * (or text) and returns the pieces, the catalogue's own text as text nodes:
 * for sentences whose parts need their own element, such as a name in bold.
 * @param {string} key
 * @param {Record<string, Node|string>} parts
 * @returns {Node[]}
 */
export function tNodes(key, parts) {
  const text = t(key);
  /** @type {Node[]} */
  const out = [];
  const re = /\{(\w+)\}/g;
  let last = 0;
  let m;
  while ((m = re.exec(text)) !== null) {
    if (m.index > last) out.push(document.createTextNode(text.slice(last, m.index)));
    const part = Object.hasOwn(parts, m[1]) ? parts[m[1]] : m[0];
    out.push(typeof part === 'string' ? document.createTextNode(part) : part);
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(document.createTextNode(text.slice(last)));
  return out;
}

/**
 * The current language: 'zh' or 'en'.
 * @returns {'zh'|'en'}
 */
export function lang() {
  return current;
}

/**
 * The BCP 47 tag of the current language, for <html lang> and Intl.
 * @returns {string}
 */
export function locale() {
  return LANGS[current];
}

/**
 * Switches the language, remembers it in localStorage, relabels the page
 * and tells every listener so dynamic content re-renders.
 * @param {string} next 'zh', 'zh-CN' or 'en'
 */
export function setLang(next) {
  const n = normalise(next);
  if (!n) return;
  current = n;
  write(STORAGE_KEY, LANGS[n]);
  applyLabels(document);
  for (const fn of listeners) fn();
}

/** Switches between Chinese and English. */
export function toggleLang() {
  setLang(current === 'zh' ? 'en' : 'zh');
}

/**
 * Calls fn after every language change.
 * @param {() => void} fn
 * @returns {() => void} a function that removes the listener
 */
export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/**
 * Sets the text of every element under root that carries data-i18n="key",
 * the aria-label of those with data-i18n-label="key", and <html lang>.
 * @param {ParentNode} root
 */
export function applyLabels(root) {
  document.documentElement.lang = LANGS[current];
  for (const el of root.querySelectorAll('[data-i18n]')) {
    el.textContent = t(el.getAttribute('data-i18n') ?? '');
  }
  for (const el of root.querySelectorAll('[data-i18n-label]')) {
    el.setAttribute('aria-label', t(el.getAttribute('data-i18n-label') ?? ''));
  }
}

// The warnings panel (预警, issue 20) of the console, also mounted on the
// leader page: the active and recent warnings as cards (area, validity,
// text, the plans on stand-by, history); the form that issues one (type,
// colour, title, text, source, area: the city, streets or communities
// ticked from the grids, or a polygon drawn on a small map by clicking its
// vertices, with undo and clear; validity; drill); and per active warning
// raise, lower, extend and lift with a reason. Each field error the server
// names is shown beside its field. Text is only ever set as text.
//
// Hooks for tests: #warn-form with .fld[data-field] (type, colour, title,
// text, source, area.kind, area.codes, area.polygon, starts_at, ends_at,
// reason) > .field-error; #warn-type, #warn-colour, #warn-title,
// #warn-text, #warn-source, input[name=warn-kind][value=city|streets|
// communities|polygon], #warn-streets / #warn-communities
// input[type=checkbox][value=code], #warn-poly-map[data-points],
// #warn-poly-undo, #warn-poly-clear, #warn-starts, #warn-ends,
// #warn-drill, #warn-reason, #warn-issue, #warn-status[data-result]
// (issued|failed, data-id); #warn-cards > article.warn-card
// [data-warning-id][data-status][data-colour][data-version] with
// button[data-action] (raise|lower|extend|lift), the open action form
// form.warn-act[data-action] (select[name=colour], input[name=ends_at],
// textarea[name=reason], .fld[data-field] > .field-error, .warn-act-send,
// .warn-act-cancel), li.warn-standby[data-plan-id][data-started] with
// button.warn-start when the page starts plans.

import * as api from './api.js';
import { el, show, spaced } from './dom.js';
import { fromZonedInput, setTimeZone, toZonedInput } from './format.js';
import { lang, t } from './i18n.js';
import {
  areaText, colourChip, colourName, colourRank, COLOURS, fetchWarnings, shortTime, standbyText, typeName, WARNING_EVENTS, WARNING_TYPES, WarningBook,
} from './warnings.js';

const RECENT = 20;
const DEFAULT_HOURS = 24;
const KINDS = ['city', 'streets', 'communities', 'polygon'];

/** Server messages the catalogue says in the page's language. */
const MESSAGES = [
  [/^required/, 'warn.err.required'],
  [/outside the city/, 'warn.err.outside'],
  [/must be after starts_at/, 'warn.err.afterStart'],
  [/must be after the current/, 'warn.err.afterEnd'],
  [/ring must be closed/, 'warn.err.closed'],
  [/must be above/, 'warn.err.above'],
  [/must be below/, 'warn.err.below'],
  [/at most 30 days/, 'warn.err.days30'],
  [/^unknown/, 'warn.err.unknown'],
  [/^at most (\d+) characters/, 'console.err.maxChars'],
];

/**
 * A server field message in the page's language; an unknown one as sent.
 * @param {unknown} message
 * @returns {string}
 */
function fieldText(message) {
  const m = String(message ?? '');
  for (const [re, key] of MESSAGES) {
    const hit = m.match(/** @type {RegExp} */ (re));
    if (hit) return t(/** @type {string} */ (key), { n: hit[1] ?? '', detail: m });
  }
  return m;
}

/**
 * A labelled field box: label, control and the line for its error.
 * @param {string} field the API's field name
 * @param {string} key catalogue key of the label
 * @param {HTMLElement} control
 * @returns {HTMLElement}
 */
function fld(field, key, control) {
  const label = el('label', null, t(key));
  label.setAttribute('for', control.id);
  const box = el('div', 'fld', null, [label, control, el('p', 'field-error')]);
  box.dataset.field = field;
  return box;
}

/**
 * An element with an id and properties.
 * @param {string} tag
 * @param {string} id
 * @param {Record<string, any>} [props]
 * @returns {any}
 */
function ctl(tag, id, props = {}) {
  const n = el(tag, 'field');
  n.id = id;
  Object.assign(n, props);
  return n;
}

/**
 * An option.
 * @param {string} value
 * @param {string} text
 * @returns {HTMLOptionElement}
 */
function option(value, text) {
  return /** @type {HTMLOptionElement} */ (Object.assign(el('option', null, text), { value }));
}

/**
 * Shows each field error beside its field under root (or its nearest
 * parent field: area.codes[2] beside area.codes); the rest in the list.
 * @param {HTMLElement} root
 * @param {HTMLElement} rest the list for errors with no field here
 * @param {Array<{field?: string, message?: string}>} errors
 */
function showErrors(root, rest, errors) {
  clearErrors(root, rest);
  /** @type {string[]} */
  const left = [];
  for (const e of errors) {
    let f = String(e.field ?? '');
    /** @type {Element|null} */
    let box = null;
    while (f && !box) {
      box = [...root.querySelectorAll(`.fld[data-field="${CSS.escape(f)}"]`)].find((b) => !(/** @type {HTMLElement} */ (b).closest('[hidden]'))) ?? null;
      const cut = Math.max(f.lastIndexOf('.'), f.lastIndexOf('['));
      f = cut > 0 ? f.slice(0, cut) : '';
    }
    const text = fieldText(e.message);
    const p = box && box.querySelector('.field-error');
    if (!box || !p) {
      left.push(e.field ? `${e.field}: ${text}` : text);
      continue;
    }
    box.classList.add('invalid');
    p.textContent = p.textContent ? `${p.textContent}；${text}` : text;
    const c = box.querySelector('input, select, textarea');
    if (c) c.setAttribute('aria-invalid', 'true');
  }
  rest.replaceChildren(...left.map((s) => el('li', 'form-error-item', s)));
}

/**
 * Removes the field errors under root.
 * @param {HTMLElement} root
 * @param {HTMLElement} rest
 */
function clearErrors(root, rest) {
  for (const b of root.querySelectorAll('.fld.invalid')) b.classList.remove('invalid');
  for (const p of root.querySelectorAll('.field-error')) p.textContent = '';
  for (const c of root.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
  rest.replaceChildren();
}

/**
 * What a failed request says: the field errors beside their fields, or one
 * line.
 * @param {unknown} err
 * @param {HTMLElement} root
 * @param {HTMLElement} rest
 * @returns {string} the status line
 */
function failure(err, root, rest) {
  if (!(err instanceof api.ApiError)) return t('warn.error.network');
  const p = err.problem || {};
  if (Array.isArray(p.errors) && p.errors.length) {
    showErrors(root, rest, p.errors);
    return t('warn.error.invalid', { n: p.errors.length });
  }
  return t('warn.error.refused', { status: err.status, detail: String(p.detail || p.title || '') });
}

/**
 * A fresh idempotency key.
 * @returns {string}
 */
function newKey() {
  if (globalThis.crypto && typeof crypto.randomUUID === 'function') return `warn-${crypto.randomUUID()}`;
  return `warn-${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

/** The polygon drawn by clicking its vertices on a small Leaflet map. */
class PolygonDraw {
  /**
   * @param {HTMLElement} box the map's container
   * @param {() => void} onChange
   */
  constructor(box, onChange) {
    this.box = box;
    this.onChange = onChange;
    /** @type {[number, number][]} vertices as [lon, lat] */
    this.points = [];
    /** @type {any} */
    this.map = null;
    /** @type {any} */
    this.shape = null;
    /** @type {any} */
    this.dots = null;
    box.dataset.points = '0';
  }

  /**
   * Creates the map once its box is shown.
   * @param {any} grids the grids' FeatureCollection, drawn as outlines
   * @param {any} cfg GET /api/v1/config (centre and zoom)
   */
  ensure(grids, cfg) {
    const L = /** @type {any} */ (window).L;
    if (!L || typeof L.map !== 'function') {
      this.box.textContent = t('map.unavailable');
      return;
    }
    if (this.map) {
      this.map.invalidateSize(false);
      return;
    }
    this.map = L.map(this.box, { attributionControl: false, minZoom: 3, maxZoom: 19, doubleClickZoom: false });
    const outlines = grids && Array.isArray(grids.features)
      ? grids.features.filter((/** @type {any} */ f) => f.properties && ['district', 'street', 'community'].includes(f.properties.level)) : [];
    const base = L.geoJSON({ type: 'FeatureCollection', features: outlines }, {
      interactive: false,
      style: (/** @type {any} */ f) => ({ color: f.properties.level === 'community' ? '#6f98bd' : '#c3dcf2', weight: f.properties.level === 'community' ? 1 : 2, fill: false }),
    }).addTo(this.map);
    const c = cfg && cfg.map && Array.isArray(cfg.map.center) ? cfg.map.center : null;
    if (base.getBounds().isValid()) this.map.fitBounds(base.getBounds(), { padding: [8, 8] });
    else if (c) this.map.setView([c[1], c[0]], 14);
    this.dots = L.layerGroup().addTo(this.map);
    this.map.on('click', (/** @type {any} */ ev) => {
      this.points.push([round(ev.latlng.lng), round(ev.latlng.lat)]);
      this.draw();
    });
  }

  /** Removes the last vertex. */
  undo() {
    this.points.pop();
    this.draw();
  }

  /** Removes every vertex. */
  clear() {
    this.points = [];
    this.draw();
  }

  /** Draws the shape as it stands. */
  draw() {
    this.box.dataset.points = String(this.points.length);
    this.onChange();
    if (!this.map) return;
    const L = /** @type {any} */ (window).L;
    if (this.shape) this.shape.remove();
    this.dots.clearLayers();
    const ll = this.points.map(([lon, lat]) => [lat, lon]);
    this.shape = ll.length >= 3 ? L.polygon(ll, { color: '#e53935', weight: 2, dashArray: '6 4', fillOpacity: 0.18 }) : L.polyline(ll, { color: '#e53935', weight: 2 });
    this.shape.addTo(this.map);
    for (const p of ll) L.circleMarker(p, { radius: 4, color: '#fff', weight: 1, fillColor: '#e53935', fillOpacity: 1 }).addTo(this.dots);
  }

  /**
   * The polygon as GeoJSON coordinates, the ring closed, or null.
   * @returns {[number, number][][]|null}
   */
  rings() {
    if (this.points.length === 0) return null;
    return [[...this.points, this.points[0]]];
  }
}

/**
 * A coordinate to six decimals (about 0.1 m).
 * @param {number} v
 * @returns {number}
 */
function round(v) {
  return Math.round(v * 1e6) / 1e6;
}

/**
 * Mounts the warnings panel.
 * @param {HTMLElement} root the panel's element
 * @param {{
 *   tz: () => string,
 *   canEdit: () => boolean,
 *   onEvent: (type: string, fn: (msg: any) => void) => void,
 *   onStart?: (w: any, s: any) => void,
 *   started?: (warningId: string, planId: string) => boolean,
 *   onChange?: (book: WarningBook) => void,
 * }} ctx
 * @returns {{reload: () => Promise<void>, render: () => void, book: WarningBook, reset: () => void}}
 */
export function mountWarnings(root, ctx) {
  const book = new WarningBook();
  /** @type {Map<string, {form: HTMLFormElement, action: string}>} open action forms by warning id */
  const acting = new Map();
  /** @type {any} */
  let grids = null;
  /** @type {any} */
  let cfg = null;
  let key = newKey();
  let busy = false;
  let timesTouched = false;
  /** @type {{key: string, params?: any, text?: string, result?: string, id?: string}|null} */
  let status = null;

  const cards = el('div', 'warn-cards');
  cards.id = 'warn-cards';
  const count = el('span', 'panel-count');
  const empty = el('p', 'list-note', t('warn.list.empty'));
  const listCol = el('section', 'warn-list-col', null, [
    el('h2', 'panel-title', null, spaced([el('span', 'warn-list-heading', t('warn.list.heading')), count])),
    empty,
    cards,
  ]);
  const form = /** @type {HTMLFormElement} */ (el('form', 'warn-form'));
  form.id = 'warn-form';
  form.noValidate = true;
  form.autocomplete = 'off';
  const poly = el('div', 'warn-poly-map');
  poly.id = 'warn-poly-map';
  poly.setAttribute('role', 'application');
  const draw = new PolygonDraw(poly, () => renderPolyNote());
  const formCol = el('section', 'warn-form-col', null, [form]);
  root.replaceChildren(el('div', 'wpanel', null, [listCol, formCol]));

  // The form's controls, built once and relabelled on a language change.
  const type = ctl('select', 'warn-type');
  const colour = ctl('select', 'warn-colour');
  const title = ctl('input', 'warn-title', { type: 'text', maxLength: 200 });
  const text = ctl('textarea', 'warn-text', { rows: 3, maxLength: 4000 });
  const source = ctl('input', 'warn-source', { type: 'text', maxLength: 200 });
  const kinds = el('div', 'warn-kinds');
  const streets = el('div', 'warn-checks');
  streets.id = 'warn-streets';
  const communities = el('div', 'warn-checks');
  communities.id = 'warn-communities';
  const starts = ctl('input', 'warn-starts', { type: 'datetime-local' });
  const ends = ctl('input', 'warn-ends', { type: 'datetime-local' });
  const drill = /** @type {HTMLInputElement} */ (Object.assign(el('input'), { type: 'checkbox', id: 'warn-drill' }));
  const reason = ctl('textarea', 'warn-reason', { rows: 2, maxLength: 2000 });
  const undo = Object.assign(el('button', 'btn btn-ghost'), { type: 'button', id: 'warn-poly-undo' });
  const clear = Object.assign(el('button', 'btn btn-ghost'), { type: 'button', id: 'warn-poly-clear' });
  const polyNote = el('p', 'warn-poly-note');
  const errors = el('ul', 'form-errors');
  errors.setAttribute('role', 'alert');
  const statusLine = el('p', 'form-status');
  statusLine.id = 'warn-status';
  statusLine.setAttribute('role', 'status');
  const submit = Object.assign(el('button', 'btn btn-primary'), { type: 'submit', id: 'warn-issue' });

  /** The form in the current language (values kept). */
  function renderForm() {
    const keep = { type: type.value, colour: colour.value };
    type.replaceChildren(...WARNING_TYPES.map((x) => option(x, typeName(x))));
    colour.replaceChildren(...COLOURS.map((x) => option(x, colourName(x))));
    if (keep.type) type.value = keep.type;
    if (keep.colour) colour.value = keep.colour;
    const kind = currentKind();
    kinds.replaceChildren(...KINDS.map((k) => {
      const r = /** @type {HTMLInputElement} */ (Object.assign(el('input'), { type: 'radio', name: 'warn-kind', value: k, id: `warn-kind-${k}`, checked: k === kind }));
      const l = el('label', 'check', null, [r, el('span', null, ` ${t(`warn.kind.${k}`)}`)]);
      l.setAttribute('for', r.id);
      return l;
    }));
    fillChecks(streets, 'street');
    fillChecks(communities, 'community');
    const legendKind = el('legend', null, t('warn.f.kind'));
    const codesBox = el('div', 'fld warn-codes', null, [el('p', 'warn-codes-label', t('warn.f.codes')), streets, communities, el('p', 'field-error')]);
    codesBox.dataset.field = 'area.codes';
    const polyLabel = el('p', 'warn-poly-label', t('warn.f.polygon'));
    polyLabel.id = 'warn-poly-label';
    poly.setAttribute('aria-labelledby', polyLabel.id);
    undo.textContent = t('warn.poly.undo');
    clear.textContent = t('warn.poly.clear');
    const polyBox = el('div', 'fld warn-poly', null, [polyLabel, poly, el('div', 'warn-poly-tools', null, spaced([undo, clear, polyNote])), el('p', 'field-error')]);
    polyBox.dataset.field = 'area.polygon';
    const kindBox = el('fieldset', 'fld warn-kind', null, [legendKind, kinds, el('p', 'field-error')]);
    kindBox.dataset.field = 'area.kind';
    const drillLabel = el('label', 'check', null, [drill, el('span', null, ` ${t('warn.f.drill')}`)]);
    drillLabel.setAttribute('for', drill.id);
    submit.textContent = t('warn.issue');
    form.replaceChildren(
      el('h2', 'panel-title', t('warn.form.heading')),
      el('div', 'fld-row', null, [fld('type', 'warn.f.type', type), fld('colour', 'warn.f.colour', colour)]),
      fld('title', 'warn.f.title', title),
      fld('text', 'warn.f.text', text),
      fld('source', 'warn.f.source', source),
      kindBox,
      codesBox,
      polyBox,
      el('div', 'fld-row', null, [fld('starts_at', 'warn.f.starts', starts), fld('ends_at', 'warn.f.ends', ends)]),
      el('div', 'fld-row checks', null, [drillLabel]),
      fld('reason', 'warn.f.reason', reason),
      errors,
      statusLine,
      el('div', 'form-buttons', null, [submit]),
    );
    renderKind();
    renderStatus();
    show(formCol, ctx.canEdit());
  }

  /**
   * The checklist of the grids of one level (street or community).
   * @param {HTMLElement} box
   * @param {string} level
   */
  function fillChecks(box, level) {
    const ticked = new Set([...box.querySelectorAll('input:checked')].map((x) => /** @type {HTMLInputElement} */ (x).value));
    const feats = grids && Array.isArray(grids.features) ? grids.features.filter((/** @type {any} */ f) => f.properties && f.properties.level === level) : [];
    box.replaceChildren(...feats.map((/** @type {any} */ f) => {
      const p = f.properties;
      const cb = /** @type {HTMLInputElement} */ (Object.assign(el('input'), { type: 'checkbox', value: String(p.code), id: `warn-code-${p.code}`, checked: ticked.has(String(p.code)) }));
      const name = lang() === 'en' ? p.name_en || p.name : p.name || p.name_en;
      const l = el('label', 'check', null, [cb, el('span', null, ` ${name || p.code}`)]);
      l.setAttribute('for', cb.id);
      return l;
    }));
  }

  /** @returns {string} the area kind chosen */
  function currentKind() {
    const r = /** @type {HTMLInputElement|null} */ (form.querySelector('input[name=warn-kind]:checked'));
    return r ? r.value : 'streets';
  }

  /** Shows the area's controls for the kind chosen. */
  function renderKind() {
    const kind = currentKind();
    const codes = /** @type {HTMLElement} */ (form.querySelector('.warn-codes'));
    const polyBox = /** @type {HTMLElement} */ (form.querySelector('.warn-poly'));
    show(codes, kind === 'streets' || kind === 'communities');
    show(streets, kind === 'streets');
    show(communities, kind === 'communities');
    show(polyBox, kind === 'polygon');
    if (kind === 'polygon') draw.ensure(grids, cfg);
    renderPolyNote();
  }

  /** Says how many vertices the polygon has. */
  function renderPolyNote() {
    polyNote.textContent = t('warn.poly.points', { n: draw.points.length });
  }

  /** Shows the status line in the current language. */
  function renderStatus() {
    statusLine.textContent = status ? (status.key ? t(status.key, status.params) : status.text ?? '') : '';
    statusLine.dataset.result = status && status.result ? status.result : '';
    statusLine.dataset.id = status && status.id ? status.id : '';
  }

  /** Fills the validity with now and a day on. */
  function defaultTimes() {
    const now = new Date();
    starts.value = '';
    ends.value = toZonedInput(new Date(now.getTime() + DEFAULT_HOURS * 3600 * 1000));
  }

  /**
   * The body of POST /api/v1/warnings from the form.
   * @returns {Record<string, any>}
   */
  function body() {
    const kind = currentKind();
    /** @type {Record<string, any>} */
    const area = { kind };
    if (kind === 'streets' || kind === 'communities') {
      area.codes = [...(kind === 'streets' ? streets : communities).querySelectorAll('input:checked')].map((x) => /** @type {HTMLInputElement} */ (x).value);
    } else if (kind === 'polygon') {
      const r = draw.rings();
      if (r) area.polygon = r;
    }
    /** @type {Record<string, any>} */
    const b = { type: type.value, colour: colour.value, title: title.value.trim(), text: text.value.trim(), area, drill: drill.checked };
    if (source.value.trim()) b.source = source.value.trim();
    if (reason.value.trim()) b.reason = reason.value.trim();
    const s = fromZonedInput(starts.value);
    const e = fromZonedInput(ends.value);
    if (s) b.starts_at = s.toISOString();
    b.ends_at = e ? e.toISOString() : ends.value;
    return b;
  }

  /** Issues the warning. */
  async function issue() {
    if (busy) return;
    busy = true;
    submit.disabled = true;
    clearErrors(form, errors);
    status = { key: 'warn.status.sending' };
    renderStatus();
    try {
      const w = await api.request('POST', '/api/v1/warnings', { body: body(), headers: { 'Idempotency-Key': key } });
      key = newKey();
      if (w) book.put(w);
      status = { key: 'warn.status.issued', params: { id: String(w && w.id) }, result: 'issued', id: String(w && w.id) };
      title.value = '';
      text.value = '';
      reason.value = '';
      draw.clear();
      defaultTimes();
      timesTouched = false;
      renderCards();
    } catch (err) {
      status = { key: '', text: failure(err, form, errors), result: 'failed' };
    } finally {
      busy = false;
      submit.disabled = false;
      renderStatus();
    }
  }

  /**
   * Opens the form of one action on a card.
   * @param {any} w
   * @param {string} action raise, lower, extend or lift
   */
  function openAction(w, action) {
    const f = /** @type {HTMLFormElement} */ (el('form', 'warn-act'));
    f.noValidate = true;
    f.dataset.action = action;
    const id = `warn-act-${w.id}`;
    /** @type {HTMLElement[]} */
    const parts = [el('h4', 'warn-act-heading', t(`warn.act.${action}`))];
    if (action === 'raise' || action === 'lower') {
      const sel = ctl('select', `${id}-colour`, { name: 'colour' });
      const r = colourRank(w.colour);
      sel.replaceChildren(...COLOURS.filter((c) => (action === 'raise' ? colourRank(c) > r : colourRank(c) < r)).map((c) => option(c, colourName(c))));
      parts.push(fld('colour', 'warn.f.colour', sel));
    }
    if (action === 'extend') {
      const end = new Date(Date.parse(w.ends_at) + DEFAULT_HOURS * 3600 * 1000);
      parts.push(fld('ends_at', 'warn.f.ends', ctl('input', `${id}-ends`, { name: 'ends_at', type: 'datetime-local', value: Number.isNaN(end.getTime()) ? '' : toZonedInput(end) })));
    }
    parts.push(fld('reason', 'warn.f.actReason', ctl('textarea', `${id}-reason`, { name: 'reason', rows: 2, maxLength: 2000 })));
    const send = Object.assign(el('button', 'btn btn-primary warn-act-send', t('warn.act.send')), { type: 'submit' });
    const cancel = Object.assign(el('button', 'btn btn-ghost warn-act-cancel', t('warn.act.cancel')), { type: 'button' });
    const rest = el('ul', 'form-errors');
    const line = el('p', 'form-status warn-act-status');
    parts.push(rest, line, el('div', 'form-buttons', null, [send, cancel]));
    f.replaceChildren(...parts);
    cancel.addEventListener('click', () => {
      acting.delete(w.id);
      renderCards();
    });
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (send.disabled) return;
      send.disabled = true;
      clearErrors(f, rest);
      line.textContent = '';
      const cur = book.byId.get(w.id) || w;
      /** @type {Record<string, any>} */
      const b = { reason: /** @type {HTMLTextAreaElement} */ (f.elements.namedItem('reason')).value.trim(), version: cur.version };
      const c = /** @type {HTMLSelectElement|null} */ (f.elements.namedItem('colour'));
      if (c) b.colour = c.value;
      const e = /** @type {HTMLInputElement|null} */ (f.elements.namedItem('ends_at'));
      if (e) {
        const d = fromZonedInput(e.value);
        b.ends_at = d ? d.toISOString() : e.value;
      }
      try {
        const nw = await api.request('POST', `/api/v1/warnings/${encodeURIComponent(w.id)}/${action}`, { body: b });
        acting.delete(w.id);
        if (nw) book.put(nw);
        renderCards();
      } catch (err) {
        line.textContent = failure(err, f, rest);
      } finally {
        send.disabled = false;
      }
    });
    acting.set(w.id, { form: f, action });
    renderCards();
    const first = f.querySelector('select, input, textarea');
    if (first instanceof HTMLElement) first.focus();
  }

  /**
   * The plans a warning put on stand-by, each with its start button.
   * @param {any} w
   * @returns {HTMLElement|null}
   */
  function standbyBlock(w) {
    const list = Array.isArray(w.standby) ? w.standby : [];
    if (w.status !== 'active') return null;
    if (!list.length) return el('p', 'warn-muted', t('warn.standby.none'));
    return el('div', 'warn-standby-block', null, [
      el('p', 'warn-label', t('warn.standby.heading')),
      el('ul', 'warn-standby-list', null, list.map((/** @type {any} */ s) => {
        const started = !!(ctx.started && ctx.started(w.id, s.plan_id));
        const li = el('li', 'warn-standby', null, spaced([
          el('span', 'tag warn-standby-tag', t(started ? 'warn.standby.started' : 'warn.standby.tag')),
          el('span', 'warn-standby-text', standbyText(s)),
          ctx.onStart && !started ? Object.assign(el('button', 'btn btn-primary warn-start', t('warn.standby.start')), { type: 'button' }) : null,
        ]));
        li.dataset.planId = String(s.plan_id);
        li.dataset.started = started ? '1' : '0';
        const btn = li.querySelector('button.warn-start');
        if (btn && ctx.onStart) btn.addEventListener('click', () => ctx.onStart && ctx.onStart(w, s));
        return li;
      })),
    ]);
  }

  /**
   * A time in the configured zone.
   * @param {unknown} s
   * @returns {string}
   */
  function when(s) {
    return shortTime(s);
  }

  /**
   * One warning's card.
   * @param {any} w
   * @returns {HTMLElement}
   */
  function card(w) {
    const active = w.status === 'active';
    const steps = Array.isArray(w.history) ? w.history : [];
    const open = acting.get(w.id);
    const buttons = active && ctx.canEdit() && !open ? el('div', 'warn-actions', null, ['raise', 'lower', 'extend', 'lift'].map((a) => {
      const b = Object.assign(el('button', `btn btn-ghost warn-act-${a}`, t(`warn.act.${a}`)), { type: 'button' });
      b.dataset.action = a;
      b.disabled = (a === 'raise' && w.colour === 'red') || (a === 'lower' && w.colour === 'blue');
      b.addEventListener('click', () => openAction(w, a));
      return b;
    })) : null;
    const c = el('article', `warn-card warn-${w.colour} status-${w.status}`, null, [
      el('header', 'warn-card-head', null, spaced([
        colourChip(w.colour),
        el('span', 'warn-type', typeName(w.type)),
        el('strong', 'warn-title', String(w.title ?? '')),
        el('span', `tag warn-status warn-status-${w.status}`, t(`warn.status.${w.status}`)),
        w.drill === true ? el('span', 'tag drill-tag', t('incident.drill')) : null,
      ])),
      el('p', 'warn-meta', null, spaced([
        el('span', 'warn-id', String(w.id)),
        el('span', 'warn-area', areaText(w)),
        el('span', 'warn-valid', t('warn.valid', { from: when(w.starts_at), to: when(w.ends_at) })),
        w.source ? el('span', 'warn-source', String(w.source)) : null,
      ])),
      w.text ? el('p', 'warn-text', String(w.text)) : null,
      standbyBlock(w),
      steps.length ? el('details', 'warn-history', null, [
        el('summary', null, t('warn.history', { n: steps.length })),
        el('ol', 'warn-steps', null, steps.map((/** @type {any} */ s) => el('li', 'warn-step', null, spaced([
          el('span', 'warn-step-time', when(s.at)),
          el('span', 'warn-step-action', t(`warn.step.${s.action}`)),
          s.from || s.to ? el('span', 'warn-step-change', `${stepValue(s.action, s.from)} → ${stepValue(s.action, s.to)}`) : null,
          el('span', 'warn-step-by', String(s.by ?? '')),
          s.reason ? el('span', 'warn-step-reason', String(s.reason)) : null,
        ])))),
      ]) : null,
      buttons,
      open ? open.form : null,
    ].filter(Boolean));
    c.dataset.warningId = String(w.id);
    c.dataset.status = String(w.status);
    c.dataset.colour = String(w.colour);
    c.dataset.version = String(w.version);
    return c;
  }

  /**
   * A step's from/to in words: a colour's name, or an end time.
   * @param {string} action
   * @param {unknown} v
   * @returns {string}
   */
  function stepValue(action, v) {
    return action === 'extended' ? when(v) : colourName(v);
  }

  /** The cards: active ones, then the most recent ended ones. */
  function renderCards() {
    const active = book.active();
    const ended = book.all().filter((w) => w.status !== 'active').slice(0, RECENT);
    const list = [...active, ...ended];
    const focused = document.activeElement;
    cards.replaceChildren(...list.map(card));
    if (focused instanceof HTMLElement && focused.isConnected && root.contains(focused)) focused.focus();
    count.textContent = t('warn.list.count', { n: active.length });
    show(empty, list.length === 0);
    for (const id of [...acting.keys()]) if (!active.some((w) => w.id === id)) acting.delete(id);
    if (ctx.onChange) ctx.onChange(book);
  }

  /** Loads the grids, the configuration and the warnings. */
  async function reload() {
    const [g, c, act, ended] = await Promise.allSettled([grids ? Promise.resolve(grids) : api.grids(), cfg ? Promise.resolve(cfg) : api.config(), fetchWarnings('active'), fetchWarnings('ended', RECENT)]);
    if (g.status === 'fulfilled' && g.value && !grids) {
      grids = g.value;
      fillChecks(streets, 'street');
      fillChecks(communities, 'community');
    }
    if (c.status === 'fulfilled' && c.value) {
      const fresh = !cfg;
      cfg = c.value;
      setTimeZone(cfg.timezone);
      // The default end was written before the zone was known.
      if (fresh && !timesTouched) defaultTimes();
    }
    if (act.status === 'fulfilled') book.replaceActive(act.value);
    if (ended.status === 'fulfilled') for (const w of ended.value) book.put(w);
    show(formCol, ctx.canEdit()); // the role is known once signed in
    renderCards();
  }

  for (const type of WARNING_EVENTS) {
    ctx.onEvent(type, (msg) => {
      if (book.put(msg && msg.data)) renderCards();
    });
  }
  form.addEventListener('change', (ev) => {
    if (ev.target instanceof HTMLInputElement && ev.target.name === 'warn-kind') renderKind();
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    issue();
  });
  for (const x of [starts, ends]) x.addEventListener('input', () => { timesTouched = true; });
  undo.addEventListener('click', () => draw.undo());
  clear.addEventListener('click', () => draw.clear());
  defaultTimes();
  renderForm();
  renderCards();

  return {
    reload,
    book,
    render() {
      renderForm();
      for (const [id, o] of acting) {
        const w = book.byId.get(id);
        if (w) openAction(w, o.action); // rebuilt in the new language (typed text is lost)
      }
      renderCards();
    },
    reset() {
      book.reset();
      acting.clear();
      status = null;
      renderCards();
      renderStatus();
    },
  };
}

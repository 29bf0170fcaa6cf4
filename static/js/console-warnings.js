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
// .warn-act-cancel), details#warn-fold around #warn-form where folded
// (leader page), li.warn-standby[data-plan-id][data-started] with
// button.warn-start when the page starts plans.

import * as api from './api.js';
import { el, show, spaced, replaceLive } from './dom.js';
import { fromZonedInput, setTimeZone, toZonedInput } from './format.js';
import { lang, t, translate } from './i18n.js';
import {
  areaText, colourChip, colourName, colourRank, COLOURS, fetchWarnings, shortTime, standbyText, typeName, WARNING_EVENTS, WARNING_TYPES, WarningBook,
} from './warnings.js';
import { serverNow } from './clock.js';

const RECENT = 20;
const DEFAULT_HOURS = 24;
const KINDS = ['city', 'streets', 'communities', 'polygon'];

/**
 * Server field messages the catalogue says in the page's language: each a
 * pattern, its key and the key's parameters from the match.
 * @type {Array<[RegExp, string, (m: RegExpMatchArray) => Record<string, any>]>}
 */
const MESSAGES = [
  [/^ring (\d+): (.*)$/, 'warn.err.ring', (m) => ({ n: Number(m[1]) + 1, detail: fieldText(m[2]) })],
  [/^required/, 'warn.err.required', () => ({})],
  [/^must be an RFC 3339 time/, 'warn.err.time', () => ({})],
  [/^must be in the future/, 'warn.err.future', () => ({})],
  [/^at most 7 days ahead/, 'warn.err.days7', () => ({})],
  [/^at most 1 day in the past/, 'warn.err.day1', () => ({})],
  [/^must be after starts_at/, 'warn.err.afterStart', () => ({})],
  [/^must be after the current/, 'warn.err.afterEnd', () => ({})],
  [/at most 30 days/, 'warn.err.days30', () => ({})],
  [/^ring must be closed/, 'warn.err.closed', () => ({})],
  [/^must be above/, 'warn.err.above', () => ({})],
  [/^must be below/, 'warn.err.below', () => ({})],
  [/^a city-wide warning/, 'warn.err.cityWide', () => ({})],
  [/^only for kind polygon/, 'warn.err.onlyPolygon', () => ({})],
  [/^only for kind/, 'warn.err.onlyCodes', () => ({})],
  [/^unknown[^"]*"([^"]*)"/, 'warn.err.unknown', (m) => ({ detail: m[1] })],
  [/^at most (\d+) characters/, 'console.err.maxChars', (m) => ({ n: m[1] })],
  [/^at most (\d+) codes, not (\d+)/, 'warn.err.maxCodes', (m) => ({ n: m[1], m: m[2] })],
  [/^at most (\d+) points in all, not (\d+)/, 'warn.err.maxPoints', (m) => ({ n: m[1], m: m[2] })],
  [/^at most one outer ring and (\d+) holes, not (\d+)/, 'warn.err.rings', (m) => ({ n: m[1], m: m[2] })],
  [/^a ring needs at least 4 points \(closed\), not (\d+)/, 'warn.err.ringPoints', (m) => ({ n: Math.max(0, Number(m[1]) - 1) })],
  [/^point (\d+) must be \[lon, lat\]/, 'warn.err.pointShape', (m) => ({ n: Number(m[1]) + 1 })],
  [/^point (\d+) is not a valid lon\/lat/, 'warn.err.pointInvalid', (m) => ({ n: Number(m[1]) + 1 })],
  [/^point (\d+) .*outside the city/, 'warn.err.pointOutside', (m) => ({ n: Number(m[1]) + 1 })],
  [/outside the city/, 'warn.err.outside', () => ({})],
  [/^"([^"]*)" is not a grid code/, 'warn.err.notGrid', (m) => ({ code: m[1] })],
  [/^"([^"]*)" is a \w+, not a/, 'warn.err.wrongLevel', (m) => ({ code: m[1] })],
  [/^"([^"]*)" is named twice/, 'warn.err.twice', (m) => ({ code: m[1] })],
  [/control characters/, 'warn.err.control', () => ({})],
  [/already used for a different request/, 'warn.refused.key', () => ({})],
];

/** Server refusals (409, 403) the catalogue says, by their detail. */
const REFUSALS = /** @type {Array<[RegExp, string, (m: RegExpMatchArray) => Record<string, any>]>} */ ([
  [/^warning (\S+) was lifted at (.+)$/, 'warn.conflict.lifted', (m) => ({ id: m[1], at: m[2] })],
  [/^warning (\S+) was expired at (.+)$/, 'warn.conflict.expired', (m) => ({ id: m[1], at: m[2] })],
  [/^warning (\S+) ended at (.+)$/, 'warn.conflict.ended', (m) => ({ id: m[1], at: m[2] })],
  [/warning (\S+) changed meanwhile/, 'warn.conflict.changed', (m) => ({ id: m[1] })],
  [/lies beyond your area/, 'warn.refused.area', () => ({})],
  [/already used for a different request/, 'warn.refused.key', () => ({})],
]);

/** The label of each field the server names. */
const FIELD_LABELS = /** @type {Record<string, string>} */ ({
  type: 'warn.f.type',
  colour: 'warn.f.colour',
  title: 'warn.f.title',
  text: 'warn.f.text',
  source: 'warn.f.source',
  area: 'warn.f.area',
  'area.kind': 'warn.f.kind',
  'area.codes': 'warn.f.codes',
  'area.polygon': 'warn.f.polygon',
  starts_at: 'warn.f.starts',
  ends_at: 'warn.f.ends',
  drill: 'warn.f.drill',
  reason: 'warn.f.actReason',
  version: 'warn.f.version',
  'Idempotency-Key': 'warn.f.request',
});

/**
 * A server field message in the page's language (each of its "; "-joined
 * reasons); an unknown one as sent.
 * @param {unknown} message
 * @returns {string}
 */
function fieldText(message) {
  return String(message ?? '').split('; ').map((m) => translate(m, MESSAGES) ?? m).join(t('warn.sep.reasons'));
}

/**
 * A field the server names, by its label (area.codes[2] as area.codes's).
 * @param {string} field
 * @returns {string}
 */
function fieldName(field) {
  for (let f = field; f; f = f.slice(0, Math.max(0, Math.max(f.lastIndexOf('.'), f.lastIndexOf('['))))) {
    if (FIELD_LABELS[f]) return t(FIELD_LABELS[f]);
  }
  return field;
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
  const box = el('div', 'fld', null, [label, control, errorLine(control)]);
  box.dataset.field = field;
  return box;
}

/**
 * The line for a field's error, read out with the control it belongs to.
 * @param {HTMLElement} control (with an id)
 * @returns {HTMLElement}
 */
function errorLine(control) {
  const p = el('p', 'field-error');
  p.id = `${control.id}-error`;
  control.setAttribute('aria-describedby', p.id);
  return p;
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
      left.push(e.field ? `${fieldName(String(e.field))}${t('warn.sep.field')}${text}` : text);
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
  const detail = String(p.detail || p.title || '');
  return translate(detail, REFUSALS) ?? t('warn.error.refused', { status: err.status, detail });
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
 * @typedef {{
 *   canEdit: () => boolean,
 *   onEvent: (type: string, fn: (msg: any) => void) => void,
 *   onStart?: (w: any, s: any) => void,
 *   started?: (warningId: string, planId: string) => boolean,
 *   onChange?: (book: WarningBook) => void,
 *   foldForm?: boolean,
 * }} PanelContext
 */

/**
 * A radio or checkbox with its label.
 * @param {string} type radio or checkbox
 * @param {string} id
 * @param {Record<string, any>} props name, value, checked
 * @param {string} text
 * @returns {HTMLElement}
 */
function choice(type, id, props, text) {
  const input = Object.assign(el('input'), { type, id, ...props });
  const label = el('label', 'check', null, [input, el('span', null, ` ${text}`)]);
  label.setAttribute('for', id);
  return label;
}

/** The form that issues a warning. */
class IssueForm {
  /**
   * @param {WarningsPanel} panel
   */
  constructor(panel) {
    this.panel = panel;
    this.form = /** @type {HTMLFormElement} */ (el('form', 'warn-form'));
    this.form.id = 'warn-form';
    this.form.noValidate = true;
    this.form.autocomplete = 'off';
    this.key = api.idempotencyKey('warn');
    /**
     * The bodies sent under this.key whose answer was lost: one of them
     * may have been issued. Sending one again under the key issues
     * nothing (the server answers the first warning), so the form can
     * learn what was issued when an edited body is refused on the key.
     * @type {Record<string, any>[]}
     */
    this.sent = [];
    this.busy = false;
    this.timesTouched = false;
    /** @type {{key: string, params?: any, text?: string, result?: string, id?: string}|null} */
    this.status = null;
    this.type = ctl('select', 'warn-type');
    this.colour = ctl('select', 'warn-colour');
    this.title = ctl('input', 'warn-title', { type: 'text', maxLength: 200 });
    this.text = ctl('textarea', 'warn-text', { rows: 3, maxLength: 4000 });
    this.source = ctl('input', 'warn-source', { type: 'text', maxLength: 200 });
    this.kinds = el('div', 'warn-kinds');
    this.streets = Object.assign(el('div', 'warn-checks'), { id: 'warn-streets' });
    this.communities = Object.assign(el('div', 'warn-checks'), { id: 'warn-communities' });
    this.starts = ctl('input', 'warn-starts', { type: 'datetime-local' });
    this.ends = ctl('input', 'warn-ends', { type: 'datetime-local' });
    this.drill = /** @type {HTMLInputElement} */ (Object.assign(el('input'), { type: 'checkbox', id: 'warn-drill' }));
    this.reason = ctl('textarea', 'warn-reason', { rows: 2, maxLength: 2000 });
    this.undo = Object.assign(el('button', 'btn btn-ghost'), { type: 'button', id: 'warn-poly-undo' });
    this.clear = Object.assign(el('button', 'btn btn-ghost'), { type: 'button', id: 'warn-poly-clear' });
    this.polyNote = el('p', 'warn-poly-note');
    this.poly = Object.assign(el('div', 'warn-poly-map'), { id: 'warn-poly-map' });
    this.poly.setAttribute('role', 'application');
    this.draw = new PolygonDraw(this.poly, () => this.renderPolyNote());
    this.errors = el('ul', 'form-errors');
    this.errors.setAttribute('role', 'alert');
    this.statusLine = Object.assign(el('p', 'form-status'), { id: 'warn-status' });
    this.statusLine.setAttribute('role', 'status');
    this.submit = Object.assign(el('button', 'btn btn-primary'), { type: 'submit', id: 'warn-issue' });
    this.wire();
    this.defaultTimes();
  }

  /** Listens to the form's controls. */
  wire() {
    this.form.addEventListener('change', (ev) => {
      if (ev.target instanceof HTMLInputElement && ev.target.name === 'warn-kind') this.renderKind();
    });
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.issue();
    });
    for (const x of [this.starts, this.ends]) x.addEventListener('input', () => { this.timesTouched = true; });
    this.undo.addEventListener('click', () => this.draw.undo());
    this.clear.addEventListener('click', () => this.draw.clear());
  }

  /** Builds the form in the current language (values kept). */
  render() {
    const keep = { type: this.type.value, colour: this.colour.value };
    this.type.replaceChildren(...WARNING_TYPES.map((x) => option(x, typeName(x))));
    this.colour.replaceChildren(...COLOURS.map((x) => option(x, colourName(x))));
    if (keep.type) this.type.value = keep.type;
    if (keep.colour) this.colour.value = keep.colour;
    const kind = this.kind();
    this.kinds.replaceChildren(...KINDS.map((k) => choice('radio', `warn-kind-${k}`, { name: 'warn-kind', value: k, checked: k === kind }, t(`warn.kind.${k}`))));
    this.fillChecks();
    const drill = el('label', 'check', null, [this.drill, el('span', null, ` ${t('warn.f.drill')}`)]);
    drill.setAttribute('for', this.drill.id);
    this.submit.textContent = t('warn.issue');
    this.form.replaceChildren(
      el('h2', 'panel-title', t('warn.form.heading')),
      el('div', 'fld-row', null, [fld('type', 'warn.f.type', this.type), fld('colour', 'warn.f.colour', this.colour)]),
      fld('title', 'warn.f.title', this.title),
      fld('text', 'warn.f.text', this.text),
      fld('source', 'warn.f.source', this.source),
      ...this.areaBoxes(),
      el('div', 'fld-row', null, [fld('starts_at', 'warn.f.starts', this.starts), fld('ends_at', 'warn.f.ends', this.ends)]),
      el('div', 'fld-row checks', null, [drill]),
      fld('reason', 'warn.f.reason', this.reason),
      this.errors,
      this.statusLine,
      el('div', 'form-buttons', null, [this.submit]),
    );
    this.renderKind();
    this.renderStatus();
  }

  /**
   * The area's boxes: its kind, the grids' checklists, the polygon's map.
   * @returns {HTMLElement[]}
   */
  areaBoxes() {
    const kindBox = el('fieldset', 'fld warn-kind', null, [el('legend', null, t('warn.f.kind')), this.kinds]);
    kindBox.id = 'warn-kind-set';
    kindBox.append(errorLine(kindBox));
    kindBox.dataset.field = 'area.kind';
    const codesBox = el('fieldset', 'fld warn-codes', null, [el('legend', 'warn-codes-label', t('warn.f.codes')), this.streets, this.communities]);
    codesBox.id = 'warn-codes-set';
    codesBox.append(errorLine(codesBox));
    codesBox.dataset.field = 'area.codes';
    const polyLabel = Object.assign(el('p', 'warn-poly-label', t('warn.f.polygon')), { id: 'warn-poly-label' });
    this.poly.setAttribute('aria-labelledby', polyLabel.id);
    this.undo.textContent = t('warn.poly.undo');
    this.clear.textContent = t('warn.poly.clear');
    const polyBox = el('div', 'fld warn-poly', null, [polyLabel, this.poly, el('div', 'warn-poly-tools', null, spaced([this.undo, this.clear, this.polyNote])), errorLine(this.poly)]);
    polyBox.dataset.field = 'area.polygon';
    return [kindBox, codesBox, polyBox];
  }

  /** Fills the streets' and the communities' checklists from the grids. */
  fillChecks() {
    for (const [box, level] of /** @type {[HTMLElement, string][]} */ ([[this.streets, 'street'], [this.communities, 'community']])) {
      const ticked = new Set([...box.querySelectorAll('input:checked')].map((x) => /** @type {HTMLInputElement} */ (x).value));
      const grids = this.panel.grids;
      const feats = grids && Array.isArray(grids.features) ? grids.features.filter((/** @type {any} */ f) => f.properties && f.properties.level === level) : [];
      box.replaceChildren(...feats.map((/** @type {any} */ f) => {
        const p = f.properties;
        const name = lang() === 'en' ? p.name_en || p.name : p.name || p.name_en;
        return choice('checkbox', `warn-code-${p.code}`, { value: String(p.code), checked: ticked.has(String(p.code)) }, name || p.code);
      }));
    }
  }

  /** @returns {string} the area kind chosen */
  kind() {
    const r = /** @type {HTMLInputElement|null} */ (this.form.querySelector('input[name=warn-kind]:checked'));
    return r ? r.value : 'streets';
  }

  /** Shows the area's controls for the kind chosen. */
  renderKind() {
    const kind = this.kind();
    show(/** @type {HTMLElement} */ (this.form.querySelector('.warn-codes')), kind === 'streets' || kind === 'communities');
    show(this.streets, kind === 'streets');
    show(this.communities, kind === 'communities');
    show(/** @type {HTMLElement} */ (this.form.querySelector('.warn-poly')), kind === 'polygon');
    if (kind === 'polygon') this.draw.ensure(this.panel.grids, this.panel.cfg);
    this.renderPolyNote();
  }

  /** Says how many corners the polygon has. */
  renderPolyNote() {
    this.polyNote.textContent = t('warn.poly.points', { n: this.draw.points.length });
  }

  /** Shows the status line in the current language. */
  renderStatus() {
    const s = this.status;
    this.statusLine.textContent = s ? (s.key ? t(s.key, s.params) : s.text ?? '') : '';
    this.statusLine.dataset.result = s && s.result ? s.result : '';
    this.statusLine.dataset.id = s && s.id ? s.id : '';
  }

  /** Fills the validity with now and a day on (in the configured zone). */
  defaultTimes() {
    this.starts.value = '';
    this.ends.value = toZonedInput(new Date(serverNow() + DEFAULT_HOURS * 3600 * 1000));
    this.timesTouched = false;
  }

  /**
   * The area of POST /api/v1/warnings from the form.
   * @returns {Record<string, any>}
   */
  area() {
    const kind = this.kind();
    /** @type {Record<string, any>} */
    const area = { kind };
    if (kind === 'streets' || kind === 'communities') {
      area.codes = [...(kind === 'streets' ? this.streets : this.communities).querySelectorAll('input:checked')].map((x) => /** @type {HTMLInputElement} */ (x).value);
    } else if (kind === 'polygon') {
      const r = this.draw.rings();
      if (r) area.polygon = r;
    }
    return area;
  }

  /**
   * The body of POST /api/v1/warnings from the form.
   * @returns {Record<string, any>}
   */
  body() {
    /** @type {Record<string, any>} */
    const b = { type: this.type.value, colour: this.colour.value, title: this.title.value.trim(), text: this.text.value.trim(), area: this.area(), drill: this.drill.checked };
    if (this.source.value.trim()) b.source = this.source.value.trim();
    if (this.reason.value.trim()) b.reason = this.reason.value.trim();
    const s = fromZonedInput(this.starts.value);
    const e = fromZonedInput(this.ends.value);
    if (s) b.starts_at = s.toISOString();
    b.ends_at = e ? e.toISOString() : this.ends.value;
    return b;
  }

  /** Issues the warning; the form is emptied once it is. */
  async issue() {
    if (this.busy) return;
    this.busy = true;
    this.submit.disabled = true;
    clearErrors(this.form, this.errors);
    this.status = { key: 'warn.status.sending' };
    this.renderStatus();
    const body = this.body();
    try {
      this.sent.push(body);
      const w = await api.request('POST', '/api/v1/warnings', { body, headers: { 'Idempotency-Key': this.key } });
      this.key = api.idempotencyKey('warn');
      this.sent = [];
      this.panel.put(w);
      const id = String(w && w.id);
      this.status = { key: 'warn.status.issued', params: { id }, result: 'issued', id };
      for (const x of [this.title, this.text, this.reason]) x.value = '';
      this.draw.clear();
      this.defaultTimes();
    } catch (err) {
      const first = keyUsed(err) ? await this.issuedEarlier() : null;
      if (first) {
        // An earlier press (its answer lost) issued the warning as it
        // was then; the edit since was not issued. Say which one, keep
        // the edited form, and take a new key: only a deliberate press
        // now issues the edit, as another warning.
        clearErrors(this.form, this.errors);
        this.key = api.idempotencyKey('warn');
        this.sent = [];
        this.panel.put(first);
        const id = String(first.id);
        this.status = { key: 'warn.status.issuedEarlier', params: { id, colour: colourName(first.colour), title: String(first.title ?? '') }, result: 'issued-earlier', id };
      } else {
        this.status = { key: '', text: failure(err, this.form, this.errors), result: 'failed' };
      }
    } finally {
      this.busy = false;
      this.submit.disabled = false;
      this.renderStatus();
    }
  }

  /**
   * The warning an earlier press issued under this.key, learnt by sending
   * the bodies sent before again under it (the server answers the first
   * warning and issues nothing: the key is stored); null when none answers.
   * @returns {Promise<any>}
   */
  async issuedEarlier() {
    for (const body of this.sent.slice(0, -1)) {
      try {
        return await api.request('POST', '/api/v1/warnings', { body, headers: { 'Idempotency-Key': this.key } });
      } catch {
        // another body of the key's, or still no answer: try the next
      }
    }
    return null;
  }
}

/**
 * Whether err is the server's refusal of an Idempotency-Key already used
 * for another body: an earlier press under the key was stored.
 * @param {unknown} err
 * @returns {boolean}
 */
function keyUsed(err) {
  if (!(err instanceof api.ApiError) || err.status !== 400) return false;
  const p = /** @type {any} */ (err).problem || {};
  return Array.isArray(p.errors) && p.errors.some((/** @type {any} */ e) => e.field === 'Idempotency-Key' && /already used for a different request/.test(String(e.message)));
}

/**
 * The form of one action (raise, lower, extend, lift) on a warning's card.
 * @param {WarningsPanel} panel
 * @param {any} w
 * @param {string} action
 * @returns {HTMLFormElement}
 */
function actionForm(panel, w, action) {
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
  line.setAttribute('role', 'status');
  f.replaceChildren(...parts, rest, line, el('div', 'form-buttons', null, [send, cancel]));
  cancel.addEventListener('click', () => panel.closeAction(w.id));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (send.disabled) return;
    send.disabled = true;
    clearErrors(f, rest);
    line.textContent = '';
    try {
      const nw = await api.request('POST', `/api/v1/warnings/${encodeURIComponent(w.id)}/${action}`, { body: actionBody(f, panel.book.byId.get(w.id) || w) });
      panel.put(nw);
      panel.closeAction(w.id);
    } catch (err) {
      line.textContent = failure(err, f, rest);
    } finally {
      send.disabled = false;
    }
  });
  return f;
}

/**
 * The body of an action from its form, guarded by the version shown.
 * @param {HTMLFormElement} f
 * @param {any} w
 * @returns {Record<string, any>}
 */
function actionBody(f, w) {
  /** @type {Record<string, any>} */
  const b = { reason: /** @type {HTMLTextAreaElement} */ (f.elements.namedItem('reason')).value.trim(), version: w.version };
  const c = /** @type {HTMLSelectElement|null} */ (f.elements.namedItem('colour'));
  if (c) b.colour = c.value;
  const e = /** @type {HTMLInputElement|null} */ (f.elements.namedItem('ends_at'));
  if (e) {
    const d = fromZonedInput(e.value);
    b.ends_at = d ? d.toISOString() : e.value;
  }
  return b;
}

/**
 * A warning's history, folded.
 * @param {any} w
 * @returns {HTMLElement|null}
 */
function historyBlock(w) {
  const steps = Array.isArray(w.history) ? w.history : [];
  if (!steps.length) return null;
  const value = (/** @type {string} */ action, /** @type {unknown} */ v) => (action === 'extended' ? shortTime(v) : colourName(v));
  return el('details', 'warn-history', null, [
    el('summary', null, t('warn.history', { n: steps.length })),
    el('ol', 'warn-steps', null, steps.map((/** @type {any} */ s) => el('li', 'warn-step', null, spaced([
      el('span', 'warn-step-time', shortTime(s.at)),
      el('span', 'warn-step-action', t(`warn.step.${s.action}`)),
      s.from || s.to ? el('span', 'warn-step-change', `${value(s.action, s.from)} → ${value(s.action, s.to)}`) : null,
      el('span', 'warn-step-by', String(s.by ?? '')),
      s.reason ? el('span', 'warn-step-reason', String(s.reason)) : null,
    ])))),
  ]);
}

/** The warnings panel: the cards and the issue form. */
class WarningsPanel {
  /**
   * @param {HTMLElement} root
   * @param {PanelContext} ctx
   */
  constructor(root, ctx) {
    this.ctx = ctx;
    this.book = new WarningBook();
    /** bumped by reset: an answer asked for before is dropped */
    this.generation = 0;
    /** @type {Map<string, {form: HTMLFormElement, action: string}>} open action forms by warning id */
    this.acting = new Map();
    /** @type {any} */
    this.grids = null;
    /** @type {any} */
    this.cfg = null;
    this.cards = Object.assign(el('div', 'warn-cards'), { id: 'warn-cards' });
    this.count = el('span', 'panel-count');
    this.heading = el('span', 'warn-list-heading');
    this.empty = el('p', 'list-note');
    this.issue = new IssueForm(this);
    /** @type {HTMLElement|null} the summary of the folded form (leader page) */
    this.foldSummary = null;
    this.formCol = el('section', 'warn-form-col', null, [this.foldForm()]);
    root.replaceChildren(el('div', 'wpanel', null, [
      el('section', 'warn-list-col', null, [el('h2', 'panel-title', null, spaced([this.heading, this.count])), this.empty, this.cards]),
      this.formCol,
    ]));
    for (const type of WARNING_EVENTS) ctx.onEvent(type, (msg) => this.put(msg && msg.data));
    this.render();
  }

  /**
   * The issue form, folded in a <details> closed at first where the page
   * asks (the leader page, whose approvals need the room).
   * @returns {HTMLElement}
   */
  foldForm() {
    if (!this.ctx.foldForm) return this.issue.form;
    this.foldSummary = el('summary', 'warn-fold-summary');
    const d = el('details', 'warn-fold', null, [this.foldSummary, this.issue.form]);
    d.id = 'warn-fold';
    d.addEventListener('toggle', () => {
      if (/** @type {HTMLDetailsElement} */ (d).open) this.issue.renderKind(); // the polygon's map is sized once shown
    });
    return d;
  }

  /**
   * Takes a warning from an answer or an event and shows it.
   * @param {any} w
   */
  put(w) {
    if (this.book.put(w)) this.renderCards();
  }

  /** Loads the grids and the configuration once, and the warnings. */
  async reload() {
    const gen = this.generation;
    const mark = this.book.mark();
    const [g, c, act, ended] = await Promise.allSettled([this.grids ?? api.grids(), this.cfg ?? api.config(), fetchWarnings('active'), fetchWarnings('ended', RECENT)]);
    if (gen !== this.generation) return; // signed out (or reset) meanwhile
    if (g.status === 'fulfilled' && g.value && !this.grids) {
      this.grids = g.value;
      this.issue.fillChecks();
    }
    if (c.status === 'fulfilled' && c.value && c.value !== this.cfg) {
      const fresh = !this.cfg;
      this.cfg = c.value;
      setTimeZone(this.cfg.timezone);
      if (fresh && !this.issue.timesTouched) this.issue.defaultTimes(); // written before the zone was known
    }
    if (act.status === 'fulfilled') this.book.replaceActive(act.value, mark);
    if (ended.status === 'fulfilled') for (const w of ended.value) this.book.put(w);
    show(this.formCol, this.ctx.canEdit()); // the role is known once signed in
    this.renderCards();
  }

  /** Renders everything in the current language (open action forms are rebuilt empty). */
  render() {
    this.heading.textContent = t('warn.list.heading');
    this.empty.textContent = t('warn.list.empty');
    this.issue.render();
    if (this.foldSummary) this.foldSummary.textContent = t('warn.form.fold');
    show(this.formCol, this.ctx.canEdit());
    for (const [id, o] of this.acting) {
      const w = this.book.byId.get(id);
      if (w) this.acting.set(id, { form: actionForm(this, w, o.action), action: o.action });
    }
    this.renderCards();
  }

  /** Forgets everything (sign-out). */
  reset() {
    this.generation += 1;
    this.book.reset();
    this.acting.clear();
    this.issue.status = null;
    this.issue.renderStatus();
    this.renderCards();
  }

  /**
   * Opens the form of one action on a card.
   * @param {any} w
   * @param {string} action
   */
  openAction(w, action) {
    const form = actionForm(this, w, action);
    this.acting.set(w.id, { form, action });
    this.renderCards();
    const first = form.querySelector('select, input, textarea');
    if (first instanceof HTMLElement) first.focus();
  }

  /**
   * Closes a card's action form.
   * @param {string} id
   */
  closeAction(id) {
    this.acting.delete(id);
    this.renderCards();
  }

  /**
   * The plans a warning put on stand-by, each with its start button where
   * the page starts plans.
   * @param {any} w
   * @returns {HTMLElement|null}
   */
  standbyBlock(w) {
    const list = Array.isArray(w.standby) ? w.standby : [];
    if (w.status !== 'active') return null;
    if (!list.length) return el('p', 'warn-muted', t('warn.standby.none'));
    const { onStart, started } = this.ctx;
    return el('div', 'warn-standby-block', null, [
      el('p', 'warn-label', t('warn.standby.heading')),
      el('ul', 'warn-standby-list', null, list.map((/** @type {any} */ s) => {
        const on = !!(started && started(w.id, s.plan_id));
        const btn = onStart && !on ? Object.assign(el('button', 'btn btn-primary warn-start', t('warn.standby.start')), { type: 'button' }) : null;
        if (btn && onStart) btn.addEventListener('click', () => onStart(w, s));
        const li = el('li', 'warn-standby', null, spaced([
          el('span', 'tag warn-standby-tag', t(on ? 'warn.standby.started' : 'warn.standby.tag')),
          el('span', 'warn-standby-text', standbyText(s)),
          btn,
        ]));
        li.dataset.planId = String(s.plan_id);
        li.dataset.started = on ? '1' : '0';
        return li;
      })),
    ]);
  }

  /**
   * The action buttons of an active warning (none while one is open).
   * @param {any} w
   * @returns {HTMLElement|null}
   */
  actionButtons(w) {
    if (w.status !== 'active' || !this.ctx.canEdit() || this.acting.has(w.id)) return null;
    return el('div', 'warn-actions', null, ['raise', 'lower', 'extend', 'lift'].map((a) => {
      const b = Object.assign(el('button', `btn btn-ghost warn-act-${a}`, t(`warn.act.${a}`)), { type: 'button' });
      b.dataset.action = a;
      b.disabled = (a === 'raise' && w.colour === 'red') || (a === 'lower' && w.colour === 'blue');
      b.addEventListener('click', () => this.openAction(w, a));
      return b;
    }));
  }

  /**
   * One warning's card.
   * @param {any} w
   * @returns {HTMLElement}
   */
  card(w) {
    const open = this.acting.get(w.id);
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
        el('span', 'warn-valid', t('warn.valid', { from: shortTime(w.starts_at), to: shortTime(w.ends_at) })),
        w.source ? el('span', 'warn-source', String(w.source)) : null,
      ])),
      w.text ? el('p', 'warn-text', String(w.text)) : null,
      this.standbyBlock(w),
      historyBlock(w),
      this.actionButtons(w),
      open ? open.form : null,
    ]);
    c.dataset.warningId = String(w.id);
    c.dataset.status = String(w.status);
    c.dataset.colour = String(w.colour);
    c.dataset.version = String(w.version);
    return c;
  }

  /**
   * The cards: the active warnings, then the most recent ended ones. Open
   * action forms are kept as typed and the focus stays where it was (the
   * leader page calls it when a plan is started for a warning).
   */
  renderCards() {
    const active = this.book.active();
    const list = [...active, ...this.book.all().filter((w) => w.status !== 'active').slice(0, RECENT)];
    for (const id of [...this.acting.keys()]) if (!active.some((w) => w.id === id)) this.acting.delete(id);
    replaceLive(this.cards, () => list.map((w) => this.card(w))); // the focus stays on a kept form's field
    this.count.textContent = t('warn.list.count', { n: active.length });
    show(this.empty, list.length === 0);
    if (this.ctx.onChange) this.ctx.onChange(this.book);
  }
}

/**
 * Mounts the warnings panel.
 * @param {HTMLElement} root the panel's element
 * @param {PanelContext} ctx canEdit (the role may issue and change),
 *   onEvent (subscribes to the page's stream), onStart and started (the
 *   leader page starts plans on stand-by), onChange, foldForm (the issue
 *   form folded, closed at first)
 * @returns {WarningsPanel}
 */
export function mountWarnings(root, ctx) {
  return new WarningsPanel(root, ctx);
}

// Taking a call (接警) on the console: the form, the place found by the
// gazetteer, the map or typed coordinates and the grid tree, the level the
// rules give (classify) with every rule that fired, possible duplicates with
// "this is a follow-up of that one", and a save that can never create two
// incidents (the Idempotency-Key is kept with the form and its body).
//
// Hooks for tests: #call-form; inputs named as the API's fields (dotted for
// nested ones: reporter.name, location.lon); .fld[data-field] .field-error;
// #place-search, #place-results > li.place[data-code][aria-selected];
// #preview[data-state][data-level], #preview-reasons > li[data-rule];
// #dups[data-state], #dups-list > li.dup[data-id] button.dup-follow;
// #call-status[data-result] (created|followup) with data-id.

import * as api from './api.js';
import { byId, el, show, spaced } from './dom.js';
import { lang, t, translate } from './i18n.js';
import { badge, gridName, localText, reasonTexts, statusName } from './incidentview.js';
import { CallMap } from './console-map.js';
import { categoryName } from './refdata.js';

/** The call sources offered; each id is the API's source code. */
export const SOURCES = [
  { id: '110', code: '110' },
  { id: '119', code: '119' },
  { id: '122', code: '122' },
  { id: '12345', code: '12345' },
  { id: 'walk_in', code: 'walk_in' },
  { id: 'grid_officer', code: 'grid_officer' },
  { id: 'patrol', code: 'patrol' },
  { id: 'other', code: 'other' },
];

const NUMBER_FIELDS = ['people_involved', 'deaths', 'injuries', 'direct_loss_yuan'];
const SEARCH_DELAY_MS = 180;
const PREVIEW_DELAY_MS = 300;

/** Server messages the catalogue says in the page's language. */
const MESSAGES = /** @type {Array<[RegExp, string]>} */ ([
  [/^required/, 'console.err.required'],
  [/^unknown category/, 'console.err.category'],
  [/^unknown grid/, 'console.err.grid'],
  [/longitude/, 'console.err.lon'],
  [/latitude/, 'console.err.lat'],
  [/^lon and lat are required/, 'console.err.lonlat'],
  [/^must be one of/, 'console.err.oneOf'],
  [/whole number|integer/, 'console.err.integer'],
  [/a number of yuan|from 0 to|between 0 and/, 'console.err.range'],
  [/^at most (\d+) characters/, 'console.err.maxChars'],
  [/^must be a (string|number|boolean|JSON object)|^wrong type|cannot unmarshal/, 'console.err.type'],
]);

/**
 * A server field message in the page's language; an unknown one as sent.
 * @param {string} message
 * @returns {string}
 */
export function fieldMessage(message) {
  return translate(message, MESSAGES) ?? String(message ?? '');
}

/**
 * Parses a coordinate as typed; a text that is no number is kept as text, so
 * that the server names the field.
 * @param {string} s
 * @returns {number|string|null}
 */
function coord(s) {
  const v = s.trim();
  if (v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : v;
}

/** The call form and everything beside it. */
export class CallDesk {
  /**
   * @param {{canCreate: () => boolean, onSaved: (inc: any, followUp: boolean) => void, visible: () => boolean}} ctx
   */
  constructor(ctx) {
    this.ctx = ctx;
    this.form = /** @type {HTMLFormElement} */ (byId('call-form'));
    this.search = /** @type {HTMLInputElement} */ (byId('place-search'));
    this.results = byId('place-results');
    /** @type {any[]} */
    this.places = [];
    this.active = -1;
    /** @type {{key: string, body: string}|null} */
    this.attempt = null;
    this.busy = false;
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    this.searchTimer = undefined;
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    this.previewTimer = undefined;
    this.previewGen = 0;
    this.searchGen = 0;
    /** @type {any} */
    this.preview = null;
    /** @type {any[]} */
    this.dups = [];
    /** @type {Map<string, any>} */
    this.grids = new Map();
    /** @type {Map<string, string[]>} children by parent code */
    this.children = new Map();
    /** @type {Array<{key: string, params?: any, text?: string}>} */
    this.status = [];
    this.escAt = 0;
    this.picking = false;
    this.map = new CallMap(byId('call-map'), (lon, lat) => {
      this.setField('location.lon', String(lon));
      this.setField('location.lat', String(lat));
      this.changed();
    });
    this.wire();
  }

  /**
   * The form control of a field name.
   * @param {string} name
   * @returns {HTMLInputElement}
   */
  input(name) {
    return /** @type {HTMLInputElement} */ (this.form.elements.namedItem(name));
  }

  /**
   * Sets a field's value.
   * @param {string} name
   * @param {string} value
   */
  setField(name, value) {
    const i = this.input(name);
    if (i) i.value = value;
  }

  /** Wires the form's events. */
  wire() {
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      // The Enter that picked a place may still arrive as a key press:
      // it picks, it does not save.
      if (this.picking) return;
      this.save();
    });
    this.form.addEventListener('input', (ev) => {
      if (ev.target === this.search) return;
      this.changed();
    });
    this.form.addEventListener('change', (ev) => {
      const target = /** @type {HTMLElement} */ (ev.target);
      if (target instanceof HTMLSelectElement && target.closest('.grid-tree')) this.gridPicked(target);
      else if (target !== this.search) this.changed();
    });
    // Ctrl+Enter saves from a text area too; Enter in a field submits.
    this.form.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        this.save();
      }
    });
    this.search.addEventListener('input', () => this.searchSoon());
    this.search.addEventListener('keydown', (ev) => this.searchKey(ev));
    this.search.addEventListener('keyup', (ev) => {
      if (ev.key === 'Enter') this.picking = false;
    });
    this.search.addEventListener('blur', () => {
      setTimeout(() => this.closeResults(), 150);
    });
    this.results.addEventListener('mousedown', (ev) => {
      const li = ev.target instanceof Element ? ev.target.closest('li.place') : null;
      if (!li) return;
      ev.preventDefault();
      this.pick(Number(/** @type {HTMLElement} */ (li).dataset.index));
    });
    byId('dups-list').addEventListener('click', (ev) => {
      const btn = ev.target instanceof Element ? ev.target.closest('button.dup-follow') : null;
      if (btn instanceof HTMLButtonElement && btn.dataset.id) this.saveFollowUp(btn.dataset.id);
    });
    byId('call-cancel').addEventListener('click', () => this.reset());
    for (const name of ['location.lon', 'location.lat']) {
      this.input(name).addEventListener('change', () => {
        const lon = coord(this.input('location.lon').value);
        const lat = coord(this.input('location.lat').value);
        if (typeof lon === 'number' && typeof lat === 'number') this.map.place(lon, lat, true);
      });
    }
  }

  /** Fills the sources, the categories and the grid tree. */
  async load() {
    this.fillSources();
    const [cats, grids] = await Promise.allSettled([api.categories(), api.grids()]);
    if (cats.status === 'fulfilled' && Array.isArray(cats.value)) {
      const sel = /** @type {HTMLSelectElement} */ (byId('call-category'));
      const keep = sel.value;
      sel.replaceChildren(this.option('', t('console.f.choose')));
      for (const c of cats.value) {
        if (c && typeof c.id === 'string') {
          const o = this.option(c.id, localText(c.name) || c.id);
          o.dataset.catId = c.id;
          sel.append(o);
        }
      }
      sel.value = keep;
    }
    if (grids.status === 'fulfilled' && grids.value && Array.isArray(grids.value.features)) {
      this.grids.clear();
      this.children.clear();
      for (const f of grids.value.features) {
        const p = f && f.properties;
        if (!p || typeof p.code !== 'string') continue;
        this.grids.set(p.code, p);
        const parent = typeof p.parent === 'string' ? p.parent : '';
        const list = this.children.get(parent) ?? [];
        list.push(p.code);
        this.children.set(parent, list);
      }
      this.fillTree('district', '');
    }
  }

  /**
   * An option element.
   * @param {string} value
   * @param {string} text
   * @returns {HTMLOptionElement}
   */
  option(value, text) {
    const o = /** @type {HTMLOptionElement} */ (el('option', '', text));
    o.value = value;
    return o;
  }

  /** Fills the source list in the current language. */
  fillSources() {
    const sel = /** @type {HTMLSelectElement} */ (byId('call-source'));
    const keep = sel.selectedIndex;
    sel.replaceChildren(...SOURCES.map((s) => {
      const o = this.option(s.code, t(`console.source.${s.id}`));
      o.dataset.source = s.id;
      return o;
    }));
    sel.selectedIndex = keep >= 0 ? keep : 0;
  }

  /**
   * Fills one level of the grid tree with the children of parent, and empties
   * the levels below.
   * @param {string} level district, street, community or grid
   * @param {string} parent
   */
  fillTree(level, parent) {
    const levels = ['district', 'street', 'community', 'grid'];
    const i = levels.indexOf(level);
    for (let j = i; j < levels.length; j += 1) {
      const sel = /** @type {HTMLSelectElement} */ (byId(`grid-${levels[j]}`));
      sel.replaceChildren(this.option('', t('console.grid.none')));
      sel.disabled = j !== i;
    }
    const sel = /** @type {HTMLSelectElement} */ (byId(`grid-${level}`));
    const codes = level === 'district'
      ? [...this.grids.values()].filter((g) => g.level === 'district').map((g) => g.code)
      : (this.children.get(parent) ?? []);
    for (const code of codes) {
      const g = this.grids.get(code);
      if (g) sel.append(this.option(code, lang() === 'en' ? g.name_en || g.name : g.name || g.name_en));
    }
    sel.disabled = codes.length === 0;
  }

  /**
   * A level of the grid tree was chosen: the next level offers its children
   * and the lowest chosen area is the call's grid.
   * @param {HTMLSelectElement} sel
   */
  gridPicked(sel) {
    const levels = ['district', 'street', 'community', 'grid'];
    const i = levels.indexOf(sel.dataset.level ?? '');
    if (i < 0) return;
    if (i + 1 < levels.length) this.fillTree(levels[i + 1], sel.value);
    let code = sel.value;
    for (let j = i; !code && j > 0; j -= 1) code = /** @type {HTMLSelectElement} */ (byId(`grid-${levels[j - 1]}`)).value;
    this.setField('grid', code);
    this.changed();
  }

  // The gazetteer

  /** Searches after a short pause in typing. */
  searchSoon() {
    clearTimeout(this.searchTimer);
    const q = this.search.value.trim();
    if (!q) {
      this.places = [];
      this.renderResults();
      return;
    }
    this.searchTimer = setTimeout(() => this.runSearch(q), SEARCH_DELAY_MS);
  }

  /**
   * Asks the gazetteer.
   * @param {string} q
   */
  async runSearch(q) {
    const gen = ++this.searchGen;
    try {
      const res = await api.places(q, 8);
      if (gen !== this.searchGen) return;
      this.places = res && Array.isArray(res.places) ? res.places : [];
      this.active = this.places.length ? 0 : -1;
    } catch {
      if (gen !== this.searchGen) return;
      this.places = [];
    }
    this.renderResults();
  }

  /** Shows the gazetteer's answers as a list box. */
  renderResults() {
    const open = this.places.length > 0 && document.activeElement === this.search;
    this.results.replaceChildren(...this.places.map((p, i) => {
      const li = el('li', 'place', null, spaced([
        el('span', 'place-name', String(p.name ?? '')),
        p.address ? el('span', 'place-address', String(p.address)) : null,
        el('span', 'place-code', String(p.code ?? '')),
        p.grid ? el('span', 'place-grid', gridName(p.grid)) : null,
      ]));
      li.id = `place-${i}`;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', i === this.active ? 'true' : 'false');
      li.dataset.index = String(i);
      li.dataset.code = String(p.code ?? '');
      return li;
    }));
    show(this.results, open);
    this.search.setAttribute('aria-expanded', open ? 'true' : 'false');
    if (open && this.active >= 0) this.search.setAttribute('aria-activedescendant', `place-${this.active}`);
    else this.search.removeAttribute('aria-activedescendant');
  }

  /** Closes the list box. */
  closeResults() {
    show(this.results, false);
    this.search.setAttribute('aria-expanded', 'false');
  }

  /**
   * Arrow keys move in the list, Enter picks, Esc closes it.
   * @param {KeyboardEvent} ev
   */
  searchKey(ev) {
    const open = !this.results.hidden && this.places.length > 0;
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      if (!this.places.length) return;
      ev.preventDefault();
      const n = this.places.length;
      this.active = ev.key === 'ArrowDown' ? (this.active + 1) % n : (this.active - 1 + n) % n;
      this.renderResults();
    } else if (ev.key === 'Enter' && open) {
      ev.preventDefault();
      ev.stopPropagation();
      this.picking = true;
      setTimeout(() => {
        this.picking = false; // in case the key-up went elsewhere
      }, 1000);
      this.pick(this.active >= 0 ? this.active : 0);
    } else if (ev.key === 'Escape' && open) {
      ev.preventDefault();
      ev.stopPropagation();
      this.closeResults();
    }
  }

  /**
   * Takes a gazetteer entry as the call's place.
   * @param {number} i
   */
  pick(i) {
    const p = this.places[i];
    if (!p || !p.location) return;
    // A search still waiting or on its way (typing ran ahead of the list
    // picked from) would reopen the list after the pick, and the next Enter
    // would pick again instead of saving: it is dropped.
    clearTimeout(this.searchTimer);
    this.searchGen += 1;
    this.search.value = String(p.name ?? '');
    const addr = [p.address, p.name].filter((s) => typeof s === 'string' && s).join(' ');
    this.setField('address', addr);
    this.setField('location.lon', String(p.location.lon));
    this.setField('location.lat', String(p.location.lat));
    this.map.place(p.location.lon, p.location.lat, true);
    this.closeResults();
    this.changed();
  }

  // The body, the preview and the duplicates

  /**
   * The request body from the form, named as the API's fields.
   * @returns {Record<string, any>}
   */
  body() {
    /** @type {Record<string, any>} */
    const b = {};
    const f = this.form;
    const text = (/** @type {string} */ n) => this.input(n).value.trim();
    b.source = this.input('source').value || '110';
    if (text('category')) b.category = text('category');
    for (const n of ['title', 'description', 'address', 'measures_taken', 'support_needed']) {
      if (text(n)) b[n] = text(n);
    }
    const name = text('reporter.name');
    const phone = text('reporter.phone');
    if (name || phone) b.reporter = { ...(name ? { name } : {}), ...(phone ? { phone } : {}) };
    for (const n of NUMBER_FIELDS) {
      const v = text(n);
      if (v === '') continue;
      const x = Number(v);
      b[n] = Number.isFinite(x) ? x : v;
    }
    const lon = coord(this.input('location.lon').value);
    const lat = coord(this.input('location.lat').value);
    if (lon !== null || lat !== null) b.location = { ...(lon !== null ? { lon } : {}), ...(lat !== null ? { lat } : {}) };
    if (text('grid')) b.grid = text('grid');
    b.verified = /** @type {HTMLInputElement} */ (f.elements.namedItem('verified')).checked;
    b.drill = /** @type {HTMLInputElement} */ (f.elements.namedItem('drill')).checked;
    return b;
  }

  /** Something in the form changed: the preview follows shortly. */
  changed() {
    clearTimeout(this.previewTimer);
    // What is shown no longer answers the form as it stands: an answer
    // still on its way is dropped, and the state says a new one is coming.
    this.previewGen += 1;
    byId('preview').dataset.state = 'pending';
    byId('dups').dataset.state = 'pending';
    this.previewTimer = setTimeout(() => this.refreshPreview(), PREVIEW_DELAY_MS);
  }

  /** Asks the rules and the duplicate search about the call as it stands. */
  async refreshPreview() {
    const b = this.body();
    const placed = (b.location && typeof b.location.lon === 'number' && typeof b.location.lat === 'number') || !!b.grid;
    const gen = ++this.previewGen;
    if (!b.category || !placed) {
      this.preview = null;
      this.dups = [];
      this.setPreviewState('idle');
      this.renderPreview();
      return;
    }
    this.setPreviewState('loading');
    const probe = { ...b, title: b.title || t('console.preview.untitled') };
    delete probe.drill;
    const loc = b.location && typeof b.location.lon === 'number' && typeof b.location.lat === 'number' ? b.location : null;
    const [cls, dup] = await Promise.allSettled([
      api.classify(probe),
      loc ? api.duplicates(b.category, loc.lon, loc.lat) : Promise.resolve({ duplicates: [] }),
    ]);
    if (gen !== this.previewGen) return;
    this.preview = cls.status === 'fulfilled' ? cls.value : null;
    this.dups = dup.status === 'fulfilled' && dup.value && Array.isArray(dup.value.duplicates) ? dup.value.duplicates : [];
    this.dupState = dup.status === 'fulfilled' ? 'loaded' : 'failed';
    this.setPreviewState(cls.status === 'fulfilled' ? 'loaded' : 'failed');
    this.renderPreview();
  }

  /**
   * Records the preview's state on its container.
   * @param {string} s
   */
  setPreviewState(s) {
    this.previewState = s;
  }

  /** Shows the level, the rules, the grid and zones, and the duplicates. */
  renderPreview() {
    const box = byId('preview');
    const p = this.preview;
    const state = this.previewState ?? 'idle';
    box.dataset.state = state;
    box.dataset.level = p && p.level ? String(p.level) : '';
    byId('preview-note').textContent = state === 'idle' ? t('console.preview.idle') : state === 'loading' ? t('console.preview.loading') : state === 'failed' ? t('console.preview.failed') : '';
    byId('preview-level').replaceChildren(...(p ? [badge(p.level)] : []));
    const reasons = byId('preview-reasons');
    const texts = p ? reasonTexts(p) : [];
    reasons.replaceChildren(...(p && Array.isArray(p.level_reasons) ? p.level_reasons : []).map((r, i) => {
      const li = el('li', 'reason', null, spaced([el('span', 'reason-level', String(r.level ?? '')), el('span', 'reason-text', texts[i] ?? ''), el('code', 'reason-rule', String(r.rule_id ?? ''))]));
      li.dataset.rule = String(r.rule_id ?? '');
      return li;
    }));
    byId('preview-grid').textContent = p ? t('console.preview.grid', { grid: p.grid ? (p.grid.path || []).map((/** @type {any} */ g) => gridName(g)).join(' › ') || gridName(p.grid) : t('incident.noGrid') }) : '';
    const zones = p && Array.isArray(p.zones) ? p.zones.map((/** @type {any} */ z) => localText({ zh: z.name, en: z.name_en })).filter(Boolean) : [];
    byId('preview-zones').textContent = p ? t('console.preview.zones', { zones: zones.length ? zones.join(t('list.and')) : t('console.preview.noZones') }) : '';

    const dupsBox = byId('dups');
    dupsBox.dataset.state = state === 'loaded' ? this.dupState ?? 'loaded' : state;
    dupsBox.dataset.count = String(this.dups.length);
    byId('dups-note').textContent = this.dupState === 'failed' && state === 'loaded' ? t('console.dup.failed') : this.dups.length ? t('console.dup.found', { n: this.dups.length }) : t('console.dup.none');
    byId('dups-list').replaceChildren(...this.dups.map((d) => {
      const btn = /** @type {HTMLButtonElement} */ (el('button', 'btn btn-small dup-follow', t('console.dup.follow')));
      btn.type = 'button';
      btn.dataset.id = String(d.id);
      const li = el('li', 'dup', null, [
        el('div', 'dup-head', null, spaced([badge(d.level), el('strong', 'dup-title', String(d.title ?? '')), el('span', 'dup-id', String(d.id))])),
        el('div', 'dup-meta', null, spaced([
          el('span', '', categoryName(String(d.category ?? ''))),
          el('span', '', statusName(String(d.status ?? ''))),
          el('span', '', t('console.dup.distance', { m: Math.round(Number(d.distance_m) || 0) })),
          el('span', '', t('console.dup.age', { min: Math.round((Number(d.age_s) || 0) / 60) })),
        ])),
        btn,
      ]);
      li.dataset.id = String(d.id);
      return li;
    }));
  }

  // Saving

  /**
   * The key for this body: the same as the last attempt's while the body is
   * unchanged (a retry), a new one when the person changed the call.
   * @param {string} kind create or a follow-up's incident id
   * @param {Record<string, any>} body
   * @returns {string}
   */
  keyFor(kind, body) {
    const text = `${kind}|${JSON.stringify(body)}`;
    if (!this.attempt || this.attempt.body !== text) this.attempt = { key: api.idempotencyKey('call'), body: text };
    return this.attempt.key;
  }

  /** Saves the call as a new incident. */
  async save() {
    if (this.busy) return;
    // A second Enter or tap just after a save finds the form emptied for
    // the next call: it sends nothing, and the saved line stays.
    const st = byId('call-status');
    if ((st.dataset.result === 'created' || st.dataset.result === 'followup') && this.blank()) return;
    if (!this.ctx.canCreate()) {
      this.setStatus([{ key: 'console.call.readonly' }]);
      return;
    }
    const body = this.body();
    const key = this.keyFor('create', body);
    this.busy = true;
    this.clearErrors();
    this.setStatus([{ key: 'console.call.saving' }]);
    try {
      const inc = await api.createIncident(body, key);
      this.done(inc, false);
    } catch (err) {
      this.failed(err);
    } finally {
      this.busy = false;
      this.renderBusy();
    }
  }

  /**
   * Records the call as a follow-up (续报) of an open incident instead.
   * @param {string} id
   */
  async saveFollowUp(id) {
    if (this.busy) return;
    const body = this.body();
    delete body.drill;
    delete body.title;
    delete body.grid;
    const key = this.keyFor(id, body);
    this.busy = true;
    this.clearErrors();
    this.setStatus([{ key: 'console.call.saving' }]);
    try {
      const inc = await api.followUp(id, body, key);
      this.done(inc, true);
    } catch (err) {
      this.failed(err);
    } finally {
      this.busy = false;
      this.renderBusy();
    }
  }

  /**
   * The call is saved: the form empties for the next one.
   * @param {any} inc
   * @param {boolean} followUp
   */
  done(inc, followUp) {
    const id = inc && typeof inc.id === 'string' ? inc.id : '';
    this.reset(true);
    const st = byId('call-status');
    this.setStatus([{ key: followUp ? 'console.call.followedUp' : 'console.call.saved', params: { id } }]);
    st.dataset.result = followUp ? 'followup' : 'created';
    st.dataset.id = id;
    this.ctx.onSaved(inc, followUp);
  }

  /**
   * A save failed: the form stays as it is, with the reasons beside the fields.
   * @param {unknown} err
   */
  failed(err) {
    const st = byId('call-status');
    st.dataset.result = 'failed';
    if (err instanceof api.ApiError) {
      const problem = err.problem || {};
      const errors = Array.isArray(problem.errors) ? problem.errors : [];
      if (errors.length) {
        this.showErrors(errors);
        this.setStatus([{ key: 'console.call.invalid', params: { n: errors.length } }]);
        return;
      }
      this.setStatus([{ key: 'console.call.refused', params: { status: err.status } }, { text: String(problem.detail || problem.title || '') }]);
      return;
    }
    this.setStatus([{ key: 'console.call.network' }]);
  }

  /**
   * Shows each field error beside its field, all at once; one without a
   * field of the form is listed under the form.
   * @param {Array<{field: string, message: string}>} errors
   */
  showErrors(errors) {
    const rest = [];
    let first = null;
    for (const e of errors) {
      const field = String(e.field ?? '');
      const box = this.fieldBox(field);
      const text = fieldMessage(e.message);
      if (!box) {
        rest.push(field ? `${field}: ${text}` : text);
        continue;
      }
      box.classList.add('invalid');
      const p = box.querySelector('.field-error');
      if (p) p.textContent = p.textContent ? `${p.textContent}；${text}` : text;
      box.dataset.error = field;
      const control = box.querySelector('input:not([type=hidden]), select, textarea');
      if (control) control.setAttribute('aria-invalid', 'true');
      if (!first && control) first = control;
    }
    byId('call-errors').replaceChildren(...rest.map((s) => el('li', 'form-error-item', s)));
    if (first instanceof HTMLElement) first.focus();
  }

  /**
   * The box of a field, or of the nearest field above it (location for
   * location.x, reporter.name for reporter).
   * @param {string} field
   * @returns {HTMLElement|null}
   */
  fieldBox(field) {
    let f = field;
    while (f) {
      const box = this.form.querySelector(`.fld[data-field="${CSS.escape(f)}"]`);
      if (box) return /** @type {HTMLElement} */ (box);
      if (f === 'reporter') return /** @type {HTMLElement|null} */ (this.form.querySelector('.fld[data-field="reporter.name"]'));
      const cut = Math.max(f.lastIndexOf('.'), f.lastIndexOf('['));
      f = cut > 0 ? f.slice(0, cut) : '';
    }
    return null;
  }

  /** Removes the field errors. */
  clearErrors() {
    for (const box of this.form.querySelectorAll('.fld.invalid')) {
      box.classList.remove('invalid');
      delete /** @type {HTMLElement} */ (box).dataset.error;
    }
    for (const p of this.form.querySelectorAll('.field-error')) p.textContent = '';
    for (const c of this.form.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
    byId('call-errors').replaceChildren();
  }

  /**
   * Sets the status line.
   * @param {Array<{key?: string, params?: any, text?: string}>} parts
   */
  setStatus(parts) {
    this.status = parts;
    this.renderStatus();
  }

  /** Shows the status line in the current language. */
  renderStatus() {
    byId('call-status').textContent = this.status.map((s) => (s.key ? t(s.key, s.params) : s.text ?? '')).filter(Boolean).join(' ');
  }

  /** Disables the save buttons while saving. */
  renderBusy() {
    const save = /** @type {HTMLButtonElement} */ (byId('call-save'));
    save.disabled = this.busy || !this.ctx.canCreate();
    for (const b of this.form.querySelectorAll('button.dup-follow')) /** @type {HTMLButtonElement} */ (b).disabled = this.busy;
    show(byId('call-readonly'), !this.ctx.canCreate());
  }

  /**
   * Empties the form for a new call. Esc asks twice (a second Esc within
   * 3 s), so a stray key never throws a call away.
   * @param {boolean} [now] without asking
   */
  reset(now = false) {
    if (!now && this.hasInput() && Date.now() - this.escAt > 3000) {
      this.escAt = Date.now();
      this.setStatus([{ key: 'console.call.escAgain' }]);
      return;
    }
    this.escAt = 0;
    this.form.reset();
    this.search.value = '';
    this.places = [];
    this.renderResults();
    this.setField('grid', '');
    this.fillTree('district', '');
    this.fillSources();
    this.map.place(null, null);
    this.attempt = null;
    this.preview = null;
    this.dups = [];
    this.previewGen += 1;
    this.previewState = 'idle';
    this.clearErrors();
    this.renderPreview();
    this.setStatus([]);
    delete byId('call-status').dataset.result;
  }

  /**
   * Reports whether anything was typed.
   * @returns {boolean}
   */
  hasInput() {
    for (const c of this.form.querySelectorAll('input[type=text], input[type=tel], input[type=number], textarea')) {
      if (/** @type {HTMLInputElement} */ (c).value.trim()) return true;
    }
    return false;
  }

  /**
   * Reports whether the form is as a new call starts: nothing typed, no
   * category, place or grid chosen.
   * @returns {boolean}
   */
  blank() {
    const b = this.body();
    return !this.hasInput() && !b.category && !b.location && !b.grid;
  }

  /** Focuses the first field for a new call. */
  focus() {
    byId('call-source').focus();
    this.map.shown();
  }

  /** Relabels what the catalogue does not reach by itself. */
  relabel() {
    this.map.relabel();
    this.fillSources();
    const sel = /** @type {HTMLSelectElement} */ (byId('call-category'));
    if (sel.options.length) sel.options[0].textContent = t('console.f.choose');
    for (const o of sel.options) if (o.dataset.catId) o.textContent = categoryName(o.dataset.catId);
    for (const level of ['district', 'street', 'community', 'grid']) {
      for (const o of /** @type {HTMLSelectElement} */ (byId(`grid-${level}`)).options) {
        const g = this.grids.get(o.value);
        if (g) o.textContent = lang() === 'en' ? g.name_en || g.name : g.name || g.name_en;
        else o.textContent = t('console.grid.none');
      }
    }
    this.renderPreview();
    this.renderStatus();
    this.renderBusy();
  }
}

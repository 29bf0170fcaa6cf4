// The incident desk of the console: the open incidents (from the screen
// stream's summaries) with filters and a badge for new ones, and the one
// selected, fetched whole: its facts, orders and candidates (with a small
// map), follow-ups, the level, the lifecycle to the close with its summary,
// the reporting deadlines with their information reports, and the timeline,
// all refreshed when the stream says it changed.
//
// Hooks for tests: #incident-list > li.desk-item[data-id][data-level]
// [data-status]; #detail[data-id][data-status][data-level];
// #candidates li.cand[data-unit-id] input[type=checkbox]; #send-units;
// #orders > li.order[data-dispatch-id][data-unit-id][data-status];
// #deadlines > li.deadline[data-deadline-id][data-status] button.open-report;
// #report[data-deadline-id][data-sent] textarea[name=text],
// input[name=to]; #report-send; #status-form [name=...]; #timeline >
// li[data-type].

import * as api from './api.js';
import { alarmKindName } from './alarms.js';
import { DispatchMap } from './console-map.js';
import { fieldMessage } from './console-call.js';
import { byId, el, keepFields, show, spaced, replaceLive, whenFree } from './dom.js';
import { incidentWarnings } from './warnings.js';
import { countdown, parseTime, zonedTime } from './format.js';
import { t, translate } from './i18n.js';
import { badge, casualties, gridName, localText, orderStatusName, placeText, reasonTexts, statusName } from './incidentview.js';
import { categoryName, LEVELS } from './refdata.js';
import { serverNow } from './clock.js';
import { unitStatusName } from './units.js';

// How long a 派警 or a 续报 whose outcome is unknown (no answer, or a server
// error) keeps its Idempotency-Key for the operator's retry: a retry comes
// within moments, and the same request sent later is a new one (the first's
// orders may have ended, a report may be a correction).
const RETRY_MS = 60_000;
/** How many incidents left keep what was typed on them. */
const DRAFTS = 20;

const NEXT = { open: ['responding', 'recovery', 'closed'], responding: ['recovery', 'closed'], recovery: ['closed'], closed: [] };

/**
 * Orders incidents by level (I first), then age (oldest first).
 * @param {any} a
 * @param {any} b
 * @returns {number}
 */
function byLevelAge(a, b) {
  const ra = LEVELS.indexOf(a.level);
  const rb = LEVELS.indexOf(b.level);
  if (ra !== rb) return (ra < 0 ? 9 : ra) - (rb < 0 ? 9 : rb);
  return String(a.created_at).localeCompare(String(b.created_at));
}

/**
 * A labelled control: the label above the field.
 * @param {string} key catalogue key of the label
 * @param {HTMLElement} control
 * @param {string} [field] the API field, for errors beside it
 * @returns {HTMLElement}
 */
function labelled(key, control, field) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  const label = el('label', '', t(key));
  label.setAttribute('for', id);
  const box = el('div', 'fld', null, [label, control, el('p', 'field-error')]);
  if (field) box.dataset.field = field;
  return box;
}

/**
 * An input element.
 * @param {string} tag input or textarea
 * @param {string} name
 * @param {Record<string, string>} [attrs]
 * @returns {HTMLInputElement}
 */
function input(tag, name, attrs = {}) {
  const i = /** @type {HTMLInputElement} */ (document.createElement(tag));
  i.name = name;
  i.className = 'field';
  for (const [k, v] of Object.entries(attrs)) i.setAttribute(k, v);
  return i;
}

/**
 * A button.
 * @param {string} key
 * @param {string} className
 * @param {string} [type]
 * @returns {HTMLButtonElement}
 */
function button(key, className, type = 'button') {
  const b = /** @type {HTMLButtonElement} */ (el('button', `btn ${className}`, t(key)));
  b.type = /** @type {any} */ (type);
  return b;
}

/**
 * The text field (input or textarea) with id, or null.
 * @param {string} id
 * @returns {HTMLInputElement|HTMLTextAreaElement|null}
 */
function textField(id) {
  const node = document.getElementById(id);
  return node instanceof HTMLInputElement || node instanceof HTMLTextAreaElement ? node : null;
}

/**
 * Empties each field (by id) that still holds the value it was sent with,
 * marked fresh when fresh (a redraw puts nothing back into it).
 * @param {Map<string, string>} was
 * @param {boolean} fresh
 */
function emptyIfStill(was, fresh) {
  for (const [f, v] of was) {
    const node = textField(f);
    if (!node || node.value !== v) continue;
    node.value = '';
    if (fresh) node.dataset.fresh = '1';
  }
}

/** The server's refusals the desk's forms meet, in the page's language. */
const REFUSALS = /** @type {Array<[RegExp, string, (m: RegExpMatchArray) => Record<string, any>]>} */ ([
  [/^(?:unit_id: )?unit (\S+) is (\w+), not available/, 'console.refused.unitBusy', (m) => ({ unit: m[1], status: unitStatusName(m[2]) })],
  [/^unit (\S+) is no longer available/, 'console.refused.unitTaken', (m) => ({ unit: m[1] })],
  [/^incident \S+ is closed: reopen it before reporting on it/, 'console.refused.closedReport', () => ({})],
  [/^incident \S+ is closed: reopen it before changing its level/, 'console.refused.closedLevel', () => ({})],
  [/^incident \S+ is closed$/, 'console.refused.closed', () => ({})],
  [/^incident \S+ is already (\w+)$/, 'console.refused.already', (m) => ({ status: statusName(m[1]) })],
  [/^incident \S+ is (\w+): it cannot go back to (\w+)/, 'console.refused.backwards', (m) => ({ from: statusName(m[1]), to: statusName(m[2]) })],
  [/^incident \S+ changed meanwhile/, 'console.refused.changed', () => ({})],
  [/only a leader or an admin may reopen it/, 'console.refused.reopenRole', () => ({})],
  [/^order \S+ is already (\w+)/, 'console.refused.orderAlready', (m) => ({ status: orderStatusName(m[1]) })],
  [/^order \S+ reached the scene or ended/, 'console.refused.orderMoved', () => ({})],
  [/^order \S+ changed meanwhile/, 'console.refused.orderChanged', () => ({})],
  [/^the orders of this request have ended/, 'console.refused.ordersEnded', () => ({})],
]);

/**
 * A refusal's detail in the page's language: a known one from the
 * catalogue, any other as the server wrote it.
 * @param {unknown} detail
 * @returns {string}
 */
function refusal(detail) {
  return translate(detail, REFUSALS) ?? String(detail ?? '');
}

/**
 * Shows the field errors of a refused request in a form, all at once.
 * @param {HTMLElement} form
 * @param {unknown} err
 * @param {HTMLElement} line where a message without a field goes
 */
function showError(form, err, line) {
  for (const p of form.querySelectorAll('.field-error')) p.textContent = '';
  for (const b of form.querySelectorAll('.fld.invalid')) b.classList.remove('invalid');
  line.textContent = '';
  if (err instanceof api.ApiError) {
    const pr = err.problem || {};
    const rest = [];
    for (const e of Array.isArray(pr.errors) ? pr.errors : []) {
      const box = form.querySelector(`.fld[data-field="${CSS.escape(String(e.field))}"]`) ||
        form.querySelector(`.fld[data-field="${CSS.escape(String(e.field).split(/[.[]/)[0])}"]`);
      if (box) {
        box.classList.add('invalid');
        const p = box.querySelector('.field-error');
        if (p) p.textContent = fieldMessage(e.message);
      } else {
        rest.push(`${e.field}: ${fieldMessage(e.message)}`);
      }
    }
    line.textContent = [t('console.err.refused', { status: err.status }), pr.errors ? '' : refusal(pr.detail), ...rest].filter(Boolean).join(' ');
    line.dataset.status = String(err.status);
    return;
  }
  line.textContent = t('console.call.network');
  line.dataset.status = '0';
}

/**
 * Who did a step, in words: a person's account as it is, the system's
 * actors (rules, system, procedure, rule:{id}) from the catalogue.
 * @param {string} by
 * @returns {string}
 */
function byName(by) {
  if (by.startsWith('rule:')) return t('console.by.rule', { rule: by.slice(5) });
  const key = `console.by.${by}`;
  const name = t(key);
  return name === key ? by : name;
}

/** The list of open incidents and the one selected. */
export class IncidentDesk {
  /**
   * @param {{role: () => string, area: () => string, tz: () => string, visible: () => boolean, onNew: (n: number) => void}} ctx
   */
  constructor(ctx) {
    this.ctx = ctx;
    /** @type {Map<string, any>} summaries of incidents not closed */
    this.incidents = new Map();
    /** @type {Set<string>} ids that arrived while not looked at */
    this.fresh = new Set();
    this.ready = false;
    /** @type {string|null} */
    this.selected = null;
    /** @type {any} the selected incident, whole */
    this.inc = null;
    /** @type {any[]} */
    this.orders = [];
    /** @type {any[]} */
    this.cands = [];
    /** @type {any} */
    this.report = null;
    /** @type {string|null} */
    this.reportFor = null;
    this.gen = 0;
    /** @type {string} what the last fetch drew, while nothing else has redrawn since */
    this.drawn = '';
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    this.refreshTimer = undefined;
    this.map = null;
    /** @type {Set<string>} the forms whose request is under way, by key (incident/form) */
    this.sending = new Set();
    /** @type {Map<string, {ok?: string, err?: unknown}>} each form's last answer, by key */
    this.answers = new Map();
    /** @type {Map<string, {body: string, key: string, at: number}>} what each form (incident/form) is sending, with its Idempotency-Key, since at */
    this.tries = new Map();
    /** @type {Map<string, {restore: () => void, sent: Map<string, string>}>} what was typed on each incident left, to put back when it is drawn again (but what was sent since) */
    this.drafts = new Map();
    /** Bumped on sign-out: an answer to the person before is dropped. */
    this.epoch = 0;
    byId('incident-list').addEventListener('click', (ev) => {
      const li = ev.target instanceof Element ? ev.target.closest('li.desk-item') : null;
      if (li) this.select(/** @type {HTMLElement} */ (li).dataset.id ?? '');
    });
    byId('incident-list').addEventListener('keydown', (ev) => {
      const li = ev.target instanceof Element ? ev.target.closest('li.desk-item') : null;
      if (li && (ev.key === 'Enter' || ev.key === ' ')) {
        ev.preventDefault();
        this.select(/** @type {HTMLElement} */ (li).dataset.id ?? '');
      }
    });
    for (const id of ['filter-level', 'filter-status', 'filter-grid', 'filter-mine']) byId(id).addEventListener('change', () => this.renderList());
  }

  /**
   * The attempt of the form key (incident/form) to send body: the same body
   * sent again within RETRY_MS of its last unknown outcome keeps its
   * Idempotency-Key, whatever was sent for other incidents meanwhile.
   * @param {string} key
   * @param {string} body
   * @param {string} kind
   */
  attempt(key, body, kind) {
    const now = Date.now();
    for (const [k, a] of this.tries) if (now - a.at > RETRY_MS) this.tries.delete(k);
    let a = this.tries.get(key);
    if (!a || a.body !== body) {
      a = { body, key: api.idempotencyKey(kind), at: now };
      this.tries.set(key, a);
    }
    return a;
  }

  /**
   * Ends the attempt on any answer but a server error; an unknown outcome
   * (no answer, 5xx) keeps it, its window running from now.
   * @param {string} key
   * @param {{body: string, key: string, at: number}} attempt
   * @param {boolean} done
   */
  settle(key, attempt, done) {
    if (this.tries.get(key) !== attempt) return;
    const err = this.answers.get(key)?.err;
    if (done || (err instanceof api.ApiError && err.status < 500)) this.tries.delete(key);
    else if (err !== undefined) attempt.at = Date.now();
  }

  /**
   * Keeps what was typed on incident id as it is left (restore puts it
   * back), for the DRAFTS incidents left last.
   * @param {string} id
   * @param {() => void} restore
   */
  keepDraft(id, restore) {
    this.drafts.delete(id);
    this.drafts.set(id, { restore, sent: new Map() });
    for (const k of this.drafts.keys()) {
      if (this.drafts.size <= DRAFTS) break;
      this.drafts.delete(k);
    }
  }

  /**
   * Puts back on incident id's fields, just drawn in body, what was typed
   * when it was left, but what was sent since; marks them as drawn.
   * @param {string} id
   * @param {HTMLElement} body
   */
  putDraft(id, body) {
    const d = this.drafts.get(id);
    this.drafts.delete(id);
    (d ? d.restore : keepFields(body, (f) => f.id))();
    if (d) emptyIfStill(d.sent, false);
  }

  /** Forgets everything (on sign-out), the incident drawn included. */
  reset() {
    this.gen += 1;
    this.epoch += 1;
    this.incidents.clear();
    this.fresh.clear();
    this.ready = false;
    this.selected = null;
    this.inc = null;
    this.report = null;
    this.reportFor = null;
    this.orders = [];
    this.cands = [];
    this.drawn = '';
    this.map = null;
    this.sending.clear();
    this.answers.clear();
    this.tries.clear();
    this.drafts.clear();
    byId('detail-body').replaceChildren();
    this.renderDetail();
  }

  /**
   * Sends one form's request: the form under key stays disabled, however
   * often the detail is redrawn meanwhile, and the answer (ok's text, or
   * the refusal beside its fields) is shown on the form drawn when it
   * comes. A second press while it is under way sends nothing.
   * @param {string} key the incident's id and the form's
   * @param {() => Promise<unknown>} fn
   * @param {string} [ok]
   * @returns {Promise<boolean>} whether it succeeded
   */
  async act(key, fn, ok = '') {
    if (this.sending.has(key)) return false;
    const epoch = this.epoch;
    this.sending.add(key);
    this.answers.delete(key);
    this.paint(key);
    /** @type {{ok?: string, err?: unknown}} */
    let answer;
    try {
      await fn();
      answer = { ok };
    } catch (e) {
      answer = { err: e };
    }
    if (epoch !== this.epoch) return false; // signed out meanwhile: not the next person's
    this.sending.delete(key);
    this.answers.set(key, answer);
    this.paint(key);
    return !('err' in answer);
  }


  /**
   * Puts a form's request state on its drawing now: buttons disabled while
   * under way, its last answer.
   * @param {string} key
   */
  paint(key) {
    const box = byId('detail-body').querySelector(`[data-form="${CSS.escape(key)}"]`);
    if (!(box instanceof HTMLElement)) return;
    const busy = this.sending.has(key);
    box.dataset.busy = busy ? '1' : '0';
    for (const b of box.querySelectorAll('button')) /** @type {HTMLButtonElement} */ (b).disabled = busy;
    const line = box.querySelector('.form-error');
    const a = this.answers.get(key);
    if (!(line instanceof HTMLElement) || !a) return;
    if (a.err !== undefined) showError(box, a.err, line);
    else line.textContent = a.ok ?? '';
  }

  /**
   * Marks a drawn form as the one of key (renderDetail then puts its
   * request state on it).
   * @param {HTMLElement} box
   * @param {string} key
   * @returns {string} key
   */
  track(box, key) {
    box.dataset.form = key;
    return key;
  }

  /**
   * Empties the fields (by id) still holding what was sent (was), for good
   * (a redraw does not put back what was sent), when incident id is still
   * the one drawn, chosen or not; left meanwhile, they are not put back
   * with what was typed there. A field changed since it was sent (the next
   * report begun) keeps its text.
   * @param {string} id
   * @param {Map<string, string>} was
   */
  clearFields(id, was) {
    for (const [f, v] of was) this.drafts.get(id)?.sent.set(f, v); // left meanwhile: not put back
    // Still drawn (another incident chosen, not drawn yet, say): emptied
    // there, so the draft kept as it is left does not hold them.
    if (byId('detail').dataset.id === id) emptyIfStill(was, true);
  }

  /**
   * The values of the fields with these ids as drawn now: what a form
   * sends, to empty only what is still that once it is saved.
   * @param {string[]} ids
   * @returns {Map<string, string>}
   */
  typed(ids) {
    const out = new Map();
    for (const f of ids) {
      const node = textField(f);
      if (node) out.set(f, node.value);
    }
    return out;
  }

  /**
   * The screen stream's snapshot.
   * @param {any} data
   */
  snapshot(data) {
    this.incidents.clear();
    for (const s of Array.isArray(data && data.incidents) ? data.incidents : []) {
      if (s && typeof s.id === 'string' && s.status !== 'closed') this.incidents.set(s.id, s);
    }
    this.ready = true;
    this.renderList();
    if (this.selected) this.refreshSoon();
  }

  /**
   * An incident was created or changed.
   * @param {any} s the summary
   * @param {boolean} created
   */
  changed(s, created) {
    if (!s || typeof s.id !== 'string') return;
    if (s.status === 'closed') this.incidents.delete(s.id);
    else this.incidents.set(s.id, s);
    if (created && !(this.ctx.visible() && this.selected === s.id)) this.fresh.add(s.id);
    this.renderList();
    if (s.id === this.selected) this.refreshSoon();
  }

  /**
   * Something about an incident changed (an order, a deadline): refresh it
   * when it is the one selected.
   * @param {string} id
   */
  touched(id) {
    if (id && id === this.selected) this.refreshSoon();
  }

  /** Fills the grid filter with the streets and communities. */
  fillGrids(/** @type {any[]} */ features) {
    this.gridFeatures = features;
    const sel = /** @type {HTMLSelectElement} */ (byId('filter-grid'));
    const keep = sel.value;
    const first = sel.options[0];
    sel.replaceChildren(first);
    for (const f of features) {
      const p = f && f.properties;
      if (!p || (p.level !== 'street' && p.level !== 'community')) continue;
      const o = /** @type {HTMLOptionElement} */ (el('option', '', `${p.level === 'community' ? '· ' : ''}${localText({ zh: p.name, en: p.name_en })}`));
      o.value = p.code;
      sel.append(o);
    }
    sel.value = keep;
  }

  /**
   * The incidents the filters let through, by level then age.
   * @returns {any[]}
   */
  filtered() {
    const level = /** @type {HTMLSelectElement} */ (byId('filter-level')).value;
    const status = /** @type {HTMLSelectElement} */ (byId('filter-status')).value;
    const grid = /** @type {HTMLSelectElement} */ (byId('filter-grid')).value;
    const mine = /** @type {HTMLInputElement} */ (byId('filter-mine')).checked ? this.ctx.area() : '';
    const within = (/** @type {any} */ s, /** @type {string} */ code) => {
      if (!code) return true;
      const g = s.grid;
      if (!g) return false;
      if (g.code === code || String(g.code).startsWith(code)) return true;
      return Array.isArray(g.path) && g.path.some((/** @type {any} */ p) => p.code === code);
    };
    return [...this.incidents.values()]
      .filter((s) => (!level || s.level === level) && (!status || s.status === status) && within(s, grid) && within(s, mine))
      .sort(byLevelAge);
  }

  /** Renders the list and the badge of new ones. */
  renderList() {
    // New and not yet looked at counts only incidents still listed: one
    // closed elsewhere, or not in a new snapshot, is no longer news.
    for (const id of this.fresh) if (!this.incidents.has(id)) this.fresh.delete(id);
    const list = this.filtered();
    const ul = byId('incident-list');
    replaceLive(ul, () => list.map((s) => {
      const li = el('li', `desk-item level-${s.level || 'none'}${s.id === this.selected ? ' selected' : ''}${this.fresh.has(s.id) ? ' fresh' : ''}`, null, [
        el('div', 'item-head', null, spaced([badge(s.level), el('span', `tag status-${s.status}`, statusName(s.status)), s.drill ? el('span', 'tag drill', t('console.drill')) : null, this.fresh.has(s.id) ? el('span', 'tag new', t('console.new')) : null])),
        el('div', 'item-title', String(s.title ?? '')),
        el('div', 'item-meta', null, spaced([el('span', '', categoryName(s.category)), el('span', '', placeText(s)), el('span', 'age', '')])),
      ]);
      li.dataset.id = s.id;
      li.dataset.level = String(s.level ?? '');
      li.dataset.status = String(s.status ?? '');
      li.dataset.created = String(s.created_at ?? '');
      li.tabIndex = 0;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', s.id === this.selected ? 'true' : 'false');
      return li;
    }));
    byId('desk-count').textContent = this.ready ? t('list.total', { n: list.length }) : '';
    show(byId('desk-loading'), !this.ready);
    show(byId('desk-empty'), this.ready && list.length === 0);
    this.ctx.onNew(this.fresh.size);
    this.tick();
  }

  /**
   * Opens an incident.
   * @param {string} id
   */
  select(id) {
    if (!id) return;
    if (this.selected !== id) {
      this.selected = id;
      this.inc = null;
      this.report = null;
      this.reportFor = null;
      this.cands = [];
      this.orders = [];
    }
    this.fresh.delete(id);
    this.renderList();
    this.refresh();
  }

  /** The desk became visible: what is shown is no longer new. */
  seen() {
    if (this.selected) this.fresh.delete(this.selected);
    this.renderList();
    if (this.map && this.inc) this.map.show(this.inc, this.cands);
  }

  /** Refreshes the selected incident shortly (events come in bursts). */
  refreshSoon() {
    byId('detail').dataset.sync = 'pending';
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.refresh(), 150);
  }

  /** Fetches the selected incident whole, its orders and candidates. */
  async refresh() {
    const id = this.selected;
    if (!id) return;
    const gen = ++this.gen;
    // data-sync says whether a fetch (and so a re-render that replaces the
    // detail's elements) is still to come: pending, or idle once drawn.
    byId('detail').dataset.sync = 'pending';
    const command = this.ctx.role() !== 'viewer';
    const [inc, orders, cands] = await Promise.allSettled([
      api.incident(id),
      api.incidentDispatches(id),
      command ? api.candidates(id, 8) : Promise.resolve({ candidates: [] }),
    ]);
    if (gen !== this.gen || id !== this.selected) return;
    if (inc.status !== 'fulfilled') {
      byId('detail').dataset.state = 'failed';
      byId('detail').dataset.sync = 'idle';
      return;
    }
    this.inc = inc.value;
    this.orders = orders.status === 'fulfilled' && orders.value && Array.isArray(orders.value.dispatches) ? orders.value.dispatches : this.orders;
    this.cands = cands.status === 'fulfilled' && cands.value && Array.isArray(cands.value.candidates) ? cands.value.candidates : [];
    if (this.reportFor) this.loadReport(this.reportFor);
    // A fetch that brings what is already drawn (an event about a change
    // this page just fetched) redraws nothing: the elements a person is
    // using stay the same ones.
    const drawn = JSON.stringify([id, this.inc, this.orders, this.cands]);
    if (drawn !== this.drawn) {
      this.renderDetail();
      this.drawn = drawn;
    }
    if (gen === this.gen) byId('detail').dataset.sync = 'idle';
  }

  /**
   * A time in the configured zone.
   * @param {unknown} s RFC 3339
   * @param {boolean} [short]
   * @returns {string}
   */
  time(s, short = false) {
    const d = parseTime(s);
    return d ? zonedTime(d, this.ctx.tz(), short) : '';
  }

  /**
   * Renders the selected incident, keeping what a person is typing (the
   * text, the caret, a textarea's scroll); put off while a press or an input
   * method's composition is under way in it.
   */
  renderDetail() {
    const box = byId('detail');
    const body = byId('detail-body');
    if (whenFree(body, () => this.renderDetail())) return;
    const inc = this.inc;
    show(byId('detail-empty'), !inc);
    show(body, !!inc);
    if (!inc) {
      box.dataset.state = 'none';
      return;
    }
    // What was typed is put back only on a redraw of the same incident: the
    // fields have the same ids for every incident, and what was typed or
    // ticked for one must not land in another's forms. Leaving an incident
    // keeps what was typed there for when it is drawn again.
    const same = box.dataset.id === inc.id;
    const restore = keepFields(body, (f) => f.id);
    if (!same && box.dataset.id) this.keepDraft(box.dataset.id, restore);
    this.drawn = ''; // drawn from state a fetch did not bring alone
    box.dataset.state = 'loaded';
    box.dataset.id = inc.id;
    box.dataset.status = String(inc.status);
    box.dataset.level = String(inc.level ?? '');
    const role = this.ctx.role();
    const command = ['admin', 'leader', 'deputy', 'operator'].includes(role);
    const operators = ['admin', 'operator'].includes(role);
    const leaders = ['admin', 'leader'].includes(role);
    const closed = inc.status === 'closed';
    body.replaceChildren(...[
      this.head(inc),
      this.facts(inc),
      el('div', 'detail-grid', null, [
        el('div', 'detail-col', null, [
          operators && !closed ? this.dispatchBlock(inc) : null,
          this.ordersBlock(operators),
          command && !closed ? this.followUpBlock() : null,
        ].filter(Boolean)),
        el('div', 'detail-col', null, [
          leaders && !closed ? this.levelBlock(inc) : null,
          command ? this.statusBlock(inc, leaders) : null,
          this.deadlinesBlock(inc, command),
          this.reportFor ? this.reportBlock(command) : null,
        ].filter(Boolean)),
      ]),
      this.timelineBlock(inc),
    ].filter(Boolean));
    if (same) restore();
    else this.putDraft(inc.id, body);
    for (const key of new Set([...this.sending, ...this.answers.keys()])) this.paint(key);
    const mapBox = body.querySelector('#dispatch-map');
    if (mapBox instanceof HTMLElement) {
      this.map = new DispatchMap(mapBox);
      requestAnimationFrame(() => this.map && this.map.show(inc, this.cands));
    }
    this.tick();
  }

  /**
   * The incident's heading.
   * @param {any} inc
   * @returns {HTMLElement}
   */
  head(inc) {
    return el('header', 'detail-head', null, [
      el('h2', 'detail-title', null, spaced([badge(inc.level), el('span', 'title', String(inc.title ?? '')), el('span', `tag status-${inc.status}`, statusName(inc.status)), inc.drill ? el('span', 'tag drill', t('console.drill')) : null])),
      el('p', 'detail-id', `${inc.id} · ${categoryName(inc.category)} · ${this.time(inc.created_at)}`),
      inc.case_id ? el('p', 'detail-case', t('cdesk.fromCase', { id: String(inc.case_id) })) : null, // raised from a grid case (i16-cases)
      incidentWarnings(inc), // the warnings in force where and when it was recorded (issue 20)
    ]);
  }

  /**
   * The facts as now known.
   * @param {any} inc
   * @returns {HTMLElement}
   */
  facts(inc) {
    const row = (/** @type {string} */ key, /** @type {string} */ v) => (v ? [el('dt', '', t(key)), el('dd', '', v)] : []);
    const zones = Array.isArray(inc.zones) ? inc.zones.map((/** @type {any} */ z) => localText({ zh: z.name, en: z.name_en })).join(t('list.and')) : '';
    const rep = inc.reporter ? [inc.reporter.name, inc.reporter.phone].filter(Boolean).join(' ') : '';
    return el('dl', 'facts', null, [
      ...row('console.f.place', placeText(inc)),
      ...row('console.f.zones', zones),
      ...row('console.f.reporter', rep),
      ...row('console.f.description', String(inc.description ?? '')),
      ...row('console.f.casualties', casualties(inc) ? /** @type {HTMLElement} */ (casualties(inc)).textContent ?? '' : ''),
      ...row('console.f.measures', String(inc.measures_taken ?? '')),
      ...row('console.f.support', String(inc.support_needed ?? '')),
      ...row('console.f.reasons', reasonTexts(inc).join(t('incident.reasonsSep'))),
      ...(inc.summary ? row('console.f.summary', [inc.summary.outcome, inc.summary.losses, inc.summary.lessons].filter(Boolean).join(' / ')) : []),
    ]);
  }

  /**
   * Candidates with distance and ETA, on a list and a map, sent together.
   * @param {any} inc
   * @returns {HTMLElement}
   */
  dispatchBlock(inc) {
    const list = el('ul', 'cands');
    list.id = 'candidates';
    for (const c of this.cands) {
      const box = input('input', 'unit_ids', { type: 'checkbox', value: String(c.id) });
      box.id = `cand-${c.id}`;
      const label = el('label', 'cand-label', null, spaced([
        box,
        el('strong', '', String(c.callsign || c.id)),
        el('span', '', t(`unitType.${c.type}`) === `unitType.${c.type}` ? String(c.type) : t(`unitType.${c.type}`)),
        el('span', 'dist', t('console.cand.distance', { m: Math.round(Number(c.distance_m) || 0) })),
        el('span', 'eta', t('console.cand.eta', { time: countdown((Number(c.eta_s) || 0) * 1000) })),
      ]));
      label.setAttribute('for', box.id);
      const li = el('li', 'cand', null, [label]);
      li.dataset.unitId = String(c.id);
      list.append(li);
    }
    const note = input('input', 'note', { type: 'text', maxlength: '500' });
    note.id = 'dispatch-note';
    const send = button('console.cand.send', 'btn-primary', 'submit');
    send.id = 'send-units';
    const err = el('p', 'form-error');
    err.id = 'dispatch-error';
    const form = el('form', 'dispatch-form', null, [
      this.cands.length ? list : el('p', 'list-note', t('console.cand.none')),
      labelled('console.cand.note', note, 'note'),
      el('div', 'form-buttons', null, [send]),
      err,
    ]);
    form.setAttribute('novalidate', '');
    const key = this.track(form, `${inc.id}/dispatch`);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const ids = [...form.querySelectorAll('input[name=unit_ids]:checked')].map((i) => /** @type {HTMLInputElement} */ (i).value);
      if (!ids.length) {
        err.textContent = t('console.cand.pick');
        return;
      }
      // The same units sent again soon after an unknown outcome (the
      // answer lost, say) keep the key: the server sends them once and
      // answers with the first orders (or, if those have ended meanwhile,
      // refuses: the next press is a new request). Any answer but a server
      // error ends the attempt, and so does RETRY_MS without one.
      const text = note.value.trim();
      const attempt = this.attempt(key, JSON.stringify([ids, text]), 'dispatch');
      const was = this.typed(['dispatch-note']);
      const sent = await this.act(key, () => api.sendUnits(inc.id, ids, text, attempt.key));
      this.settle(key, attempt, sent);
      if (sent) {
        this.clearFields(inc.id, was);
        this.refresh();
      }
    });
    const mapBox = el('div', 'console-map dispatch-map');
    mapBox.id = 'dispatch-map';
    mapBox.setAttribute('role', 'img');
    mapBox.setAttribute('aria-label', t('console.cand.map'));
    return el('section', 'block', null, [el('h3', 'sub-title', t('console.cand.heading')), form, mapBox]);
  }

  /**
   * The orders with every step, each with cancel and redirect.
   * @param {boolean} operators
   * @returns {HTMLElement}
   */
  ordersBlock(operators) {
    const ul = el('ul', 'orders');
    ul.id = 'orders';
    for (const d of this.orders) {
      const active = ['offered', 'acked', 'en_route', 'on_scene'].includes(d.status);
      const steps = ['created_at', 'acked_at', 'en_route_at', 'on_scene_at', 'cleared_at'].filter((k) => d[k]).map((k) => el('span', `step step-${k}`, `${t(`console.order.${k}`)} ${this.time(d[k], true)}`));
      const li = el('li', `order status-${d.status}`, null, [
        el('div', 'order-head', null, spaced([el('strong', '', String(d.callsign || d.unit_id)), el('span', `tag order-status status-${d.status}`, orderStatusName(d.status)), el('span', 'order-id', String(d.id))])),
        el('div', 'order-steps', null, spaced(steps)),
        operators && active ? this.orderActions(d) : null,
      ]);
      li.dataset.dispatchId = String(d.id);
      li.dataset.unitId = String(d.unit_id ?? '');
      li.dataset.status = String(d.status);
      ul.append(li);
    }
    return el('section', 'block', null, [el('h3', 'sub-title', t('console.order.heading')), this.orders.length ? ul : el('p', 'list-note', t('console.order.none'))]);
  }

  /**
   * Cancel and redirect for one active order.
   * @param {any} d
   * @returns {HTMLElement}
   */
  orderActions(d) {
    const reason = input('input', 'reason', { type: 'text', maxlength: '500' });
    reason.id = `order-reason-${d.id}`;
    const unit = /** @type {HTMLSelectElement} */ (/** @type {unknown} */ (input('select', 'unit_id')));
    unit.id = `order-unit-${d.id}`;
    unit.append(Object.assign(document.createElement('option'), { value: '', textContent: t('console.f.choose') }));
    for (const c of this.cands) unit.append(Object.assign(document.createElement('option'), { value: c.id, textContent: String(c.callsign || c.id) }));
    const cancel = button('console.order.cancel', 'btn-small order-cancel');
    const redirect = button('console.order.redirect', 'btn-small order-redirect');
    const err = el('p', 'form-error');
    const box = el('div', 'order-actions', null, [labelled('console.order.reason', reason, 'reason'), labelled('console.order.to', unit, 'unit_id'), el('div', 'form-buttons', null, [cancel, redirect]), err]);
    const key = this.track(box, `${this.inc.id}/order/${d.id}`);
    cancel.addEventListener('click', async () => {
      if (await this.act(key, () => api.cancelDispatch(d.id, reason.value.trim()))) this.refresh();
    });
    redirect.addEventListener('click', async () => {
      if (await this.act(key, () => api.redirectDispatch(d.id, unit.value, reason.value.trim()))) this.refresh();
    });
    return box;
  }

  /**
   * A follow-up report (续报) with new facts.
   * @returns {HTMLElement}
   */
  followUpBlock() {
    const people = input('input', 'people_involved', { type: 'number', min: '0', step: '1' });
    people.id = 'fu-people';
    const deaths = input('input', 'deaths', { type: 'number', min: '0', step: '1' });
    deaths.id = 'fu-deaths';
    const injuries = input('input', 'injuries', { type: 'number', min: '0', step: '1' });
    injuries.id = 'fu-injuries';
    const desc = input('textarea', 'description', { rows: '2', maxlength: '4000' });
    desc.id = 'fu-description';
    const measures = input('textarea', 'measures_taken', { rows: '2', maxlength: '4000' });
    measures.id = 'fu-measures';
    const err = el('p', 'form-error');
    const send = button('console.fu.save', 'btn-primary', 'submit');
    send.id = 'fu-save';
    const form = el('form', 'fu-form', null, [
      el('div', 'fld-row three', null, [labelled('console.f.people', people, 'people_involved'), labelled('console.f.deaths', deaths, 'deaths'), labelled('console.f.injuries', injuries, 'injuries')]),
      labelled('console.f.description', desc, 'description'),
      labelled('console.f.measures', measures, 'measures_taken'),
      el('div', 'form-buttons', null, [send]),
      err,
    ]);
    form.id = 'followup-form';
    form.setAttribute('novalidate', '');
    const id = this.inc.id;
    const key = this.track(form, `${id}/followup`);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      /** @type {Record<string, any>} */
      const b = {};
      for (const i of [people, deaths, injuries]) if (i.value.trim() !== '') b[i.name] = Number(i.value);
      for (const i of [desc, measures]) if (i.value.trim()) b[i.name] = i.value.trim();
      // The same report sent again soon after an unknown outcome (its
      // answer lost, say) keeps its key: the server records it once. Any
      // answer but a server error ends the attempt, and so does RETRY_MS.
      const attempt = this.attempt(key, JSON.stringify(b), 'report');
      const was = this.typed(['fu-people', 'fu-deaths', 'fu-injuries', 'fu-description', 'fu-measures']);
      const saved = await this.act(key, () => api.followUp(id, b, attempt.key), t('console.fu.saved'));
      this.settle(key, attempt, saved);
      if (saved) {
        this.clearFields(id, was);
        this.refresh();
      }
    });
    return el('section', 'block', null, [el('h3', 'sub-title', t('console.fu.heading')), form]);
  }

  /**
   * The level set by a leader, with a reason.
   * @param {any} inc
   * @returns {HTMLElement}
   */
  levelBlock(inc) {
    const level = /** @type {HTMLSelectElement} */ (/** @type {unknown} */ (input('select', 'level')));
    level.id = 'level-select';
    for (const l of LEVELS) level.append(Object.assign(document.createElement('option'), { value: l, textContent: `${l} ${t(`level.${l}`)}` }));
    level.value = inc.level || 'IV';
    const reason = input('input', 'reason', { type: 'text', maxlength: '2000' });
    reason.id = 'level-reason';
    const err = el('p', 'form-error');
    const send = button('console.level.save', 'btn-primary', 'submit');
    const form = el('form', 'level-form', null, [el('div', 'fld-row', null, [labelled('console.level.level', level, 'level'), labelled('console.level.reason', reason, 'reason')]), el('div', 'form-buttons', null, [send]), err]);
    form.id = 'level-form';
    form.setAttribute('novalidate', '');
    const key = this.track(form, `${inc.id}/level`);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const was = this.typed(['level-reason']);
      if (await this.act(key, () => api.setLevel(inc.id, level.value, reason.value.trim()))) {
        this.clearFields(inc.id, was);
        this.refresh();
      }
    });
    return el('section', 'block', null, [el('h3', 'sub-title', t('console.level.heading')), form]);
  }

  /**
   * The lifecycle: the next statuses, the close with its summary, reopening.
   * @param {any} inc
   * @param {boolean} leaders
   * @returns {HTMLElement}
   */
  statusBlock(inc, leaders) {
    const closed = inc.status === 'closed';
    const next = closed ? (leaders ? ['open', 'responding', 'recovery'] : []) : /** @type {any} */ (NEXT)[inc.status] ?? [];
    const status = /** @type {HTMLSelectElement} */ (/** @type {unknown} */ (input('select', 'status')));
    status.id = 'status-select';
    for (const s of next) status.append(Object.assign(document.createElement('option'), { value: s, textContent: closed ? t('console.status.reopen', { status: statusName(s) }) : statusName(s) }));
    const reason = input('input', 'reason', { type: 'text', maxlength: '2000' });
    reason.id = 'status-reason';
    const outcome = input('textarea', 'summary.outcome', { rows: '2', maxlength: '4000' });
    outcome.id = 'summary-outcome';
    const losses = input('textarea', 'summary.losses', { rows: '2', maxlength: '4000' });
    losses.id = 'summary-losses';
    const lessons = input('textarea', 'summary.lessons', { rows: '2', maxlength: '4000' });
    lessons.id = 'summary-lessons';
    const summary = el('fieldset', 'summary', null, [el('legend', '', t('console.status.summary')), labelled('console.summary.outcome', outcome, 'summary.outcome'), labelled('console.summary.losses', losses, 'summary.losses'), labelled('console.summary.lessons', lessons, 'summary.lessons')]);
    const err = el('p', 'form-error');
    err.id = 'status-error';
    const send = button('console.status.save', 'btn-primary', 'submit');
    send.id = 'status-save';
    const form = el('form', 'status-form', null, [
      next.length ? el('div', 'fld-row', null, [labelled('console.status.to', status, 'status'), labelled('console.status.reason', reason, 'reason')]) : el('p', 'list-note', t('console.status.none')),
      summary,
      next.length ? el('div', 'form-buttons', null, [send]) : null,
      err,
    ].filter(Boolean));
    form.id = 'status-form';
    form.setAttribute('novalidate', '');
    const sync = () => show(summary, status.value === 'closed');
    status.addEventListener('change', sync);
    requestAnimationFrame(sync);
    sync();
    const key = this.track(form, `${inc.id}/status`);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      /** @type {any} */
      const b = { status: status.value, reason: reason.value.trim() };
      if (status.value === 'closed') b.summary = { outcome: outcome.value.trim(), losses: losses.value.trim(), lessons: lessons.value.trim() };
      const was = this.typed(['status-reason', 'summary-outcome', 'summary-losses', 'summary-lessons']);
      if (await this.act(key, () => api.setStatus(inc.id, b))) {
        this.clearFields(inc.id, was);
        this.refresh();
      }
    });
    return el('section', 'block', null, [el('h3', 'sub-title', t('console.status.heading')), form]);
  }

  /**
   * The reporting deadlines with their countdowns.
   * @param {any} inc
   * @param {boolean} command
   * @returns {HTMLElement}
   */
  deadlinesBlock(inc, command) {
    const ul = el('ul', 'deadlines');
    ul.id = 'deadlines';
    for (const d of Array.isArray(inc.deadlines) ? inc.deadlines : []) {
      const open = button('console.dl.open', 'btn-small open-report');
      open.dataset.deadlineId = String(d.id);
      open.addEventListener('click', () => this.loadReport(String(d.id)));
      const cd = el('span', 'countdown', '');
      if (d.status !== 'sent') cd.dataset.due = String(d.due_at ?? '');
      const li = el('li', `deadline status-${d.status}`, null, [
        el('div', 'dl-head', null, spaced([el('strong', '', t(`deadline.kind.${d.kind}`) === `deadline.kind.${d.kind}` ? String(d.kind) : t(`deadline.kind.${d.kind}`)), el('span', `tag dl-status status-${d.status}`, t(`console.dl.${d.status}`)), cd])),
        el('div', 'dl-meta', null, spaced([
          el('span', '', t('console.dl.due', { time: this.time(d.due_at) })),
          d.sent_at ? el('span', '', t('console.dl.sentAt', { time: this.time(d.sent_at) })) : null,
        ])),
        command || d.status === 'sent' ? open : null,
      ]);
      li.dataset.deadlineId = String(d.id);
      li.dataset.status = String(d.status);
      ul.append(li);
    }
    return el('section', 'block', null, [el('h3', 'sub-title', t('console.dl.heading')), ul.childElementCount ? ul : el('p', 'list-note', t('console.dl.none'))]);
  }

  /**
   * Fetches a deadline's information report and shows it.
   * @param {string} deadline
   */
  async loadReport(deadline) {
    const id = this.selected;
    if (!id) return;
    const gen = this.gen;
    this.reportFor = deadline;
    try {
      const r = await api.reportDraft(id, deadline);
      if (gen !== this.gen || id !== this.selected) return;
      if (this.report && this.report.deadline === deadline && !this.report.sent && r && !r.sent) {
        r.keepText = true; // a person may be editing it
      }
      this.report = { ...r, deadline };
      this.reportError = '';
    } catch (e) {
      this.report = { deadline, failed: true };
      this.reportError = e instanceof api.ApiError ? t('console.err.refused', { status: e.status }) : t('console.call.network');
    }
    this.renderDetail();
    if (!this.report.keepText) {
      const text = document.getElementById('report-text');
      if (text instanceof HTMLTextAreaElement) text.value = String(this.report.text ?? '');
    }
  }

  /**
   * The information report of one deadline: editable text, recipients,
   * mark as sent, export.
   * @param {boolean} command
   * @returns {HTMLElement}
   */
  reportBlock(command) {
    const r = this.report || { deadline: this.reportFor };
    const sent = !!r.sent;
    const text = input('textarea', 'text', { rows: '12', maxlength: '20000' });
    text.id = 'report-text';
    text.value = String((r.sent && r.sent.text) || r.text || '');
    if (!r.keepText) text.dataset.fresh = '1';
    text.readOnly = sent || !command;
    const tos = el('fieldset', 'fld recipients', null, [el('legend', '', t('console.report.to'))]);
    tos.dataset.field = 'to';
    const sentTo = new Set(r.sent && Array.isArray(r.sent.to) ? r.sent.to : []);
    for (const rc of Array.isArray(r.recipients) ? r.recipients : []) {
      const box = input('input', 'to', { type: 'checkbox', value: String(rc.id) });
      box.id = `to-${rc.id}`;
      box.checked = sent ? sentTo.has(rc.id) : true;
      box.disabled = sent;
      const label = el('label', 'check', null, spaced([box, el('span', '', localText(rc.name) || String(rc.id))]));
      tos.append(label);
    }
    tos.append(el('p', 'field-error'));
    const err = el('p', 'form-error', this.reportError || '');
    err.id = 'report-error';
    const save = button('console.report.save', 'btn-ghost');
    save.id = 'report-save';
    const send = button('console.report.send', 'btn-primary', 'submit');
    send.id = 'report-send';
    const exp = button('console.report.export', 'btn-ghost');
    exp.id = 'report-export';
    const close = button('console.report.close', 'btn-ghost');
    const form = el('form', 'report-form', null, [
      el('h3', 'sub-title', null, spaced([el('span', '', t('console.report.heading')), el('span', '', localText(r.name) || String(r.deadline ?? '')), r.edited ? el('span', 'tag', t('console.report.edited')) : null])),
      sent ? el('p', 'report-sent', t('console.report.sentLine', { by: String(r.sent.by ?? ''), at: this.time(r.sent.at), to: [...sentTo].map((x) => localText((r.recipients || []).find((/** @type {any} */ c) => c.id === x)?.name) || x).join(t('list.and')) })) : null,
      labelled('console.report.text', text, 'text'),
      tos,
      el('div', 'form-buttons', null, [command && !sent ? save : null, command && !sent ? send : null, exp, close].filter(Boolean)),
      err,
    ].filter(Boolean));
    form.id = 'report';
    form.dataset.deadlineId = String(r.deadline ?? '');
    form.dataset.sent = sent ? '1' : '0';
    form.dataset.state = r.failed ? 'failed' : r.text !== undefined ? 'loaded' : 'loading';
    form.setAttribute('novalidate', '');
    const inc = this.inc;
    save.addEventListener('click', async () => {
      try {
        await api.saveReport(inc.id, String(r.deadline), text.value);
        err.textContent = t('console.report.savedLine');
        this.loadReport(String(r.deadline));
      } catch (e) {
        showError(form, e, err);
      }
    });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const to = [...form.querySelectorAll('input[name=to]:checked')].map((i) => /** @type {HTMLInputElement} */ (i).value);
      send.disabled = true;
      try {
        await api.markReportSent(inc.id, String(r.deadline), to, text.value);
        this.report = null;
        await this.refresh();
        this.loadReport(String(r.deadline));
      } catch (e) {
        showError(form, e, err);
      } finally {
        send.disabled = false;
      }
    });
    exp.addEventListener('click', async () => {
      try {
        const blob = await api.reportText(inc.id, String(r.deadline));
        const a = /** @type {HTMLAnchorElement} */ (el('a'));
        a.href = URL.createObjectURL(blob);
        a.download = `${inc.id}-${r.deadline}.txt`;
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(a.href), 10000);
      } catch (e) {
        showError(form, e, err);
      }
    });
    close.addEventListener('click', () => {
      this.reportFor = null;
      this.report = null;
      this.renderDetail();
    });
    return el('section', 'block report-block', null, [form]);
  }

  /**
   * The whole timeline, oldest first.
   * @param {any} inc
   * @returns {HTMLElement}
   */
  timelineBlock(inc) {
    const ol = el('ol', 'timeline');
    ol.id = 'timeline';
    for (const e of Array.isArray(inc.timeline) ? inc.timeline : []) {
      const d = e.detail && typeof e.detail === 'object' ? e.detail : {};
      const bits = [];
      if (e.level) bits.push(t('console.tl.level', { level: String(e.level) }));
      if (e.status) bits.push(statusName(String(e.status)));
      if (e.type === 'alarm.raised' && d.kind) bits.push(alarmKindName(String(d.kind)));
      if (d.from) bits.push(t('console.tl.from', { from: String(d.from) }));
      if (d.callsign || d.unit_id) bits.push(String(d.callsign || d.unit_id));
      if (d.deadline) bits.push(t(`deadline.kind.${d.deadline}`) === `deadline.kind.${d.deadline}` ? String(d.deadline) : t(`deadline.kind.${d.deadline}`));
      if (Array.isArray(d.sent_to)) bits.push(t('console.tl.to', { to: d.sent_to.join(t('list.and')) }));
      if (Array.isArray(d.to)) bits.push(t('console.tl.to', { to: d.to.join(t('list.and')) }));
      if (d.plan_id) bits.push(String(d.plan_id));
      if (typeof d.people_involved === 'number') bits.push(t('incident.people', { n: d.people_involved }));
      const key = `console.tl.${e.type}`;
      const li = el('li', `tl-item tl-${String(e.type).replace(/\./g, '-')}`, null, [
        el('time', 'tl-time', this.time(e.at)),
        el('strong', 'tl-type', t(key) === key ? String(e.type) : t(key)),
        el('span', 'tl-by', e.by ? t('console.tl.by', { by: byName(String(e.by)) }) : ''),
        el('span', 'tl-bits', bits.join(' · ')),
        e.reason ? el('span', 'tl-reason', t('console.tl.reason', { reason: String(e.reason) })) : null,
      ]);
      li.dataset.type = String(e.type);
      ol.append(li);
    }
    return el('section', 'block timeline-block', null, [el('h3', 'sub-title', t('console.tl.heading')), ol]);
  }

  /** Moves the countdowns and ages on. */
  tick() {
    const now = serverNow();
    for (const node of document.querySelectorAll('#deadlines .countdown[data-due]')) {
      const due = Date.parse(/** @type {HTMLElement} */ (node).dataset.due ?? '');
      if (Number.isNaN(due)) continue;
      node.textContent = due >= now ? t('console.dl.left', { time: countdown(due - now) }) : t('console.dl.late', { time: countdown(due - now) });
      node.classList.toggle('late', due < now);
    }
    for (const li of document.querySelectorAll('#incident-list li.desk-item')) {
      const c = Date.parse(/** @type {HTMLElement} */ (li).dataset.created ?? '');
      const age = li.querySelector('.age');
      if (age && !Number.isNaN(c)) age.textContent = t('console.age', { time: countdown(now - c) });
    }
  }

  /** Relabels in the current language. */
  relabel() {
    if (this.gridFeatures) this.fillGrids(this.gridFeatures);
    this.renderList();
    if (this.inc) this.renderDetail();
  }

  /**
   * The order statuses of an order event, applied to the list shown.
   * @param {any} d
   */
  order(d) {
    if (!d || typeof d.id !== 'string') return;
    if (d.incident_id && d.incident_id === this.selected) {
      const i = this.orders.findIndex((o) => o.id === d.id);
      if (i >= 0) this.orders[i] = d;
      else this.orders.push(d);
      this.renderDetail();
      this.refreshSoon();
    }
  }

  /** @returns {string} grid name helper kept for the case desk */
  static gridName(/** @type {any} */ g) {
    return gridName(g);
  }
}

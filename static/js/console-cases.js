// The case desk (网格事件台) of the operator's console: the cases of the
// account's area with their time limits, every step of the seven-step loop
// (立案, 派遣, 处置 seen from the officer's report and photos, 核查, 结案,
// 评价), escalation up and back down, 挂牌督办 and 领导包案, raising a case
// into an incident, the zero report (零报告) with the day's roll-up, and the
// ledger export. console.html mounts it with mountCaseDesk(root, ctx); the
// desk builds its whole DOM inside root. Kinds come from the configuration.
// Hooks for tests: #cdesk-detail[data-late] (the case whose late answer was
// dropped); #cdesk-elsewhere (a refusal of a case no longer shown).

import { ApiError, pathSegment, request } from './api.js';
import { el, keepFields, replaceLive, whenFree } from './dom.js';
import { lang, onLangChange, t } from './i18n.js';
import { caseKindName, caseKinds, caseLevelName, caseStatusName, isMediationKind, loadCaseKinds } from './caseview.js';
import { serverDate, serverNow } from './clock.js';

/**
 * What the console hands the desk.
 * @typedef {{role: string, username: string, area?: string, onEvent: (type: string, fn: (data: any) => void) => void, onSnapshot: (fn: (data: any) => void) => void, openIncident: (id: string) => void}} DeskContext
 */

/** Statuses the filter offers, in the order of the loop. */
const STATUSES = ['collected', 'accepted', 'dispatched', 'handled', 'verified', 'closed', 'evaluated', 'rejected'];

/** Actions each status allows (as the server's gridcase.allowed). */
const ALLOWED = {
  collected: ['accept', 'reject', 'escalate', 'delegate', 'supervise', 'assign_owner'],
  accepted: ['dispatch', 'escalate', 'delegate', 'supervise', 'assign_owner'],
  dispatched: ['handle', 'escalate', 'delegate', 'supervise', 'assign_owner'],
  handled: ['verify', 'escalate', 'delegate', 'supervise', 'assign_owner'],
  verified: ['close', 'supervise', 'assign_owner'],
  closed: ['evaluate'],
};

/** Roles that decide 挂牌督办 and 领导包案. */
const LEADERS = ['leader', 'admin'];

/**
 * Mounts the case desk in root.
 * @param {HTMLElement} root the console's <section id="case-desk">
 * @param {DeskContext} ctx
 * @returns {{refresh: () => Promise<void>}}
 */
export function mountCaseDesk(root, ctx) {
  /** @type {any[]} */
  let cases = [];
  /** @type {any|null} the selected case with its timeline */
  let detail = null;
  /** @type {string} */
  let selected = '';
  let listFailed = false;
  /** @type {any|null} */
  let rollup = null;
  /** @type {{id: string, name: string}[]} */
  let categories = [];
  /** @type {string[]} */
  let officers = [];
  let tz = 'Asia/Shanghai';
  /** @type {Map<string, string>} photo data URLs by id/n */
  const photos = new Map();
  /** @type {Set<string>} the action requests under way, by case id/action */
  const sending = new Set();
  /** @type {Map<string, {id: string, action: string, err: unknown}>} the refusal each action form got, by case id/action */
  const formErrors = new Map();

  if (!document.querySelector('link[href="/console-cases.css"]')) {
    const link = /** @type {HTMLLinkElement} */ (document.createElement('link'));
    link.rel = 'stylesheet';
    link.href = '/console-cases.css';
    document.head.append(link);
  }
  root.replaceChildren();
  root.classList.add('cdesk');

  // --- Header, filters and the list ---------------------------------------
  const heading = el('h2', 'cdesk-title');
  const listStatus = el('p', 'cdesk-status');
  listStatus.setAttribute('role', 'status');
  // A refusal that came back once its case was no longer shown.
  const elsewhere = el('p', 'cdesk-elsewhere');
  elsewhere.id = 'cdesk-elsewhere';
  elsewhere.setAttribute('role', 'alert');
  elsewhere.hidden = true;
  const fStatus = select('status');
  const fKind = select('kind');
  const fOverdue = select('overdue');
  const fSupervised = select('supervised');
  const reload = button('cdesk.refresh', () => {
    void refresh();
    void loadRollup();
    if (selected) void open(selected);
  }, 'cdesk-refresh');
  const filters = el('div', 'cdesk-filters', null, [
    field('cdesk.filter.status', fStatus), field('cdesk.filter.kind', fKind),
    field('cdesk.filter.overdue', fOverdue), field('cdesk.filter.supervised', fSupervised), reload,
  ]);
  const list = el('ul', 'cdesk-list');
  list.id = 'cdesk-list';
  const detailBox = el('div', 'cdesk-detail');
  detailBox.id = 'cdesk-detail';
  const listCol = el('div', 'cdesk-col cdesk-col-list', null, [filters, listStatus, elsewhere, list]);
  const main = el('div', 'cdesk-main', null, [listCol, detailBox]);

  // --- Zero report and roll-up --------------------------------------------
  const daily = el('section', 'cdesk-daily');
  daily.id = 'cdesk-daily';
  // --- Ledger export -------------------------------------------------------
  const ledger = el('section', 'cdesk-ledger');
  ledger.id = 'cdesk-ledger';
  root.append(heading, main, el('div', 'cdesk-bottom', null, [daily, ledger]));

  for (const f of [fStatus, fKind, fOverdue, fSupervised]) f.addEventListener('change', () => void refresh());
  list.addEventListener('click', (ev) => {
    const li = ev.target instanceof Element ? ev.target.closest('li[data-id]') : null;
    if (li instanceof HTMLElement && li.dataset.id) void open(li.dataset.id);
  });
  list.addEventListener('keydown', (ev) => {
    const li = ev.target instanceof Element ? ev.target.closest('li[data-id]') : null;
    if (ev.key === 'Enter' && li instanceof HTMLElement && li.dataset.id) void open(li.dataset.id);
  });

  // --- Helpers -------------------------------------------------------------
  /**
   * A select with name.
   * @param {string} name
   * @returns {HTMLSelectElement}
   */
  function select(name) {
    const s = /** @type {HTMLSelectElement} */ (el('select', 'field'));
    s.name = name;
    return s;
  }

  /**
   * A labelled field with its own error line; the control's name is the
   * API's field name.
   * @param {string} labelKey
   * @param {HTMLElement} control
   * @returns {HTMLElement}
   */
  function field(labelKey, control) {
    const id = `cdesk-${Math.random().toString(36).slice(2, 9)}`;
    control.id = id;
    const label = /** @type {HTMLLabelElement} */ (el('label', 'field-label', t(labelKey)));
    label.htmlFor = id;
    const err = el('p', 'cdesk-err');
    err.dataset.errFor = control.getAttribute('name') ?? '';
    err.hidden = true;
    return el('div', 'cdesk-field', null, [label, control, err]);
  }

  /**
   * @param {string} tag
   * @param {string} name
   * @param {string} [type]
   * @returns {HTMLInputElement}
   */
  function input(tag, name, type) {
    const i = /** @type {HTMLInputElement} */ (el(tag, 'field'));
    i.name = name;
    if (type) i.type = type;
    return i;
  }

  /**
   * @param {string} key
   * @param {() => void} fn
   * @param {string} [cls]
   * @returns {HTMLButtonElement}
   */
  function button(key, fn, cls = '') {
    const b = /** @type {HTMLButtonElement} */ (el('button', `btn ${cls}`.trim(), t(key)));
    b.type = 'button';
    b.addEventListener('click', fn);
    return b;
  }

  /**
   * A time in the configured zone.
   * @param {string|null|undefined} s
   * @returns {string}
   */
  function when(s) {
    if (!s) return '';
    const d = new Date(s);
    if (Number.isNaN(d.getTime())) return '';
    return new Intl.DateTimeFormat(lang() === 'en' ? 'en-GB' : 'zh-CN', {
      timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
    }).format(d);
  }

  /**
   * Today in the configured zone, YYYY-MM-DD.
   * @returns {string}
   */
  function today() {
    return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(serverDate());
  }

  /**
   * The time left to a due time, or the overdue mark.
   * @param {any} c
   * @returns {{text: string, overdue: boolean}}
   */
  function left(c) {
    if (!c.due_at) return { text: '', overdue: !!c.overdue };
    const ms = new Date(c.due_at).getTime() - serverNow();
    if (ms <= 0 || c.overdue) return { text: t('cdesk.overdue'), overdue: true };
    const m = Math.floor(ms / 60000);
    const h = Math.floor(m / 60);
    const text = h >= 24 ? t('cdesk.left.days', { d: Math.floor(h / 24), h: h % 24 }) : t('cdesk.left.hm', { h, m: m % 60 });
    return { text, overdue: false };
  }

  /**
   * A request's refusal as lines of text, each field's in the catalogue's words.
   * @param {unknown} err
   * @returns {string[]}
   */
  function errorTexts(err) {
    if (err instanceof ApiError && err.problem && Array.isArray(err.problem.errors)) {
      return err.problem.errors.map((/** @type {any} */ fe) => fieldText(fe, true));
    }
    if (err instanceof ApiError) {
      return [t(`cdesk.http.${err.status}`) === `cdesk.http.${err.status}` ? t('cdesk.http.other', { msg: err.problem?.detail ?? err.message }) : t(`cdesk.http.${err.status}`)];
    }
    return [t('cdesk.offline')];
  }

  /**
   * A field's refusal in the catalogue's words, or the server's message
   * (after the field's name when it is not shown beside it).
   * @param {any} fe a problem's field error
   * @param {boolean} named
   * @returns {string}
   */
  function fieldText(fe, named) {
    // A text over its length, whichever field: the limit, not the field's
    // usual words (a note's are "say what there is").
    const long = /^at most (\d+) characters/.exec(String(fe.message ?? ''));
    if (long) return t('cdesk.bad.tooLong', { n: Number(long[1]) });
    const key = `cdesk.bad.${fe.field}`;
    return t(key) === key ? t('cdesk.bad.other', { msg: named ? `${fe.field}: ${fe.message}` : fe.message }) : t(key);
  }

  /**
   * Shows a request's field errors beside their fields in form, the rest
   * on the form's own line; nothing is cleared from the inputs.
   * @param {HTMLElement} form
   * @param {unknown} err
   */
  function showErrors(form, err) {
    for (const p of form.querySelectorAll('.cdesk-err')) {
      p.textContent = '';
      /** @type {HTMLElement} */ (p).hidden = true;
    }
    for (const c of form.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
    if (!err) return;
    const general = /** @type {HTMLElement|null} */ (form.querySelector('.cdesk-form-err'));
    /** @type {string[]} */
    const rest = [];
    if (err instanceof ApiError && err.problem && Array.isArray(err.problem.errors)) {
      for (const fe of err.problem.errors) {
        const p = /** @type {HTMLElement|null} */ (form.querySelector(`.cdesk-err[data-err-for="${CSS.escape(String(fe.field))}"]`));
        if (p) {
          p.textContent = fieldText(fe, false);
          p.title = String(fe.message);
          p.hidden = false;
          form.querySelector(`[name="${CSS.escape(String(fe.field))}"]`)?.setAttribute('aria-invalid', 'true');
        } else {
          rest.push(fieldText(fe, true));
        }
      }
    } else {
      rest.push(...errorTexts(err));
    }
    if (general) {
      general.textContent = rest.join(' ');
      general.hidden = rest.length === 0;
    }
  }

  // --- Loading -------------------------------------------------------------
  /** Loads the list with the filters. */
  async function refresh() {
    const q = new URLSearchParams();
    if (fStatus.value) q.set('status', fStatus.value);
    if (fKind.value) q.set('kind', fKind.value);
    if (fOverdue.value) q.set('overdue', fOverdue.value);
    try {
      const res = await request('GET', `/api/v1/cases?${q}`);
      cases = Array.isArray(res?.cases) ? res.cases : [];
      if (fSupervised.value === 'true') cases = cases.filter((c) => c.supervision);
      if (fSupervised.value === 'false') cases = cases.filter((c) => !c.supervision);
      listFailed = false;
    } catch {
      listFailed = true;
    }
    renderList();
  }

  /**
   * Opens a case: its facts, photos, timeline and actions.
   * @param {string} id
   */
  async function open(id) {
    selected = id;
    if (elsewhere.dataset.caseId === id) elsewhere.hidden = true; // back on the case it was about
    let got;
    try {
      got = await request('GET', `/api/v1/cases/${pathSegment(id)}`);
    } catch (err) {
      if (selected !== id) return; // another case was opened meanwhile
      detail = null;
      detailBox.replaceChildren(el('p', 'cdesk-err', err instanceof ApiError && err.status === 404 ? t('cdesk.gone') : t('cdesk.offline')));
      return;
    }
    if (selected !== id) { // a late answer for a case no longer open
      detailBox.dataset.late = id; // a hook for tests: dropped
      return;
    }
    detail = got;
    renderList();
    renderDetail();
  }

  /** Loads the roll-up of the date shown. */
  async function loadRollup() {
    const date = /** @type {HTMLInputElement|null} */ (daily.querySelector('input[name="date"].cdesk-rollup-date'))?.value || today();
    try {
      rollup = await request('GET', `/api/v1/daily-reports?date=${encodeURIComponent(date)}`);
    } catch {
      rollup = null;
    }
    renderDaily(false);
  }

  // --- Rendering -----------------------------------------------------------
  /** Fills the filters' options in the current language. */
  function renderFilters() {
    reload.textContent = t('cdesk.refresh');
    /**
     * @param {HTMLSelectElement} s
     * @param {[string, string][]} opts
     */
    const fill = (s, opts) => {
      const v = s.value;
      s.replaceChildren(...opts.map(([value, text]) => {
        const o = /** @type {HTMLOptionElement} */ (el('option', '', text));
        o.value = value;
        return o;
      }));
      s.value = v;
    };
    fill(fStatus, [['', t('cdesk.all')], ...STATUSES.map((s) => /** @type {[string, string]} */ ([s, caseStatusName(s)]))]);
    fill(fKind, [['', t('cdesk.all')], ...caseKinds().map((k) => /** @type {[string, string]} */ ([k.id, caseKindName(k.id)]))]);
    fill(fOverdue, [['', t('cdesk.all')], ['true', t('cdesk.yes')], ['false', t('cdesk.no')]]);
    fill(fSupervised, [['', t('cdesk.all')], ['true', t('cdesk.yes')], ['false', t('cdesk.no')]]);
    for (const lab of filters.querySelectorAll('label')) {
      const key = { status: 'cdesk.filter.status', kind: 'cdesk.filter.kind', overdue: 'cdesk.filter.overdue', supervised: 'cdesk.filter.supervised' }[
        /** @type {HTMLSelectElement} */ (document.getElementById(/** @type {HTMLLabelElement} */ (lab).htmlFor))?.name ?? ''];
      if (key) lab.textContent = t(key);
    }
  }

  /** Renders the case list. */
  function renderList() {
    heading.textContent = t('cdesk.title');
    listStatus.textContent = listFailed ? t('cdesk.offline') : (cases.length === 1 ? t('cdesk.count.one') : t('cdesk.count', { n: cases.length }));
    replaceLive(list, () => cases.map((c) => {
      const due = left(c);
      const li = el('li', 'cdesk-item', null, [
        el('span', 'cdesk-kind', caseKindName(c.kind)),
        el('span', 'cdesk-item-title', c.title),
        el('span', `cdesk-tag status-${c.status}`, caseStatusName(c.status)),
        el('span', 'cdesk-level', caseLevelName(c.handling_level)),
        due.text ? el('span', due.overdue ? 'cdesk-due overdue' : 'cdesk-due', due.text) : null,
        c.supervision ? el('span', 'cdesk-mark supervised', t('cdesk.supervised')) : null,
        c.leader_owner ? el('span', 'cdesk-mark owned', t('cdesk.ownedBy', { who: c.leader_owner })) : null,
        c.incident_id ? el('span', 'cdesk-mark raised', c.incident_id) : null,
      ]);
      li.dataset.id = c.id;
      li.dataset.status = c.status;
      li.dataset.overdue = String(due.overdue);
      li.tabIndex = 0;
      if (c.id === selected) li.setAttribute('aria-current', 'true');
      return li;
    }).concat(cases.length === 0 ? [el('li', 'cdesk-empty', t('cdesk.empty'))] : []));
  }

  /**
   * A row of the facts table.
   * @param {string} key
   * @param {string|Node} value
   * @returns {HTMLElement[]}
   */
  function fact(key, value) {
    const dd = el('dd', '');
    dd.append(value);
    return [el('dt', '', t(key)), dd];
  }

  /**
   * Renders the selected case; put off while a press or an input method's
   * composition is under way in it.
   */
  function renderDetail() {
    if (whenFree(detailBox, renderDetail)) return;
    const c = detail;
    if (!c) {
      detailBox.replaceChildren(el('p', 'cdesk-hint', t('cdesk.pick')));
      return;
    }
    const due = left(c);
    const dl = el('dl', 'cdesk-facts', null, [
      ...fact('cdesk.f.id', c.id),
      ...fact('cdesk.f.kind', caseKindName(c.kind)),
      ...fact('cdesk.f.status', caseStatusName(c.status)),
      ...fact('cdesk.f.level', caseLevelName(c.handling_level)),
      ...fact('cdesk.f.grid', c.grid ? (lang() === 'en' && c.grid.name_en ? c.grid.name_en : c.grid.name) : ''),
      ...fact('cdesk.f.due', due.text ? `${when(c.due_at)} (${due.text})` : '—'),
      ...fact('cdesk.f.owner', c.owner ?? ''),
      ...(c.reporter ? fact('cdesk.f.reporter', `${c.reporter.name ?? ''} ${c.reporter.phone ?? ''}`.trim()) : []),
      ...fact('cdesk.f.people', String(c.people_involved ?? 0)),
      ...(c.assignee ? fact('cdesk.f.assignee', c.assignee) : []),
      ...(c.result ? fact('cdesk.f.result', c.result) : []),
      ...(c.mediation ? fact('cdesk.f.mediation', t(`cdesk.mediation.${c.mediation}`)) : []),
      ...(c.satisfaction ? fact('cdesk.f.satisfaction', String(c.satisfaction)) : []),
      ...(c.supervision ? fact('cdesk.f.supervision', t('cdesk.supervisedUntil', { at: when(c.supervision.due_at), by: c.supervision.by, reason: c.supervision.reason })) : []),
      ...(c.leader_owner ? fact('cdesk.f.leaderOwner', c.leader_owner) : []),
    ]);
    if (c.incident_id) {
      const b = button('cdesk.openIncident', () => ctx.openIncident(c.incident_id), 'cdesk-incident-link');
      b.textContent = t('cdesk.openIncident', { id: c.incident_id });
      b.dataset.incident = c.incident_id;
      dl.append(...fact('cdesk.f.incident', b));
    }
    const title = el('h3', 'cdesk-detail-title', c.title);
    const desc = c.description ? el('p', 'cdesk-desc', c.description) : null;
    const gallery = el('div', 'cdesk-photos');
    for (const p of c.photos ?? []) gallery.append(photoNode(c.id, p.n));
    const timeline = el('ol', 'cdesk-timeline', null, (c.timeline ?? []).map((/** @type {any} */ e) => el('li', '', null, [
      el('span', 'cdesk-tl-at', when(e.at)),
      el('span', 'cdesk-tl-action', t(`cdesk.act.${e.action}`) === `cdesk.act.${e.action}` ? e.action : t(`cdesk.act.${e.action}`)),
      el('span', 'cdesk-tl-by', e.by),
      e.reason ? el('span', 'cdesk-tl-reason', e.reason) : null,
      e.detail && e.detail.result ? el('span', 'cdesk-tl-reason', e.detail.result) : null,
    ])));
    // What was typed in the action forms survives a redraw (a live update
    // of the same case): the forms that remain get it back, with the caret,
    // the errors shown and a request under way.
    const same = detailBox.dataset.caseId === c.id;
    const restore = keepFields(detailBox, (f) => f.closest('form[data-action]') ? fieldKey(f) : '');
    detailBox.replaceChildren(title, desc ?? '', dl, gallery, el('div', 'cdesk-actions', null, actions(c)),
      el('h4', 'cdesk-sub', t('cdesk.timeline')), timeline);
    detailBox.dataset.caseId = c.id;
    if (same) restore();
    for (const [key, { id, action, err }] of formErrors) {
      if (id !== c.id) formErrors.delete(key); // shown for a case no longer open
      const form = id === c.id ? formOf(action) : null;
      if (form) showErrors(form, err);
    }
  }

  /**
   * The shown form of an action of the case shown, if any.
   * @param {string} action
   * @returns {HTMLElement|null}
   */
  function formOf(action) {
    return detailBox.querySelector(`form[data-action="${CSS.escape(action)}"]`);
  }

  /**
   * A form control's key: its form's action and its name.
   * @param {HTMLElement} node
   * @returns {string}
   */
  function fieldKey(node) {
    const form = node.closest('form[data-action]');
    return `${form instanceof HTMLElement ? form.dataset.action : ''}/${node.getAttribute('name') ?? ''}`;
  }

  /**
   * A photo of a case, fetched with the session and shown as a data URL.
   * @param {string} id
   * @param {number} n
   * @returns {HTMLElement}
   */
  function photoNode(id, n) {
    const img = /** @type {HTMLImageElement} */ (el('img', 'cdesk-photo'));
    img.alt = t('cdesk.photoAlt', { n });
    const key = `${id}/${n}`;
    const have = photos.get(key);
    if (have) {
      img.src = have;
      return img;
    }
    request('GET', `/api/v1/cases/${pathSegment(id)}/photos/${n}`, { blob: true }).then((blob) => new Promise((resolve, reject) => {
      const r = new FileReader();
      r.onload = () => resolve(String(r.result));
      r.onerror = () => reject(r.error);
      r.readAsDataURL(blob);
    })).then((url) => {
      photos.set(key, /** @type {string} */ (url));
      img.src = /** @type {string} */ (url);
    }, () => {});
    return img;
  }

  /**
   * One action's form: its fields, a button and the error lines.
   * @param {string} action
   * @param {string} labelKey the button's text
   * @param {HTMLElement[]} fields
   * @param {(form: HTMLElement) => Record<string, any>} body
   * @param {string} [path] posts there instead of the actions route
   * @returns {HTMLElement}
   */
  function actionForm(action, labelKey, fields, body, path) {
    const form = el('form', `cdesk-form cdesk-form-${action}`);
    form.dataset.action = action;
    const err = el('p', 'cdesk-form-err');
    err.setAttribute('role', 'alert');
    err.hidden = true;
    const submit = /** @type {HTMLButtonElement} */ (el('button', 'btn', t(labelKey)));
    submit.type = 'submit';
    const id = detail?.id ?? '';
    submit.disabled = sending.has(`${id}/${action}`);
    form.append(...fields, submit, err);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const key = `${id}/${action}`;
      if (!detail || detail.id !== id || sending.has(key)) return;
      sending.add(key);
      submit.disabled = true;
      // A live update may redraw the form while the request is under way:
      // what it answers goes to the form of this case shown then.
      const shown = () => (selected === id && detailBox.dataset.caseId === id ? formOf(action) : null);
      try {
        const res = await request('POST', path ?? `/api/v1/cases/${pathSegment(id)}/actions`, { body: body(form) });
        formErrors.delete(key);
        const f = shown();
        if (f) {
          showErrors(f, null);
          /** @type {HTMLFormElement} */ (f).reset(); // saved: nothing typed is carried over
        }
        if (path && res && res.id) ctx.openIncident(res.id);
        sending.delete(key);
        if (selected === id) await open(id);
        void refresh();
      } catch (e) {
        if (selected === id) formErrors.set(key, { id, action, err: e });
        const f = shown();
        if (f) showErrors(f, e);
        else if (selected !== id) {
          elsewhere.textContent = t('cdesk.elsewhere', { id, action: t(labelKey), why: errorTexts(e).join(' ') });
          elsewhere.dataset.caseId = id;
          elsewhere.hidden = false;
        }
      } finally {
        sending.delete(key);
        const b = shown()?.querySelector('button[type="submit"]');
        if (b instanceof HTMLButtonElement) b.disabled = false;
        submit.disabled = false;
      }
    });
    return form;
  }

  /**
   * The value of a named control in form.
   * @param {HTMLElement} form
   * @param {string} name
   * @returns {string}
   */
  function val(form, name) {
    const c = /** @type {HTMLInputElement|null} */ (form.querySelector(`[name="${name}"]`));
    return c ? c.value.trim() : '';
  }

  /**
   * A textarea named name, of at most max characters (the server's limit
   * for it: a case action's note 2000, a result and a daily report 4000).
   * @param {string} name
   * @param {number} max
   * @returns {HTMLTextAreaElement}
   */
  function area(name, max) {
    const a = /** @type {HTMLTextAreaElement} */ (el('textarea', 'field'));
    a.name = name;
    a.rows = 2;
    a.maxLength = max;
    return a;
  }

  /**
   * A one-line reason, of at most the server's 2000 characters.
   * @returns {HTMLInputElement}
   */
  function reason() {
    const r = /** @type {HTMLInputElement} */ (input('input', 'reason', 'text'));
    r.maxLength = 2000;
    return r;
  }

  /**
   * A select of value → text pairs named name.
   * @param {string} name
   * @param {[string, string][]} opts
   * @returns {HTMLSelectElement}
   */
  function choice(name, opts) {
    const s = select(name);
    for (const [v, text] of opts) {
      const o = /** @type {HTMLOptionElement} */ (el('option', '', text));
      o.value = v;
      s.append(o);
    }
    return s;
  }

  /**
   * The actions the case's status and the caller's role allow.
   * @param {any} c
   * @returns {HTMLElement[]}
   */
  function actions(c) {
    const allowed = /** @type {Record<string, string[]>} */ (ALLOWED)[c.status] ?? [];
    const leader = LEADERS.includes(ctx.role);
    /** @type {HTMLElement[]} */
    const out = [];
    const may = (/** @type {string} */ a) => allowed.includes(a);
    if (may('accept')) out.push(actionForm('accept', 'cdesk.do.accept', [], () => ({ action: 'accept' })));
    if (may('reject')) out.push(actionForm('reject', 'cdesk.do.reject', [field('cdesk.l.reason', reason())], (f) => ({ action: 'reject', reason: val(f, 'reason') })));
    if (may('dispatch')) {
      const who = input('input', 'assignee', 'text');
      const dl = el('datalist', '');
      dl.id = 'cdesk-assignees';
      for (const u of officers) {
        const o = /** @type {HTMLOptionElement} */ (el('option', ''));
        o.value = u;
        dl.append(o);
      }
      who.setAttribute('list', dl.id);
      out.push(actionForm('dispatch', 'cdesk.do.dispatch', [field('cdesk.l.assignee', who), dl], (f) => ({ action: 'dispatch', assignee: val(f, 'assignee') })));
    }
    if (may('handle') && c.assignee === ctx.username) {
      const fields = [field('cdesk.l.result', area('result', 4000))];
      if (isMediationKind(c.kind)) fields.push(field('cdesk.l.mediation', choice('mediation', [['', ''], ['success', t('cdesk.mediation.success')], ['failed', t('cdesk.mediation.failed')]])));
      out.push(actionForm('handle', 'cdesk.do.handle', fields, (f) => {
        /** @type {Record<string, any>} */
        const b = { action: 'handle', result: val(f, 'result') };
        if (isMediationKind(c.kind)) b.mediation = val(f, 'mediation');
        return b;
      }));
    } else if (may('handle')) {
      out.push(el('p', 'cdesk-hint', t('cdesk.waitHandle', { who: c.assignee ?? '' })));
    }
    if (may('verify')) {
      out.push(actionForm('verify', 'cdesk.do.verify', [
        field('cdesk.l.passed', choice('passed', [['true', t('cdesk.passed.yes')], ['false', t('cdesk.passed.no')]])),
        field('cdesk.l.note', area('note', 2000)),
      ], (f) => ({ action: 'verify', passed: val(f, 'passed') === 'true', note: val(f, 'note') })));
    }
    if (may('close')) out.push(actionForm('close', 'cdesk.do.close', [field('cdesk.l.note', area('note', 2000))], (f) => ({ action: 'close', note: val(f, 'note') })));
    if (may('evaluate')) {
      out.push(actionForm('evaluate', 'cdesk.do.evaluate', [
        field('cdesk.l.satisfaction', choice('satisfaction', [['', ''], ...[5, 4, 3, 2, 1].map((n) => /** @type {[string, string]} */ ([String(n), t(`cdesk.sat.${n}`)]))])),
        field('cdesk.l.note', area('note', 2000)),
      ], (f) => ({ action: 'evaluate', satisfaction: Number(val(f, 'satisfaction')) || 0, note: val(f, 'note') })));
    }
    if (may('escalate') && c.handling_level !== 'district') {
      out.push(actionForm('escalate', 'cdesk.do.escalate', [field('cdesk.l.reason', reason())], (f) => ({ action: 'escalate', reason: val(f, 'reason') })));
    }
    if (may('delegate') && c.handling_level !== 'grid') {
      out.push(actionForm('delegate', 'cdesk.do.delegate', [field('cdesk.l.reason', reason())], (f) => ({ action: 'delegate', reason: val(f, 'reason') })));
    }
    if (may('supervise') && leader) {
      out.push(actionForm('supervise', 'cdesk.do.supervise', [
        field('cdesk.l.dueDate', input('input', 'due_at', 'date')),
        field('cdesk.l.reason', reason()),
      ], (f) => {
        const d = val(f, 'due_at');
        // The end of the chosen local day in the configured zone (+08:00 for Chinese deployments).
        return { action: 'supervise', due_at: d ? `${d}T23:59:59${offset()}` : '', reason: val(f, 'reason') };
      }));
    }
    if (may('assign_owner') && leader) {
      out.push(actionForm('assign_owner', 'cdesk.do.assignOwner', [field('cdesk.l.account', input('input', 'account', 'text'))], (f) => ({ action: 'assign_owner', account: val(f, 'account') })));
    }
    if (!c.incident_id && ['admin', 'operator', 'leader', 'deputy'].includes(ctx.role)) {
      const cat = choice('category', [['', ''], ...categories.map((x) => /** @type {[string, string]} */ ([x.id, x.name]))]);
      const title = input('input', 'title', 'text');
      title.maxLength = 200;
      title.value = c.title;
      out.push(actionForm('raise', 'cdesk.do.raise', [
        el('h4', 'cdesk-sub', t('cdesk.raiseHeading')),
        field('cdesk.l.category', cat),
        field('cdesk.l.title', title),
      ], (f) => ({ category: val(f, 'category'), title: val(f, 'title') }), `/api/v1/cases/${pathSegment(c.id)}/raise`));
    }
    return out;
  }

  /**
   * The configured zone's UTC offset now, as +hh:mm.
   * @returns {string}
   */
  function offset() {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' }).formatToParts(serverDate());
    const name = parts.find((p) => p.type === 'timeZoneName')?.value ?? 'GMT+08:00';
    const m = /GMT([+-]\d\d:\d\d)/.exec(name);
    return m ? m[1] : 'Z';
  }

  /**
   * Renders the zero-report form and the roll-up; the form is rebuilt only
   * when asked, so typing survives live updates.
   * @param {boolean} rebuildForm
   */
  function renderDaily(rebuildForm) {
    let form = /** @type {HTMLElement|null} */ (daily.querySelector('form.cdesk-zero'));
    let dateBox = /** @type {HTMLInputElement|null} */ (daily.querySelector('input.cdesk-rollup-date'));
    if (!form || !dateBox || rebuildForm) {
      const areaSel = choice('area', (rollup?.areas ?? []).map((/** @type {any} */ a) => /** @type {[string, string]} */ ([a.code, areaName(a)])));
      const nothing = input('input', 'nothing_to_report', 'checkbox');
      nothing.checked = true;
      nothing.classList.remove('field');
      const note = area('note', 4000);
      const err = el('p', 'cdesk-form-err');
      err.hidden = true;
      const submit = /** @type {HTMLButtonElement} */ (el('button', 'btn', t('cdesk.do.zero')));
      submit.type = 'submit';
      form = el('form', 'cdesk-zero', null, [field('cdesk.l.area', areaSel), field('cdesk.l.nothing', nothing), field('cdesk.l.dailyNote', note), submit, err]);
      const f = form;
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        submit.disabled = true;
        try {
          await request('POST', '/api/v1/daily-reports', { body: { area: areaSel.value, nothing_to_report: nothing.checked, note: note.value.trim() } });
          showErrors(f, null);
          note.value = '';
          await loadRollup();
        } catch (e) {
          showErrors(f, e);
        } finally {
          submit.disabled = false;
        }
      });
      dateBox = input('input', 'date', 'date');
      dateBox.classList.add('cdesk-rollup-date');
      dateBox.value = rollup?.date ?? today();
      dateBox.addEventListener('change', () => void loadRollup());
      const rollList = el('ul', 'cdesk-rollup');
      rollList.id = 'cdesk-rollup';
      daily.replaceChildren(el('h3', 'cdesk-sub', t('cdesk.zeroHeading')), form, el('h3', 'cdesk-sub', t('cdesk.rollupHeading')),
        field('cdesk.l.rollupDate', dateBox), el('p', 'cdesk-due-line'), rollList);
    }
    const dueLine = /** @type {HTMLElement} */ (daily.querySelector('.cdesk-due-line'));
    dueLine.textContent = rollup ? t('cdesk.rollupDue', { at: when(rollup.due_at) }) : t('cdesk.offline');
    const rollList = /** @type {HTMLElement} */ (daily.querySelector('#cdesk-rollup'));
    replaceLive(rollList, () => (rollup?.areas ?? []).map((/** @type {any} */ a) => {
      const li = el('li', a.reported ? 'reported' : 'missing', null, [
        el('span', 'cdesk-rollup-name', areaName(a)),
        el('span', 'cdesk-rollup-state', a.reported ? (a.nothing_to_report ? t('cdesk.rollup.zero') : t('cdesk.rollup.reported')) : t('cdesk.rollup.missing')),
        a.reported ? el('span', 'cdesk-rollup-by', t('cdesk.rollup.by', { at: when(a.at), by: a.by })) : null,
        a.note ? el('span', 'cdesk-rollup-note', a.note) : null,
      ]);
      li.dataset.area = a.code;
      li.dataset.reported = String(!!a.reported);
      return li;
    }));
  }

  /**
   * A reporting area's name in the current language.
   * @param {any} a
   * @returns {string}
   */
  function areaName(a) {
    return (lang() === 'en' && a.name_en) || a.name || a.code;
  }

  /** Renders the ledger export form. */
  function renderLedger() {
    const from = input('input', 'from', 'date');
    const to = input('input', 'to', 'date');
    const d = today();
    from.value = `${d.slice(0, 8)}01`;
    to.value = d;
    const err = el('p', 'cdesk-form-err');
    err.hidden = true;
    const submit = /** @type {HTMLButtonElement} */ (el('button', 'btn', t('cdesk.do.export')));
    submit.type = 'submit';
    const form = el('form', 'cdesk-export', null, [field('cdesk.l.from', from), field('cdesk.l.to', to), submit, err]);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const q = new URLSearchParams({ from: from.value, to: to.value, lang: lang() });
      try {
        const blob = await request('GET', `/api/v1/cases/export.csv?${q}`, { blob: true });
        showErrors(form, null);
        const url = await new Promise((resolve, reject) => {
          const r = new FileReader();
          r.onload = () => resolve(String(r.result));
          r.onerror = () => reject(r.error);
          r.readAsDataURL(blob);
        });
        const a = /** @type {HTMLAnchorElement} */ (el('a', ''));
        a.href = /** @type {string} */ (url);
        a.download = `cases-${from.value}-${to.value}.csv`;
        document.body.append(a);
        a.click();
        a.remove();
      } catch (e) {
        showErrors(form, e);
      }
    });
    ledger.replaceChildren(el('h3', 'cdesk-sub', t('cdesk.ledgerHeading')), form);
  }

  /** Renders everything in the current language. */
  function renderAll() {
    renderFilters();
    renderList();
    renderDetail();
    renderDaily(true);
    renderLedger();
  }

  // --- Live updates --------------------------------------------------------
  /** @param {any} c */
  const onCase = (c) => {
    void refresh();
    if (c && c.id === selected) void open(selected);
  };
  ctx.onEvent('case.created', onCase);
  ctx.onEvent('case.updated', onCase);
  ctx.onEvent('daily_report.submitted', () => void loadRollup());
  ctx.onSnapshot(() => void refresh());
  onLangChange(renderAll);
  setInterval(() => {
    for (const li of list.querySelectorAll('li[data-id]')) {
      const c = cases.find((x) => x.id === /** @type {HTMLElement} */ (li).dataset.id);
      const span = li.querySelector('.cdesk-due');
      if (c && span) {
        const due = left(c);
        span.textContent = due.text;
        span.classList.toggle('overdue', due.overdue);
      }
    }
  }, 30000);

  /** Loads what the desk needs once, then the list and the roll-up. */
  async function start() {
    const [cfg, cats, units] = await Promise.all([
      request('GET', '/api/v1/config').catch(() => null),
      request('GET', '/api/v1/categories').catch(() => []),
      request('GET', '/api/v1/units').catch(() => null),
      loadCaseKinds().catch(() => []),
    ]);
    if (cfg && cfg.timezone) tz = cfg.timezone;
    categories = Array.isArray(cats) ? cats.map((x) => ({ id: x.id, name: (lang() === 'en' ? x.name?.en : x.name?.zh) ?? x.id })) : [];
    const ul = Array.isArray(units) ? units : Array.isArray(units?.units) ? units.units : [];
    officers = ul.filter((/** @type {any} */ u) => u.type === 'grid_officer').map((/** @type {any} */ u) => u.id);
    renderAll();
    await Promise.all([refresh(), loadRollup()]);
    renderDaily(true);
  }
  /** Forgets the account's cases and what was typed (on sign-out): the next person starts afresh. */
  function forget() {
    cases = [];
    detail = null;
    selected = '';
    rollup = null;
    photos.clear();
    sending.clear();
    formErrors.clear();
    elsewhere.hidden = true;
    renderAll();
  }

  void start();
  return { refresh, forget };
}

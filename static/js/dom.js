// Small DOM helpers. Text is only ever set with textContent.

/**
 * Returns the element with the given id, or throws when the page lacks it.
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing element #${id}`);
  return el;
}

/**
 * Creates an element with a class list, optional text and children.
 * @param {string} tag
 * @param {string} [className] space-separated classes
 * @param {string|null} [text] set with textContent
 * @param {Array<Node|null|undefined|false>} [children]
 * @returns {HTMLElement}
 */
export function el(tag, className, text, children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  if (children) {
    for (const c of children) if (c) node.append(c);
  }
  return node;
}

/**
 * Shows or hides an element with the hidden attribute.
 * @param {HTMLElement} node
 * @param {boolean} visible
 */
export function show(node, visible) {
  node.hidden = !visible;
}

/**
 * Puts a space text node between the given nodes (dropping empty ones), so
 * that textContent and screen readers keep words apart.
 * @param {Array<Node|null|undefined|false>} nodes
 * @returns {Node[]}
 */
export function spaced(nodes) {
  /** @type {Node[]} */
  const out = [];
  for (const n of nodes) {
    if (!n) continue;
    if (out.length) out.push(document.createTextNode(' '));
    out.push(n);
  }
  return out;
}

/** The element a press of the main button is on, until its click. @type {Element|null} */
let pressed = null;
/** The field an input method is composing text in (pinyin, say), until it ends. @type {Element|null} */
let composing = null;
/** Redraws put off while a press or a composition inside their region is under way, by region. @type {Map<Element, () => void>} */
const waiting = new Map();
let tracking = false;
/** @type {ReturnType<typeof setTimeout>|undefined} */
let holdLimit;
/** @type {ReturnType<typeof setTimeout>|undefined} */
let noClick;

/** Longest a press holds a list back, in case its release never reaches the page. */
const HOLD_MAX_MS = 3000;
/** How long after a release its click may still come (a tap's comes later). */
const CLICK_WAIT_MS = 300;

/**
 * Replaces a live list's children with what build returns, then calls
 * after. While a press is under way inside the list, both wait for the
 * start of its click, so a button re-rendered between press and release
 * never swallows the click; while an input method composes text in a field
 * inside it, they wait for the composition to end, which moving the field
 * would cut short (pinyin left as letters). The children are built then,
 * from the state then, so no node build would move (a kept text field)
 * leaves the list early.
 * @param {Element} node
 * @param {() => Node[]} build
 * @param {() => void} [after] what needs the new children in place
 */
export function replaceLive(node, build, after) {
  if (!whenFree(node, () => replaceLive(node, build, after))) putIn(node, build, after);
}

/**
 * Runs draw later when a press or a composition is under way inside node
 * (a region that redraws itself whole), and says so: the caller then draws
 * nothing now. A region waiting carries data-held (a hook for tests).
 * @param {Element} node
 * @param {() => void} draw
 * @returns {boolean} whether draw was put off
 */
export function whenFree(node, draw) {
  trackUser();
  if (!busyInside(node)) {
    waiting.delete(node);
    node.removeAttribute('data-held');
    return false;
  }
  if (pressed && holdLimit === undefined) holdLimit = setTimeout(endPress, HOLD_MAX_MS);
  waiting.set(node, draw);
  node.setAttribute('data-held', '');
  return true;
}

/**
 * Whether a press or a composition is under way inside node.
 * @param {Element} node
 * @returns {boolean}
 */
function busyInside(node) {
  const inside = (/** @type {Element|null} */ e) => !!e && e.isConnected && node.contains(e);
  return inside(pressed) || inside(composing);
}

/**
 * Puts in what build returns, keeping focus (and a text selection) on an
 * element the new children carry over, as a kept text field is.
 * @param {Element} node
 * @param {() => Node[]} build
 * @param {() => void} [after]
 */
function putIn(node, build, after) {
  const focused = document.activeElement;
  const caret = caretOf(focused);
  const inside = focused instanceof HTMLElement && focused !== node && node.contains(focused);
  node.replaceChildren(...build());
  if (focused instanceof HTMLElement && focused !== document.body && focused.isConnected && document.activeElement !== focused) {
    focused.focus();
    setCaret(focused, caret);
  } else if (inside && !focused.isConnected) {
    // The focused item was drawn anew: the focus goes to its new self
    // (the same data-id, or the same action on the same activation).
    const again = sameNode(node, focused);
    if (again) again.focus({ preventScroll: true });
  }
  after?.();
}

/**
 * The element of node that stands for old, drawn anew: the same tag and
 * the same data-id, data-action and data-activation-id, one of them set.
 * @param {Element} node
 * @param {HTMLElement} old
 * @returns {HTMLElement|null}
 */
function sameNode(node, old) {
  const keys = ['id', 'action', 'activationId'];
  if (!old.dataset.id && !old.dataset.activationId) return null;
  for (const e of node.getElementsByTagName(old.tagName)) {
    if (e instanceof HTMLElement && keys.every((k) => e.dataset[k] === old.dataset[k])) return e;
  }
  return null;
}

/**
 * The selection of a text field, or null (not a text field, or one that
 * has none, a number say).
 * @param {Element|null} field
 * @returns {[number, number]|null}
 */
export function caretOf(field) {
  if (!(field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement)) return null;
  try {
    return field.selectionStart === null || field.selectionEnd === null ? null : [field.selectionStart, field.selectionEnd];
  } catch {
    return null;
  }
}

/**
 * Puts a selection caretOf read back on a text field.
 * @param {Element|null} field
 * @param {[number, number]|null} caret
 */
export function setCaret(field, caret) {
  if (!caret || !(field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement)) return;
  try {
    field.setSelectionRange(caret[0], caret[1]);
  } catch {
    // a field that has no selection
  }
}

/**
 * Reads what is entered in region's fields and where the focus is, by
 * keyOf ('' skips), and returns what puts them back once region is redrawn.
 * Only what a person changed is put back: a field still as it was drawn
 * takes what the redraw gives it (a level or a title changed elsewhere
 * since), and so does one marked data-fresh="1".
 * @param {Element} region
 * @param {(field: HTMLElement) => string} keyOf
 * @returns {() => void}
 */
export function keepFields(region, keyOf) {
  /** @type {Map<string, string|boolean>} */
  const values = new Map();
  /** @type {Map<string, number>} */
  const scrolls = new Map();
  for (const f of fieldsOf(region, keyOf)) {
    const v = valueOf(f.node);
    if (f.node.dataset.drawn === undefined || String(v) !== f.node.dataset.drawn) values.set(f.key, v);
    if (f.node instanceof HTMLTextAreaElement && f.node.scrollTop > 0) scrolls.set(f.key, f.node.scrollTop);
  }
  const a = document.activeElement;
  const focus = a instanceof HTMLElement && region.contains(a) ? fieldKey(a, keyOf) : '';
  const caret = focus ? caretOf(a) : null;
  return () => {
    for (const f of fieldsOf(region, keyOf)) {
      f.node.dataset.drawn = String(valueOf(f.node)); // as the page drew it
      const v = values.get(f.key);
      if (v !== undefined && f.node.dataset.fresh !== '1') {
        if (checkable(f.node)) f.node.checked = !!v;
        else if (!(f.node instanceof HTMLSelectElement) || [...f.node.options].some((o) => o.value === v)) f.node.value = String(v);
      }
      const top = scrolls.get(f.key);
      if (top !== undefined) f.node.scrollTop = top;
    }
    if (!focus) return;
    // The focused field, or button: a keyboard user stays where they were.
    for (const node of region.querySelectorAll('input, textarea, select, button, a[href], [tabindex]')) {
      if (node instanceof HTMLElement && fieldKey(node, keyOf) === focus) {
        node.focus();
        setCaret(node, caret);
        return;
      }
    }
  };
}

/**
 * A field's key: keyOf's, and a radio button's value after it (a group
 * shares one name).
 * @param {HTMLElement} node
 * @param {(field: HTMLElement) => string} keyOf
 * @returns {string}
 */
function fieldKey(node, keyOf) {
  const key = keyOf(node);
  return key && node instanceof HTMLInputElement && node.type === 'radio' ? `${key}=${node.value}` : key;
}

/**
 * The fields of region a page may fill back, with their keys.
 * @param {Element} region
 * @param {(field: HTMLElement) => string} keyOf
 * @returns {{key: string, node: HTMLInputElement|HTMLTextAreaElement|HTMLSelectElement}[]}
 */
function fieldsOf(region, keyOf) {
  const out = [];
  for (const node of region.querySelectorAll('input, textarea, select')) {
    if (!(node instanceof HTMLInputElement || node instanceof HTMLTextAreaElement || node instanceof HTMLSelectElement)) continue;
    if (node instanceof HTMLInputElement && node.type === 'file') continue;
    const key = fieldKey(node, keyOf);
    if (key) out.push({ key, node });
  }
  return out;
}

/**
 * What a field holds: its check or its value.
 * @param {HTMLInputElement|HTMLTextAreaElement|HTMLSelectElement} node
 * @returns {string|boolean}
 */
function valueOf(node) {
  return checkable(node) ? node.checked : node.value;
}

/**
 * Whether a field holds a check rather than a value.
 * @param {Element} node
 * @returns {node is HTMLInputElement}
 */
function checkable(node) {
  return node instanceof HTMLInputElement && (node.type === 'checkbox' || node.type === 'radio');
}

/** Follows presses of the main button and input methods' compositions on the whole page, once. */
function trackUser() {
  if (tracking) return;
  tracking = true;
  document.addEventListener('pointerdown', (e) => {
    if (!e.isPrimary || e.button !== 0) return;
    clearTimeout(noClick);
    pressed = e.target instanceof Element ? e.target : null;
  }, true);
  // The click a release makes comes after it, for a tap in a later task:
  // the lists wait for the click, or a little while when none comes. They
  // go in as the click starts, before its handlers: its target and path are
  // fixed by then, and what the handlers render goes in at once, as always.
  const released = () => {
    clearTimeout(noClick);
    if (pressed) noClick = setTimeout(endPress, CLICK_WAIT_MS);
  };
  document.addEventListener('pointerup', released, true);
  document.addEventListener('pointercancel', () => endPress(), true);
  window.addEventListener('click', () => {
    // A press in a form submits it after the click, and only while the
    // form is in the page: its region waits until then.
    if (pressed?.closest('form')) {
      endPress(false);
      setTimeout(flushHeld, 0);
    } else {
      endPress();
    }
  }, true);
  document.addEventListener('compositionstart', (e) => {
    composing = e.target instanceof Element ? e.target : null;
  }, true);
  const composed = () => {
    composing = null;
    setTimeout(flushHeld, 0); // after the input the composition ends with
  };
  document.addEventListener('compositionend', composed, true);
  document.addEventListener('focusout', (e) => {
    if (e.target === composing) composed();
  }, true);
}

/**
 * Ends the press and, unless told not to, puts in what it held back.
 * @param {boolean} [flush]
 */
function endPress(flush = true) {
  pressed = null;
  clearTimeout(noClick);
  clearTimeout(holdLimit);
  noClick = undefined;
  holdLimit = undefined;
  if (flush) flushHeld();
}

/** Runs the redraws no press or composition holds any longer. */
function flushHeld() {
  for (const [node, draw] of [...waiting]) {
    if (busyInside(node)) continue;
    waiting.delete(node);
    node.removeAttribute('data-held');
    try {
      draw();
    } catch (err) {
      console.error(err); // the other regions still redraw
    }
  }
}

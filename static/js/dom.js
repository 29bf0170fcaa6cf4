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

/** The element a pointer pressed and has not released yet. @type {Element|null} */
let pressed = null;
/** Live lists held back while a press inside them is under way. @type {Map<Element, {children: Node[], after?: () => void}>} */
const held = new Map();
let tracking = false;

/** Longest a press holds a list back, in case its release never reaches the page. */
const HOLD_MAX_MS = 3000;

/**
 * Replaces a live list's children and then calls after, unless a pointer is
 * pressed inside the list: then both wait for the release and the click it
 * makes, so a button re-rendered mid-press does not swallow the click.
 * @param {Element} node
 * @param {Node[]} children
 * @param {() => void} [after] what needs the new children in place
 */
export function replaceLive(node, children, after) {
  trackPresses();
  if (pressed && pressed.isConnected && node.contains(pressed)) {
    if (held.size === 0) setTimeout(() => { pressed = null; flushHeld(); }, HOLD_MAX_MS);
    held.set(node, { children, after });
    return;
  }
  held.delete(node);
  node.replaceChildren(...children);
  after?.();
}

/** Follows presses on the whole page, once. */
function trackPresses() {
  if (tracking) return;
  tracking = true;
  document.addEventListener('pointerdown', (e) => { pressed = e.target instanceof Element ? e.target : null; }, true);
  const release = () => {
    pressed = null;
    setTimeout(flushHeld, 0); // after the click this release makes
  };
  document.addEventListener('pointerup', release, true);
  document.addEventListener('pointercancel', release, true);
}

/** Puts in the lists held back, once no press is under way. */
function flushHeld() {
  if (pressed) return;
  const lists = [...held];
  held.clear();
  for (const [node, { children, after }] of lists) {
    node.replaceChildren(...children);
    after?.();
  }
}

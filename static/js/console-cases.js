// Stub of the case desk (网格事件台): replaced by branch i16-cases.

/**
 * Mounts the case desk into its panel.
 * @param {HTMLElement} root
 * @param {any} ctx
 */
export function mountCaseDesk(root, ctx) {} // eslint-disable-line no-unused-vars

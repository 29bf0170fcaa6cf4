// The accounts section of the administration page (admin.html).

/**
 * Fills the section; called once after sign-in, and again with the same
 * section after a later sign-in.
 * @param {HTMLElement} section
 * @param {{role: string, username: string}} who
 */
export function mount(section, who) {
  void section;
  void who;
}

/** Renders the section's text again in the current language. */
export function relabel() {}

// Safe localStorage access: a wall screen must keep working when storage is
// unavailable (private mode, quota, policy), so failures read as "absent".

/**
 * Reads a value from localStorage.
 * @param {string} key
 * @returns {string|null} the stored value, or null when absent or unreadable
 */
export function read(key) {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

/**
 * Writes a value to localStorage; failures are ignored.
 * @param {string} key
 * @param {string} value
 */
export function write(key, value) {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // storage unavailable: the value lives for this page only
  }
}

/**
 * Removes a value from localStorage; failures are ignored.
 * @param {string} key
 */
export function remove(key) {
  try {
    window.localStorage.removeItem(key);
  } catch {
    // nothing to do
  }
}

// Package records keeps in Redis what the server records beside the
// domain's documents: the durable job queue, login sessions, the audit
// trail, the daily figures and the alarms about the system itself. Each
// is built on the store's primitives (its keys, client, readiness check and
// error wrapping) and, where it changes state, on its one commit.
package records

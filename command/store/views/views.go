// Package views gives each domain its view of the Redis store: the reads
// its Store interface declares, over the documents and indexes Apply lays
// out, and Apply itself. Views know where their kind lives in Redis; what
// changes is the domain's, carried out by the store's one commit.
package views

import (
	"context"

	"watchfloor/command/change"
	"watchfloor/command/store"
)

// base gives a view the one write every domain Store declares, Apply, and
// the store its reads go through.
type base struct{ s *store.Store }

// Apply carries out c (see store.Store.Apply).
func (b base) Apply(ctx context.Context, c *change.Change) (change.Result, error) {
	return b.s.Apply(ctx, c)
}

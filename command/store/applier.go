package store

import (
	"context"

	"watchfloor/command/change"
)

// applier gives a domain's view of the store the one write every domain
// Store declares: Apply. Views embed it and read through s.
type applier struct{ s *Store }

// Apply carries out c (see Store.Apply).
func (a applier) Apply(ctx context.Context, c *change.Change) (change.Result, error) {
	return a.s.Apply(ctx, c)
}

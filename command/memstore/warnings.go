package memstore

import (
	"context"

	"watchfloor/command/warning"
)

// Warnings reads warnings (the reads of warning.Store).
type Warnings struct{ kind[warning.Warning] }

var _ warning.Store = (*Warnings)(nil)

// Warnings returns the warning storage.
func (s *Store) Warnings() *Warnings {
	return &Warnings{kind[warning.Warning]{s, warning.Kind, "warnings"}}
}

// List returns the warnings q asks for, newest issued first.
func (x *Warnings) List(ctx context.Context, q warning.Query) ([]*warning.Warning, error) {
	out, err := x.all(func(w *warning.Warning) bool { return warning.Matches(w, q) })
	if err != nil {
		return nil, err
	}
	warning.Newest(out)
	return out[:min(len(out), q.Limit)], nil
}

package server

import (
	"context"
	"errors"
	"sync"
)

// teardown is a stack of closers: each is pushed right after the thing it
// closes is opened, and drain runs them in reverse, so that New can undo a
// half-built server and Stop can undo a whole one the same way.
type teardown struct {
	mu      sync.Mutex
	closers []func(context.Context) error
}

// push registers close to run before everything pushed earlier.
func (t *teardown) push(close func(context.Context) error) {
	t.mu.Lock()
	t.closers = append(t.closers, close)
	t.mu.Unlock()
}

// drain runs the closers last pushed first, each once, and joins their
// errors; every closer runs even when one before it failed.
func (t *teardown) drain(ctx context.Context) error {
	t.mu.Lock()
	closers := t.closers
	t.closers = nil
	t.mu.Unlock()
	var errs []error
	for i := len(closers) - 1; i >= 0; i-- {
		if err := closers[i](ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

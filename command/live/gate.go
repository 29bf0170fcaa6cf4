package live

import "context"

// Gate lets at most its capacity of holders in at once; the others wait,
// in the order they came, until a place is free or their context ends.
type Gate chan struct{}

// NewGate is a gate of n places.
func NewGate(n int) Gate { return make(Gate, n) }

// Enter takes a place, waiting while none is free; it fails with ctx's
// cause when ctx ends first.
func (g Gate) Enter(ctx context.Context) error {
	select {
	case g <- struct{}{}:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Leave gives back a place taken by Enter.
func (g Gate) Leave() { <-g }

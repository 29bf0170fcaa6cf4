package memstore

import (
	"context"
	"sync"
)

// Fanout hands each value published to the followers of the moment; one
// too far behind misses values, as a Redis pub/sub subscriber does. Its
// lock is taken after the store's, never before.
type Fanout[T any] struct {
	size int
	mu   sync.Mutex
	subs map[chan T]struct{}
}

// NewFanout returns a fan-out whose followers may each fall size values
// behind.
func NewFanout[T any](size int) *Fanout[T] {
	return &Fanout[T]{size: size, subs: map[chan T]struct{}{}}
}

// Publish offers v to every follower without waiting, and returns how many
// followers there are (as Redis's PUBLISH counts its subscribers).
func (f *Fanout[T]) Publish(v T) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.subs {
		select {
		case c <- v:
		default:
		}
	}
	return len(f.subs)
}

// Follow calls fn with every value published from the call on, until ctx
// ends; up, when set, is called once it follows (nothing published after
// that is missed unless fn falls size values behind).
func (f *Fanout[T]) Follow(ctx context.Context, fn func(T), up func()) error {
	c := make(chan T, f.size)
	f.mu.Lock()
	f.subs[c] = struct{}{}
	f.mu.Unlock()
	if up != nil {
		up()
	}
	defer func() {
		f.mu.Lock()
		delete(f.subs, c)
		f.mu.Unlock()
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case v := <-c:
			fn(v)
		}
	}
}

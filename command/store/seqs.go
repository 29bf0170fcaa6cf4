package store

import (
	"context"
	"fmt"
	"strconv"
	"sync"
)

// seqReads gathers the seqs asked for while a read is under way into the
// next read of up to seqBatch keys (one MGET): every socket's heartbeat at
// once (a restart's sockets beat together; a broken subscription makes all
// of them check) is a few round trips, not one each. A lone ask is read at
// once, as before.
type seqReads struct {
	// get reads the values of keys, nil where a key holds none.
	get func(ctx context.Context, keys []string) ([]any, error)

	mu      sync.Mutex
	reading bool      // a read is under way; asks wait for the next
	asks    []*seqAsk // waiting, oldest first
}

// seqAsk is one caller's key and, once done is closed, its answer.
type seqAsk struct {
	key  string
	seq  uint64
	err  error
	done chan struct{}
}

// seqBatch is the most keys one read takes.
const seqBatch = 1000

// read returns the seq stored at key (0 when none): read at once when no
// read is under way, else with the next, which takes every ask waiting
// then. A caller whose ctx ends while it waits stops waiting (its answer is
// dropped); one reading gets its answer, as a lone GET would.
func (r *seqReads) read(ctx context.Context, key string) (uint64, error) {
	a := &seqAsk{key: key, done: make(chan struct{})}
	r.mu.Lock()
	r.asks = append(r.asks, a)
	lead := !r.reading // then no ask waited: a is first
	r.reading = true
	r.mu.Unlock()
	if lead {
		// Others' answers ride on these reads: not cut short by this
		// caller's end (the client's read timeout bounds them). a is
		// answered by the first; the asks made meanwhile by the next.
		if ctx := context.WithoutCancel(ctx); r.round(ctx) {
			go r.drain(ctx)
		}
		return a.seq, a.err
	}
	select {
	case <-a.done:
		return a.seq, a.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// drain reads rounds until no ask waits.
func (r *seqReads) drain(ctx context.Context) {
	for r.round(ctx) {
	}
}

// round reads the seqs of up to seqBatch waiting asks and answers them; it
// reports whether more wait, else marks that no read is under way.
func (r *seqReads) round(ctx context.Context) bool {
	r.mu.Lock()
	batch := r.asks[:min(len(r.asks), seqBatch)]
	r.asks = r.asks[len(batch):]
	r.mu.Unlock()
	keys := make([]string, len(batch))
	for i, a := range batch {
		keys[i] = a.key
	}
	vals, err := r.get(ctx, keys)
	if err == nil && len(vals) != len(keys) {
		err = fmt.Errorf("reading seqs: %d values for %d keys", len(vals), len(keys))
	}
	for i, a := range batch {
		if a.err = err; err == nil {
			a.seq, a.err = seqOf(vals[i])
		}
		close(a.done)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.asks) == 0 {
		r.asks, r.reading = nil, false // a burst's queue is let go
		return false
	}
	return true
}

// seqOf is a stored seq, 0 when there is none.
func seqOf(v any) (uint64, error) {
	str, ok := v.(string)
	if !ok {
		return 0, nil // nil: nothing was ever sent
	}
	n, err := strconv.ParseUint(str, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("reading seq: %w", err)
	}
	return n, nil
}

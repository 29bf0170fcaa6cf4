package store

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// seqReads reads the seqs asked for while a read is under way together in
// the next, one MGET of up to seqBatch keys: a burst of checks (every socket
// after the notifications are subscribed again) is a few round trips.
type seqReads struct {
	// get reads the values of keys, nil where a key holds none.
	get func(ctx context.Context, keys []string) ([]any, error)
	// wait is how long an ask may wait for its round: one older when its
	// round begins is failed, not read (0: no bound).
	wait time.Duration

	mu      sync.Mutex
	reading bool      // rounds are under way: they take every ask waiting
	asks    []*seqAsk // waiting, oldest first
}

// seqAsk is one caller's key, when it asked, and, once done is closed, its
// answer.
type seqAsk struct {
	key  string
	at   time.Time
	seq  uint64
	err  error
	done chan struct{}
}

// seqBatch is the most keys one read takes.
const seqBatch = 1000

// seqWait is how long a check may wait for its round: checks queued behind
// a hung Redis's reads fail after the read in flight, not after every
// round ahead of them (each as long as the client's timeouts).
const seqWait = 2 * time.Second

// read returns the seq stored at key (0 when none), read at once when no
// read is under way, else with the next; the caller stops waiting when ctx
// ends.
func (r *seqReads) read(ctx context.Context, key string) (uint64, error) {
	a := &seqAsk{key: key, at: time.Now(), done: make(chan struct{})}
	r.mu.Lock()
	r.asks = append(r.asks, a)
	start := !r.reading
	r.reading = true
	r.mu.Unlock()
	if start {
		// Rounds run one at a time, for every caller: not cut short by this
		// one's end (the client's timeouts bound each).
		go r.drain(context.WithoutCancel(ctx))
	}
	select {
	case <-a.done:
		return a.seq, a.err
	case <-ctx.Done():
		return 0, fmt.Errorf("reading seq: %w", ctx.Err())
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
	r.answer(ctx, batch)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.asks) == 0 {
		r.asks, r.reading = nil, false // a burst's queue is let go
		return false
	}
	return true
}

// answer reads the seqs of batch in one read and answers each ask; an ask
// that waited over wait for it is failed instead, not read.
func (r *seqReads) answer(ctx context.Context, batch []*seqAsk) {
	fresh := batch[:0] // in place: batch is this round's alone
	for _, a := range batch {
		if r.wait > 0 && time.Since(a.at) > r.wait {
			a.err = fmt.Errorf("reading seq: waited over %v for a read", r.wait)
			close(a.done)
			continue
		}
		fresh = append(fresh, a)
	}
	if len(fresh) == 0 {
		return
	}
	keys := make([]string, len(fresh))
	for i, a := range fresh {
		keys[i] = a.key
	}
	vals, err := r.get(ctx, keys)
	if err == nil && len(vals) != len(keys) {
		err = fmt.Errorf("reading seqs: %d values for %d keys", len(vals), len(keys))
	}
	for i, a := range fresh {
		if a.err = err; err == nil {
			a.seq, a.err = seqOf(vals[i])
		}
		close(a.done)
	}
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

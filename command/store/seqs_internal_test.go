package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// gated is a read of seqs that holds its first call until open is closed:
// asks made meanwhile wait for the next read. Values are the keys' numbers
// ("k7" holds 7); "none" holds nothing, "bad" holds no number.
type gated struct {
	entered, open chan struct{}
	mu            sync.Mutex
	sizes         []int
	ctxErr        error // the first read's ctx's error once let go
	fail          error
}

func newGated() *gated { return &gated{entered: make(chan struct{}), open: make(chan struct{})} }

func (g *gated) get(ctx context.Context, keys []string) ([]any, error) {
	g.mu.Lock()
	g.sizes = append(g.sizes, len(keys))
	first := len(g.sizes) == 1
	g.mu.Unlock()
	if first {
		close(g.entered)
		<-g.open
		g.ctxErr = ctx.Err()
	}
	if g.fail != nil {
		return nil, g.fail
	}
	vals := make([]any, len(keys))
	for i, k := range keys {
		switch k {
		case "none":
		case "bad":
			vals[i] = "x"
		default:
			vals[i] = k[1:]
		}
	}
	return vals, nil
}

type answer struct {
	seq uint64
	err error
}

// ask reads key's seq in its own goroutine and returns where its answer goes.
func ask(ctx context.Context, r *seqReads, key string) <-chan answer {
	out := make(chan answer, 1)
	go func() {
		seq, err := r.read(ctx, key)
		out <- answer{seq, err}
	}()
	return out
}

func wait(t *testing.T, c <-chan answer, what string) answer {
	t.Helper()
	select {
	case a := <-c:
		return a
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: no answer", what)
		return answer{}
	}
}

// waiting blocks until n asks wait for the next read.
func waiting(t *testing.T, r *seqReads, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		r.mu.Lock()
		got := len(r.asks)
		r.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d asks waiting, want %d", got, n)
		}
	}
}

// While a read is under way, every ask made waits for the next, which
// takes up to seqBatch of them: 2,500 asks made during one read are three
// reads, each ask answered with its own key's seq.
func TestSeqReadsGatherAsksMadeDuringARead(t *testing.T) {
	g := newGated()
	r := &seqReads{get: g.get}
	first := ask(context.Background(), r, "k0")
	<-g.entered
	answers := make([]<-chan answer, 2500)
	for i := range answers {
		key := "k" + strconv.Itoa(i+1)
		switch i {
		case 10:
			key = "none"
		case 20:
			key = "bad"
		}
		answers[i] = ask(context.Background(), r, key)
	}
	waiting(t, r, len(answers))
	close(g.open)
	if a := wait(t, first, "the first ask"); a.seq != 0 || a.err != nil {
		t.Errorf("the first ask: %d, %v; want 0", a.seq, a.err)
	}
	for i, c := range answers {
		a := wait(t, c, fmt.Sprintf("ask %d", i+1))
		switch {
		case i == 10:
			if a.seq != 0 || a.err != nil {
				t.Errorf("a key holding nothing: %d, %v; want 0", a.seq, a.err)
			}
		case i == 20:
			if a.err == nil {
				t.Errorf("a key holding no number: %d, want an error", a.seq)
			}
		case a.seq != uint64(i+1) || a.err != nil:
			t.Errorf("ask %d: %d, %v; want %d", i+1, a.seq, a.err, i+1)
		}
	}
	// The last read marks itself done just after its answers.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		r.mu.Lock()
		reading, left := r.reading, len(r.asks)
		r.mu.Unlock()
		if !reading && left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the burst: reading %v, %d asks waiting; want neither", reading, left)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if fmt.Sprint(g.sizes) != "[1 1000 1000 500]" {
		t.Errorf("reads of %v keys, want [1 1000 1000 500]", g.sizes)
	}
}

// A caller whose context ends stops waiting at once, the one whose ask
// began the read too; the read goes on for those who wait on it. A failed
// read fails each of its asks, not the next.
func TestSeqReadsOutliveTheirCallers(t *testing.T) {
	g := newGated()
	g.fail = errors.New("redis: connection refused")
	r := &seqReads{get: g.get}
	leadCtx, cancelLead := context.WithCancel(context.Background())
	lead := ask(leadCtx, r, "k1")
	<-g.entered
	otherCtx, cancelOther := context.WithCancel(context.Background())
	other := ask(otherCtx, r, "k2")
	stays := ask(context.Background(), r, "k3")
	waiting(t, r, 2)
	cancelLead()
	cancelOther()
	for what, c := range map[string]<-chan answer{"the ask that began the read": lead, "a waiting ask": other} {
		if a := wait(t, c, what); !errors.Is(a.err, context.Canceled) {
			t.Errorf("%s, its context ended: %d, %v; want context.Canceled", what, a.seq, a.err)
		}
	}
	close(g.open)
	if a := wait(t, stays, "the ask that stayed"); a.err != g.fail {
		t.Errorf("the ask that stayed, the read failing: %d, %v; want its error", a.seq, a.err)
	}
	if g.ctxErr != nil {
		t.Errorf("the read was cut short with its caller: %v", g.ctxErr)
	}
	g.fail = nil
	if a := wait(t, ask(context.Background(), r, "k4"), "an ask after the failure"); a.seq != 4 || a.err != nil {
		t.Errorf("an ask after the failure: %d, %v; want 4", a.seq, a.err)
	}
}

// A read answering fewer values than it was asked for fails each of its
// asks rather than giving one another's seq.
func TestSeqReadsShortAnswerFails(t *testing.T) {
	g := newGated()
	r := &seqReads{get: func(ctx context.Context, keys []string) ([]any, error) {
		if vals, err := g.get(ctx, keys); len(keys) == 1 {
			return vals, err
		}
		return []any{"1"}, nil
	}}
	first := ask(context.Background(), r, "k0")
	<-g.entered
	two := []<-chan answer{ask(context.Background(), r, "k1"), ask(context.Background(), r, "k2")}
	waiting(t, r, 2)
	close(g.open)
	if a := wait(t, first, "the first ask"); a.seq != 0 || a.err != nil {
		t.Errorf("the first ask: %d, %v; want 0", a.seq, a.err)
	}
	for i, c := range two {
		if a := wait(t, c, "an ask of a short read"); a.err == nil {
			t.Errorf("ask %d of a read answering one value for two keys: %d, want an error", i+1, a.seq)
		}
	}
}

// A check that waited over wait for its round (a hung Redis's read ahead of
// it) is failed, not read: its socket goes on, and rounds go on for later
// checks. The one being read gets its answer.
func TestSeqReadsStaleChecksFail(t *testing.T) {
	g := newGated()
	r := &seqReads{get: g.get, wait: 50 * time.Millisecond}
	first := ask(context.Background(), r, "k1")
	<-g.entered
	behind := ask(context.Background(), r, "k2")
	waiting(t, r, 1)
	r.mu.Lock()
	r.asks[0].at = r.asks[0].at.Add(-time.Second) // behind has waited over wait
	r.mu.Unlock()
	close(g.open)
	if a := wait(t, first, "the check being read"); a.seq != 1 || a.err != nil {
		t.Errorf("the check being read: %d, %v; want 1", a.seq, a.err)
	}
	if a := wait(t, behind, "a check behind it"); a.err == nil || !strings.Contains(a.err.Error(), "waited over") {
		t.Errorf("a check that waited over the bound: %d, %v; want it failed", a.seq, a.err)
	}
	if a := wait(t, ask(context.Background(), r, "k3"), "a check after"); a.seq != 3 || a.err != nil {
		t.Errorf("a check after: %d, %v; want 3", a.seq, a.err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if fmt.Sprint(g.sizes) != "[1 1]" {
		t.Errorf("reads of %v keys, want [1 1]: the stale check not read", g.sizes)
	}
}

package live

import "sync"

// queue is a subscriber's messages waiting for its writer: a ring that
// grows as messages wait, up to a limit, and lets its memory go once a
// burst of more than queueKeep is written. A channel of the limit's size would hold that much
// memory for every socket, most of which never has more than a few waiting.
type queue struct {
	mu    sync.Mutex
	ring  []Message
	head  int // the oldest
	n     int
	limit int
	// ready holds a token while something waits that the writer has not
	// been woken for: messages (while held, a crowd of them), or one of
	// its Sub's requests.
	ready chan struct{}
	// held, while the writer's gap runs, keeps a push from waking it
	// unless crowd messages wait then (a batch's worth, or an eighth of the
	// limit, below what offerStored keeps free): a crowd ends the gap early.
	held  bool
	crowd int
}

// queueMin is a ring's first size; queueKeep the largest kept when empty.
const (
	queueMin  = 8
	queueKeep = 64
)

func newQueue(limit int) *queue {
	limit = max(limit, 1)
	return &queue{limit: limit, ready: make(chan struct{}, 1), crowd: max(min(BatchMessages, limit/8), 1)}
}

// push adds m, and wakes the writer (while held, only for a crowd); false
// when limit messages wait.
func (q *queue) push(m Message) bool {
	q.mu.Lock()
	if q.n >= q.limit {
		q.mu.Unlock()
		return false
	}
	if q.n == len(q.ring) {
		q.grow()
	}
	q.ring[(q.head+q.n)%len(q.ring)] = m
	q.n++
	wake := !q.held || q.n == q.crowd
	q.mu.Unlock()
	if wake {
		q.wake()
	}
	return true
}

// Outcomes of pushAll.
const (
	pushedAll = iota // every message queued
	tooMany          // none: the batch would not leave keep free, but fewer than keep waited
	lagging          // none, and keep or more waited already: the writer is not keeping up
)

// pushAll adds every one of msgs, and wakes the writer as push does, if
// keep places stay free after them; else it adds none and says whether the
// writer was keeping up (fewer than keep waiting) or not.
func (q *queue) pushAll(msgs []Message, keep int) int {
	q.mu.Lock()
	switch {
	case len(msgs) > q.limit-q.n-keep && q.n < keep:
		q.mu.Unlock()
		return tooMany
	case len(msgs) > q.limit-q.n-keep:
		q.mu.Unlock()
		return lagging
	}
	for q.n+len(msgs) > len(q.ring) {
		q.grow()
	}
	before := q.n
	for _, m := range msgs {
		q.ring[(q.head+q.n)%len(q.ring)] = m
		q.n++
	}
	wake := !q.held || (before < q.crowd && q.n >= q.crowd)
	q.mu.Unlock()
	if wake {
		q.wake()
	}
	return pushedAll
}

// grow doubles the ring (up to the limit), its messages first in order.
func (q *queue) grow() {
	next := make([]Message, min(max(2*len(q.ring), queueMin), q.limit))
	k := copy(next, q.ring[q.head:])
	copy(next[k:], q.ring[:q.head])
	q.ring, q.head = next, 0
}

// pop takes the oldest message; false when none waits. An emptied ring
// larger than queueKeep is let go.
func (q *queue) pop() (Message, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n == 0 {
		return Message{}, false
	}
	m := q.ring[q.head]
	q.ring[q.head] = Message{} // the ring keeps no message's bytes alive
	q.head = (q.head + 1) % len(q.ring)
	q.n--
	if q.n == 0 {
		q.head = 0
		if len(q.ring) > queueKeep {
			q.ring = nil
		}
	}
	return m, true
}

// len is how many messages wait.
func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// hold keeps pushes from waking the writer until a crowd waits, and says
// so, unless a crowd waits already.
func (q *queue) hold() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.held = q.n < q.crowd
	return q.held
}

// release ends a hold.
func (q *queue) release() {
	q.mu.Lock()
	q.held = false
	q.mu.Unlock()
}

// wake leaves the writer a token, unless one waits already.
func (q *queue) wake() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

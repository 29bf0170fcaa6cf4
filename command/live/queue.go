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
	// ready holds a token while messages wait that the writer has not been
	// woken for.
	ready chan struct{}
	// crowded holds a token once crowd messages wait (a batch's worth, or an
	// eighth of the limit, below what offerStored keeps free): it ends a
	// writer's gap early.
	crowded chan struct{}
	crowd   int
}

// queueMin is a ring's first size; queueKeep the largest kept when empty.
const (
	queueMin  = 8
	queueKeep = 64
)

func newQueue(limit int) *queue {
	limit = max(limit, 1)
	return &queue{limit: limit, ready: make(chan struct{}, 1),
		crowded: make(chan struct{}, 1), crowd: max(min(BatchMessages, limit/8), 1)}
}

// push adds m, and wakes the writer; false when limit messages wait.
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
	crowded := q.n == q.crowd
	q.mu.Unlock()
	q.wake()
	if crowded {
		q.signal(q.crowded)
	}
	return true
}

// Outcomes of pushAll.
const (
	pushedAll = iota // every message queued
	tooMany          // none: the batch would not leave keep free, but fewer than keep waited
	lagging          // none, and keep or more waited already: the writer is not keeping up
)

// pushAll adds every one of msgs, and wakes the writer, if keep places
// stay free after them; else it adds none and says whether the writer was
// keeping up (fewer than keep waiting) or not.
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
	crowded := before < q.crowd && q.n >= q.crowd
	q.mu.Unlock()
	q.wake()
	if crowded {
		q.signal(q.crowded)
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

// wake leaves the writer a token, unless one waits already.
func (q *queue) wake() { q.signal(q.ready) }

// calm drops a crowded token left from before the writer's last flush.
func (q *queue) calm() {
	select {
	case <-q.crowded:
	default:
	}
}

// signal leaves a token in ch, unless one waits already.
func (q *queue) signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

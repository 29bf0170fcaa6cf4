// Package live delivers event streams to connected clients: each stream's
// events are tailed from storage once per instance and fanned out to the
// local subscribers; each client is served by one writer that resumes from
// ?since=, fills gaps from storage, drops what it already sent and cuts
// itself off when it falls too far behind. It knows nothing of Fiber.
package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"watchfloor/command/vocab"
)

// Message is one event of a stream as stored: its seq and its JSON, which
// already carries seq, type, at and data. Seq 0 marks a volatile message
// (never stored, never replayed).
type Message struct {
	Seq  uint64
	JSON []byte
	// Deflated is JSON compressed for the sockets that negotiated it (nil:
	// none): shared by every client for a published message (Publish gives
	// it to those of DeflateMin or more), and for a snapshot several
	// sockets share.
	Deflated *Deflated
}

// Source is the storage that holds the streams.
type Source interface {
	// Seq returns the last seq given in stream.
	Seq(ctx context.Context, stream string) (uint64, error)
	// Seqs returns the last seq given in each of streams, in one read.
	Seqs(ctx context.Context, streams []string) ([]uint64, error)
	// Range returns up to count messages with seq ≥ from, and the oldest
	// seq still held (0 when the stream is empty).
	Range(ctx context.Context, stream string, from uint64, count int64) ([]Message, uint64, error)
	// Tail waits up to block for messages after seq.
	Tail(ctx context.Context, stream string, after uint64, block time.Duration) ([]Message, error)
}

// Hub fans stream events out to the subscribers of this instance.
type Hub struct {
	src Source
	log *slog.Logger

	mu      sync.RWMutex
	streams map[string]*feed

	// observers see every stored event this instance tails, before the
	// subscribers do (caches of state kept current from the streams).
	observers []Observer

	// catchUps counts the checks that found a client behind storage, by
	// what asked for them: the sweep, the notifications subscribed again,
	// their first subscription, or a burst of the tail.
	catchUps [4]atomic.Int64
	// resubscribed counts the notifications subscribed again after a break.
	resubscribed atomic.Int64

	// Now is the clock heartbeats are dated by (time.Now unless set).
	Now func() time.Time
}

// checkReason is why a client's writer checked its stream's seq in storage.
type checkReason int

// The reasons, which index Hub.catchUps.
const (
	bySweep checkReason = iota
	byResubscribe
	bySubscribe
	byBurst
)

// Observer sees the events of Types tailed from storage, decoded, before
// any local subscriber receives them (a cache kept current from the
// streams, such as the fleet's unit statuses). Fn must be quick: it runs on
// the tailing goroutine. Only the events an observer wants are decoded.
type Observer struct {
	Types []string
	Fn    func(ev vocab.Envelope)
}

// feed is one stream's local subscribers and the highest seq of it every one
// has delivered, queued or been asked to check for (the sweep compares it
// with storage's; a socket's own reads do not count); recheck marks a check
// whose read failed.
type feed struct {
	subs    map[*Sub]struct{}
	seen    atomic.Uint64
	recheck atomic.Bool
}

// saw raises the feed's highest seq seen to seq.
func (f *feed) saw(seq uint64) {
	for {
		cur := f.seen.Load()
		if seq <= cur || f.seen.CompareAndSwap(cur, seq) {
			return
		}
	}
}

// Sub is one client's subscription: a bounded queue of messages, a signal
// that it fell behind, and what its writer is asked for. Every request
// wakes the writer through the queue's one token, so that the writer waits
// on one channel, not one a request (BENCHMARKS 99n).
type Sub struct {
	stream string
	feed   *feed // its stream's, never removed from the hub
	q      *queue
	behind chan struct{}
	once   sync.Once
	// check, when not 0, asks the writer to compare its seq with storage
	// at once: the reason plus one.
	check atomic.Int32
	// beat asks the writer for a heartbeat.
	beat atomic.Bool
}

// Behind is closed when the subscriber's queue overflowed: the client must
// be cut off (it resumes with since=) so it never delays the others.
func (s *Sub) Behind() <-chan struct{} { return s.behind }

// offer queues m without blocking; a full queue marks the subscriber behind.
func (s *Sub) offer(m Message) {
	if !s.q.push(m) {
		s.fellBehind()
	}
}

// fellBehind marks the subscriber behind and wakes its writer to end.
func (s *Sub) fellBehind() {
	s.once.Do(func() { close(s.behind) })
	s.q.wake()
}

// isBehind reports whether the subscriber was marked behind.
func (s *Sub) isBehind() bool {
	select {
	case <-s.behind:
		return true
	default:
		return false
	}
}

// askCheck asks the writer to check its seq for why, unless a check is
// already due (it catches up as well).
func (s *Sub) askCheck(why checkReason) {
	if s.check.CompareAndSwap(0, int32(why)+1) {
		s.q.wake()
	}
}

// askBeat asks the writer for a heartbeat.
func (s *Sub) askBeat() {
	s.beat.Store(true)
	s.q.wake()
}

// offerStored queues a batch tailed from storage without blocking, all of
// it while a quarter of the queue stays free after it (for what follows:
// volatile frames, the next batch). Otherwise, if less than a quarter
// waited (the writer keeps up), the writer is asked to check its seq and
// catch up from storage, where every one of them is, counted in bursts
// before it is woken (a count read once the client caught up includes
// it): a tail that lagged (a GC or Redis stall, a busy instance) catches
// up in bursts of up to a thousand events that no client is to blame for,
// and would cut every socket of the stream off at once. A queue more than a
// quarter full marks the subscriber behind, as a full one does in offer:
// its client is too slow for the stream.
func (s *Sub) offerStored(msgs []Message, bursts *atomic.Int64) {
	switch s.q.pushAll(msgs, s.q.limit/4) {
	case lagging:
		s.fellBehind()
	case tooMany:
		bursts.Add(1)
		s.askCheck(byBurst)
	}
}

// Ready has a value when messages were queued (while the writer's gap
// runs, a crowd of them) or the writer was asked for something since the
// last one taken from it; Next then takes them, oldest first (none, when
// an earlier Next took them already).
func (s *Sub) Ready() <-chan struct{} { return s.q.ready }

// Next takes the oldest queued message; false when none waits.
func (s *Sub) Next() (Message, bool) { return s.q.pop() }

// Len is how many messages are queued.
func (s *Sub) Len() int { return s.q.len() }

// NewHub returns a hub over src whose tailed events go to observers before
// they reach any subscriber.
func NewHub(src Source, log *slog.Logger, observers ...Observer) *Hub {
	if log == nil {
		log = slog.Default()
	}
	return &Hub{src: src, log: log, streams: map[string]*feed{}, observers: observers, Now: time.Now}
}

// Subscribe adds a subscriber to stream with a queue of size queue.
func (h *Hub) Subscribe(stream string, queue int) *Sub {
	s := &Sub{stream: stream, q: newQueue(queue), behind: make(chan struct{})}
	h.mu.Lock()
	f := h.streams[stream]
	if f == nil {
		f = &feed{subs: map[*Sub]struct{}{}}
		h.streams[stream] = f
	}
	f.subs[s] = struct{}{}
	s.feed = f
	h.mu.Unlock()
	return s
}

// Unsubscribe removes s.
func (h *Hub) Unsubscribe(s *Sub) {
	h.mu.Lock()
	if f := h.streams[s.stream]; f != nil {
		delete(f.subs, s)
	}
	h.mu.Unlock()
}

// Publish offers m to every local subscriber of stream. It never blocks:
// the subscriber list is copied under the lock and sends do not wait.
func (h *Hub) Publish(stream string, m Message) {
	m = shared(m)
	for _, s := range h.subsOf(stream, m.Seq) {
		s.offer(m)
	}
}

// shared is m with the compressed form every socket shares, when it is
// large enough to have one (DeflateMin).
func shared(m Message) Message {
	if m.Deflated == nil && len(m.JSON) >= DeflateMin {
		m.Deflated = NewDeflated(m.JSON)
	}
	return m
}

// subsOf is a copy of stream's local subscribers, taken under the lock,
// which are offered seq next (0: a volatile message): the feed saw it.
func (h *Hub) subsOf(stream string, seq uint64) []*Sub {
	h.mu.RLock()
	defer h.mu.RUnlock()
	f := h.streams[stream]
	if f == nil {
		return nil
	}
	f.saw(seq)
	subs := make([]*Sub, 0, len(f.subs))
	for s := range f.subs {
		subs = append(subs, s)
	}
	return subs
}

// publishStored offers msgs, tailed from storage in seq order, to every
// local subscriber of stream: a batch of several as one (see offerStored).
func (h *Hub) publishStored(stream string, msgs []Message) {
	if len(msgs) == 1 {
		h.Publish(stream, msgs[0])
		return
	}
	for i, m := range msgs {
		msgs[i] = shared(m)
	}
	for _, s := range h.subsOf(stream, msgs[len(msgs)-1].Seq) {
		s.offerStored(msgs, &h.catchUps[byBurst])
	}
}

// Clients returns the number of local subscribers of stream.
func (h *Hub) Clients(stream string) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if f := h.streams[stream]; f != nil {
		return len(f.subs)
	}
	return 0
}

// Tail follows stream in storage and publishes every event to the local
// subscribers until ctx ends. Every instance tails every shared stream, so a
// client receives every event whichever instance it is connected to.
func (h *Hub) Tail(ctx context.Context, stream string) error {
	for {
		last, err := h.src.Seq(ctx, stream)
		if err == nil {
			return h.TailFrom(ctx, stream, last)
		}
		if !sleep(ctx, 250*time.Millisecond) {
			return nil
		}
	}
}

// TailFrom is Tail from the events after last: an instance reads the seq
// before the state its observers keep, so that no event stored between
// that read and the tail's start is missed.
func (h *Hub) TailFrom(ctx context.Context, stream string, last uint64) error {
	failing := false
	for ctx.Err() == nil {
		msgs, err := h.src.Tail(ctx, stream, last, 2*time.Second)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if !failing {
				h.log.Warn("tailing stream failed; retrying", "stream", stream, "err", err)
				failing = true
			}
			sleep(ctx, 250*time.Millisecond)
			continue
		}
		if failing {
			// Storage came back. If it lost data, the stream starts a new
			// life below where we were: follow it from its start (clients
			// are found ahead of it by the sweep and take a snapshot).
			if cur, err := h.src.Seq(ctx, stream); err == nil && cur < last {
				h.log.Warn("stream restarted below the last seq seen; following it afresh", "stream", stream, "last", last, "now", cur)
				last = 0
			}
			failing = false
		}
		if len(msgs) == 0 {
			continue
		}
		for _, m := range msgs {
			h.observe(stream, m)
		}
		h.publishStored(stream, msgs)
		last = msgs[len(msgs)-1].Seq
	}
	return nil
}

// observe hands a tailed message, decoded once, to the observers of its
// type.
func (h *Hub) observe(stream string, m Message) {
	if len(h.observers) == 0 {
		return
	}
	typ := vocab.EnvelopeType(m.JSON)
	var ev *vocab.Envelope
	for _, o := range h.observers {
		if !slices.Contains(o.Types, typ) {
			continue
		}
		if ev == nil {
			ev = new(vocab.Envelope)
			if err := json.Unmarshal(m.JSON, ev); err != nil {
				h.log.Warn("an event of the stream does not decode; observers skip it", "stream", stream, "seq", m.Seq, "err", err)
				return
			}
		}
		o.Fn(*ev)
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Notifier delivers events of streams that are not tailed (one per unit)
// as they are stored, from every instance, and calls up each time it
// subscribed: at first and after a break, which may have lost events.
type Notifier interface {
	Notifications(ctx context.Context, fn func(stream string, m Message), up func()) error
}

// Follow publishes notified events to local subscribers until ctx ends,
// resubscribing after failures; each subscription, the first too, makes
// every local client check its seq in storage at once.
func (h *Hub) Follow(ctx context.Context, n Notifier) error {
	first := true
	up := func() {
		if first {
			h.checkAll(bySubscribe)
		} else {
			h.resubscribed.Add(1)
			h.checkAll(byResubscribe)
		}
		first = false
	}
	for ctx.Err() == nil {
		err := n.Notifications(ctx, func(stream string, m Message) { h.Publish(stream, m) }, up)
		if err != nil && ctx.Err() == nil {
			h.log.Warn("following notifications failed; retrying", "err", err)
			sleep(ctx, 250*time.Millisecond)
		}
	}
	return nil
}

// Sweep has the subscribers of each stream whose seq in storage moved from
// what they were given check theirs, every every, a thousand streams a read
// until ctx ends: one read where each socket read at each heartbeat (BENCHMARKS 99q).
func (h *Hub) Sweep(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		switch err := h.sweep(ctx); {
		case err != nil && !failing && ctx.Err() == nil:
			h.log.Warn("sweeping the streams' seqs failed; the next sweep tries again", "err", err)
			failing = true
		case err == nil && failing:
			h.log.Info("sweeping the streams' seqs works again")
			failing = false
		}
	}
}

// sweepBatch is the most streams one read of the sweep takes.
const sweepBatch = 1000

// sweep is one of Sweep's rounds: storage ahead of a feed (a notification
// lost, a tail that lags) or below what it saw before the read (data lost),
// or a check of the feed's whose read failed, asks every subscriber to check.
func (h *Hub) sweep(ctx context.Context) error {
	var (
		names  []string
		feeds  []*feed
		before []uint64
	)
	h.mu.RLock()
	for name, f := range h.streams {
		if len(f.subs) > 0 {
			names, feeds, before = append(names, name), append(feeds, f), append(before, f.seen.Load())
		}
	}
	h.mu.RUnlock()
	for i := 0; i < len(names); i += sweepBatch {
		j := min(i+sweepBatch, len(names))
		seqs, err := h.src.Seqs(ctx, names[i:j])
		if err == nil && len(seqs) != j-i {
			err = fmt.Errorf("reading seqs: %d for %d streams", len(seqs), j-i)
		}
		if err != nil {
			return err
		}
		for k, cur := range seqs {
			f := feeds[i+k]
			switch {
			case cur < before[i+k]:
				h.askFeed(f, bySweep)
				// The stream's new life: its seqs are below what was seen.
				f.seen.CompareAndSwap(before[i+k], cur)
			case f.recheck.Swap(false) || cur > f.seen.Load():
				// Every one reads storage after this read: it gets cur at
				// least, or its failed read marks the feed for the next.
				h.askFeed(f, bySweep)
				f.saw(cur)
			}
		}
	}
	return nil
}

// askFeed asks every local subscriber of f to check its seq, saying why.
func (h *Hub) askFeed(f *feed, why checkReason) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	f.ask(why)
}

// ask asks every subscriber of f to check its seq; the caller holds the
// hub's lock.
func (f *feed) ask(why checkReason) {
	for s := range f.subs {
		s.askCheck(why)
	}
}

// checkAll asks every local client to compare its seq with storage now,
// saying why.
func (h *Hub) checkAll(why checkReason) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, f := range h.streams {
		f.ask(why)
	}
}

// CatchUps returns how many checks of a client's seq found it behind
// storage: asked by the sweep (once a heartbeat), and after the
// notifications were subscribed again.
func (h *Hub) CatchUps() (heartbeat, resubscribed int64) {
	return h.catchUps[bySweep].Load(), h.catchUps[byResubscribe].Load()
}

// CatchUpsAtSubscribe returns how many clients served before the
// notifications were first subscribed were found behind storage then.
func (h *Hub) CatchUpsAtSubscribe() int64 { return h.catchUps[bySubscribe].Load() }

// CatchUpsAfterBursts returns how many times a client was sent to catch up
// from storage because a batch of the tail did not fit its queue (see
// offerStored).
func (h *Hub) CatchUpsAfterBursts() int64 { return h.catchUps[byBurst].Load() }

// Resubscribed returns how many times the notifications were subscribed
// again after a break.
func (h *Hub) Resubscribed() int64 { return h.resubscribed.Load() }

// ErrBehind is returned by Serve when the client fell too far behind.
var ErrBehind = errors.New("client fell behind")

// Sink writes one message to a client; it must apply a write deadline.
type Sink func(b []byte) error

// BatchSink writes several messages to a client, in order, each its own
// message, with one flush under one write deadline.
type BatchSink func(msgs []Message) error

// Batch bounds what one flush of live messages carries: how many, and
// how many bytes once that much is pending.
const (
	BatchMessages = 64
	BatchBytes    = 64 << 10
)

// Snapshot returns a stream's current state as a snapshot message, its Seq
// the seq it reflects (read the seq first, then the state: events after the
// seq are delivered again and carry their object's whole state as the
// stream shows it, so applying them is safe). A message several sockets
// share may carry its compressed form, made once for all of them.
type Snapshot func(ctx context.Context) (Message, error)

// SnapshotOf makes a Snapshot's answer of a message, the seq it reflects
// and an error.
func SnapshotOf(msg []byte, seq uint64, err error) (Message, error) {
	return Message{JSON: msg, Seq: seq}, err
}

// Client serves one connection of a stream.
type Client struct {
	Hub       *Hub
	Stream    string
	Queue     int
	Heartbeat time.Duration
	Snapshot  Snapshot
	// Ready, when set, reports whether storage is reachable; heartbeats
	// carry it so a page can say it is not live.
	Ready func() bool
	// Filter, when set, decides what this client may see of each message
	// of the stream, live and on replay alike: the bytes to send (m.JSON
	// itself, or a re-encoding) and whether to send anything. A message
	// filtered out still counts as delivered for seq. Nil sends every
	// message as it is, shared by every client.
	Filter func(m Message) ([]byte, bool)
	// Batch, when set, writes the live messages already queued for the
	// client when the writer wakes (up to BatchMessages, or BatchBytes) with
	// one flush instead of one each, and a snapshot of DeflateMin or more
	// with its compressed form; nil writes each through the sink.
	Batch BatchSink
	// Beat, when set, writes each heartbeat in place of the sink: a
	// websocket sends a ping with it, so that a silent client is noticed.
	Beat Sink
	// Started, when set, is called once the start (the snapshot or the
	// replay after since, and the catch-up) is written or has failed.
	Started func()
	// WriteGap, when positive (and with Batch), is how long live messages
	// that follow a flush wait to go together with those after them; one
	// after a quiet spell, a batch's worth, and a full batch's rest go at once.
	WriteGap time.Duration
}

// Serve writes the stream to sink: a snapshot, or everything after since
// when since is given, still held and at most Queue events behind, then
// live events in seq order without gaps or repeats, and heartbeats. It is
// the connection's only writer and returns when ctx ends, the sink fails,
// or the client falls behind.
// Extra volatile messages for this client only (replies) come from direct.
func (c *Client) Serve(ctx context.Context, since *uint64, direct <-chan []byte, sink Sink) error {
	sub := c.Hub.Subscribe(c.Stream, c.Queue)
	defer c.Hub.Unsubscribe(sub)
	w := &writer{Client: c, ctx: ctx, sink: sink}
	err := w.start(since)
	if c.Started != nil {
		c.Started()
	}
	if err != nil {
		return err
	}
	return w.loop(sub, direct)
}

// writer is one Serve call's state: the client, its sink and the last seq
// of the stream delivered (sent or filtered out).
type writer struct {
	*Client
	ctx  context.Context
	sink Sink
	last uint64

	pending []Message // live messages to write together (Batch), as the filter let them through
	size    int       // their bytes
	wrote   bool      // a flush wrote something since loop last cleared it
}

func (w *writer) write(b []byte) error { return w.sink(b) }

// bytesOf is what the client gets of m through the filter (nil: nothing).
func (w *writer) bytesOf(m Message) []byte {
	if w.Filter == nil {
		return m.JSON
	}
	if b, ok := w.Filter(m); ok {
		return b
	}
	return nil
}

// deliver writes a message of the stream through the filter; a stored one
// moves last on, whether it was sent or filtered out.
func (w *writer) deliver(m Message) error {
	if b := w.bytesOf(m); b != nil {
		if err := w.write(b); err != nil {
			return err
		}
	}
	if m.Seq != 0 {
		w.last = m.Seq
	}
	return nil
}

// snapshot writes the stream's state and moves last to the seq it reflects.
func (w *writer) snapshot() error {
	snap, err := w.Snapshot(w.ctx)
	if err != nil {
		return err
	}
	w.last = snap.Seq
	if w.Batch != nil && len(snap.JSON) >= DeflateMin {
		// Compressed if the client negotiated it (a screen's snapshot of a
		// city's units is a megabyte or more): once for every socket that
		// shares the message, else for this one. Nothing is pending when a
		// snapshot is written.
		z := snap.Deflated
		if z == nil {
			z = NewDeflated(snap.JSON)
		}
		return w.Batch([]Message{{JSON: snap.JSON, Deflated: z}})
	}
	return w.write(snap.JSON)
}

// catchUp writes what storage holds after last (with Batch, a batch's
// worth at a time), up to seq to at least (0: all of it), so that a client
// slower than the stream comes back to its loop, where it is cut off if it
// falls behind; when the stream no longer holds last+1 it starts again
// from a snapshot.
func (w *writer) catchUp(to uint64) error {
	for {
		msgs, oldest, err := w.Hub.src.Range(w.ctx, w.Stream, w.last+1, 500)
		if err != nil {
			return err
		}
		if (oldest > w.last+1) || (len(msgs) > 0 && msgs[0].Seq > w.last+1) {
			if err := w.snapshot(); err != nil {
				return err
			}
			continue
		}
		for _, m := range msgs {
			if m.Seq <= w.last {
				continue
			}
			if err := w.take(m); err != nil {
				return err
			}
			if len(w.pending) >= BatchMessages || w.size >= BatchBytes {
				if err := w.flush(); err != nil {
					return err
				}
			}
		}
		if err := w.flush(); err != nil {
			return err
		}
		if len(msgs) < 500 || (to > 0 && w.last >= to) {
			return nil
		}
	}
}

// start writes a snapshot, or resumes after since (a snapshot when since is
// from another life of the stream, or too far behind it), then catches up
// with storage.
func (w *writer) start(since *uint64) error {
	if since == nil {
		if err := w.snapshot(); err != nil {
			return err
		}
	} else {
		w.last = *since
		cur, err := w.Hub.src.Seq(w.ctx, w.Stream)
		if err != nil {
			return err
		}
		// A seq from another life of the stream, or one so old that a
		// replay would cost more than a snapshot.
		if w.last > cur || w.far(cur) {
			if err := w.snapshot(); err != nil {
				return err
			}
		}
	}
	return w.catchUp(0)
}

// far reports whether the stream at cur is more events ahead of a client
// resuming than its queue holds: such a gap is not replayed event by event
// (up to streams.max_len of them) but mended with a snapshot. For start
// only: see check.
func (w *writer) far(cur uint64) bool {
	return cur > w.last && cur-w.last > uint64(max(w.Queue, 1))
}

// loop writes live events, replies and heartbeats until ctx ends, a write
// fails or the subscriber falls behind. It waits on the queue's token, which
// every request wakes (and on replies, when there are any): a select over a
// channel a request locks them all at each wake-up.
func (w *writer) loop(sub *Sub, direct <-chan []byte) error {
	defer context.AfterFunc(w.ctx, sub.q.wake)()
	hb := time.AfterFunc(w.Heartbeat, sub.askBeat)
	defer hb.Stop()
	// gap spaces flushes WriteGap apart: while it runs (gapEnd not zero),
	// live messages wait, and the queue wakes the writer only for a crowd.
	var gap *time.Timer
	var gapEnd time.Time
	if w.WriteGap > 0 && w.Batch != nil {
		gap = time.AfterFunc(time.Hour, sub.q.wake)
		gap.Stop()
		defer gap.Stop()
	}
	for {
		if direct == nil {
			<-sub.q.ready
		} else {
			select {
			case <-sub.q.ready:
			case b := <-direct:
				if err := w.write(b); err != nil {
					return err
				}
				continue // a token left meanwhile waits for the next turn
			}
		}
		switch {
		case w.ctx.Err() != nil:
			return nil
		case sub.isBehind():
			return ErrBehind
		}
		// A check asked for goes first, before the heartbeat's write.
		// Loads first: most wake-ups are for messages, and a load takes no
		// lock of the bus where a swap does.
		if sub.check.Load() != 0 {
			if err := w.check(sub, checkReason(sub.check.Swap(0)-1)); err != nil {
				return err
			}
		}
		if sub.beat.Load() && sub.beat.Swap(false) {
			hb.Reset(w.Heartbeat) // from the beat's start, as a ticker's
			if err := w.beat(); err != nil {
				return err
			}
		}
		if !gapEnd.IsZero() {
			if time.Now().Before(gapEnd) && sub.Len() < sub.q.crowd {
				continue // woken for something else, or too early
			}
			gapEnd = time.Time{}
			gap.Stop()
			sub.q.release()
		}
		m, ok := sub.Next()
		if !ok {
			continue
		}
		w.wrote = false
		full, err := w.live(m, sub)
		if err != nil {
			return err
		}
		// What comes within the gap waits for its end and goes together:
		// one write, not one each, on a busy stream. A backlog writes on.
		if gap != nil && w.wrote && !full && sub.q.hold() {
			gapEnd = time.Now().Add(w.WriteGap)
			gap.Reset(w.WriteGap)
		} else if sub.Len() > 0 {
			sub.q.wake() // their turn comes next, at once
		}
	}
}

// live writes m, and with Batch whatever else is queued already (up to
// the batch's bounds) in one flush, in seq order: a repeat is dropped, a
// gap is filled from storage after what is pending is written. full says
// it stopped at a bound (or without Batch), perhaps with more queued.
func (w *writer) live(m Message, sub *Sub) (full bool, err error) {
	for {
		switch {
		case m.Seq == 0, m.Seq == w.last+1:
			if err := w.take(m); err != nil {
				return false, err
			}
		case m.Seq <= w.last:
		default:
			if err := w.flush(); err != nil {
				return false, err
			}
			if err := w.catchUp(m.Seq); err != nil {
				return false, err
			}
		}
		if w.Batch == nil || len(w.pending) >= BatchMessages || w.size >= BatchBytes {
			return true, w.flush()
		}
		var ok bool
		if m, ok = sub.Next(); !ok {
			return false, w.flush()
		}
	}
}

// take queues a live message for the next flush through the filter (with
// no Batch, writes it at once); a stored one moves last on.
func (w *writer) take(m Message) error {
	if w.Batch == nil {
		return w.deliver(m)
	}
	if b := w.bytesOf(m); b != nil {
		out := Message{Seq: m.Seq, JSON: b}
		if len(b) == len(m.JSON) && len(b) > 0 && &b[0] == &m.JSON[0] {
			out.Deflated = m.Deflated // the filter let the message through as it is
		}
		w.pending = append(w.pending, out)
		w.size += len(b)
	}
	if m.Seq != 0 {
		w.last = m.Seq
	}
	return nil
}

// flush writes the pending messages with one call of Batch.
func (w *writer) flush() error {
	if len(w.pending) == 0 {
		return nil
	}
	err := w.Batch(w.pending)
	w.wrote = true
	clear(w.pending)
	w.pending, w.size = w.pending[:0], 0
	return err
}

// beat writes a heartbeat; the hub's sweep checks the stream's seq in
// storage for every client of it.
func (w *writer) beat() error {
	ready := w.Ready == nil || w.Ready()
	b := heartbeat(w.last, ready, w.Hub.Now())
	if w.Beat != nil {
		return w.Beat(b)
	}
	return w.write(b)
}

// check writes the live messages already queued, then compares the
// stream's seq in storage with the last delivered: behind, it catches up
// event by event (counted by why); ahead, the stream lost data: a
// snapshot. A failed read of the seq is left to the next check.
//
// Being far behind storage here is no reason for a snapshot (start's far
// is): it measures the distance to storage, not to what the hub will still
// deliver live. When this instance's tail lags (a burst, a GC or Redis
// stall), every socket checking meanwhile would be sent a snapshot, again
// at each check, for events that are on their way.
func (w *writer) check(sub *Sub, why checkReason) error {
	for n := sub.Len(); n > 0; n-- {
		m, ok := sub.Next()
		if !ok {
			break
		}
		if _, err := w.live(m, sub); err != nil {
			return err
		}
	}
	cur, err := w.Hub.src.Seq(w.ctx, w.Stream)
	switch {
	case err != nil:
		sub.feed.recheck.Store(true) // the next sweep asks again
		return nil
	case cur > w.last:
		if why != byBurst { // counted when the burst sent it (publishStored)
			w.Hub.catchUps[why].Add(1)
		}
		err = w.catchUp(cur)
	case cur < w.last:
		err = w.snapshot()
	}
	return err
}

func heartbeat(seq uint64, ready bool, at time.Time) []byte {
	b := make([]byte, 0, 112)
	b = append(b, `{"type":"heartbeat","at":"`...)
	b = at.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","data":{"seq":`...)
	b = appendUint(b, seq)
	if ready {
		b = append(b, `,"ready":true`...)
	} else {
		b = append(b, `,"ready":false`...)
	}
	return append(b, "}}"...)
}

func appendUint(b []byte, v uint64) []byte {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, buf[i:]...)
}

// Area returns the area header of a stored message, the grid code that
// limits who may see it ("" when it is not limited). Stored messages begin
// {"seq":N,"type":"T" and a limited one goes on ,"area":"A", so the header
// is found without decoding the message; the result shares b's memory.
func Area(b []byte) []byte {
	const typ, area = `"type":"`, `","area":"`
	i := bytes.Index(b[:min(len(b), 40)], []byte(typ))
	if i < 0 {
		return nil
	}
	rest := b[i+len(typ):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 || !bytes.HasPrefix(rest[j:], []byte(area)) {
		return nil
	}
	rest = rest[j+len(area):]
	if k := bytes.IndexByte(rest, '"'); k >= 0 {
		return rest[:k]
	}
	return nil
}

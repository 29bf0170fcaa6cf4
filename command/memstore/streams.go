package memstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"watchfloor/command/live"
	"watchfloor/command/stats"
	"watchfloor/command/vocab"
)

// stream is one event stream: the last seq given and the messages still
// held, oldest first.
type stream struct {
	seq  uint64
	msgs []live.Message
}

// notice is one event stored with Notify.
type notice struct {
	stream string
	m      live.Message
}

// followerQueue is how many notified events may wait for a follower
// before the newest are dropped (as pub/sub drops them).
const followerQueue = 4096

// emit appends ev to its stream with the next seq, as the envelope the Lua
// commit writes, notifies followers and moves the day counters. It runs
// under s.mu and returns the seq.
func (s *Store) emit(ev vocab.Event, at time.Time, data []byte) uint64 {
	st := s.streams[ev.Stream]
	if st == nil {
		st = &stream{}
		s.streams[ev.Stream] = st
	}
	st.seq++
	msg := envelope(st.seq, ev.Type, ev.Area, at, data)
	st.msgs = append(st.msgs, live.Message{Seq: st.seq, JSON: msg})
	// Trimmed in batches, as Redis's MAXLEN ~ trims whole nodes: at least
	// maxLen stay, and a full stream is not copied on every event.
	if over := len(st.msgs) - s.maxLen; over > s.maxLen/8 {
		st.msgs = append([]live.Message(nil), st.msgs[over:]...)
	}
	if ev.Notify {
		s.notices.Publish(notice{stream: ev.Stream, m: live.Message{Seq: st.seq, JSON: bytes.Clone(msg)}})
	}
	if ev.Stream == vocab.ScreenStream {
		s.count(stats.Counts(ev, s.loc))
	}
	return st.seq
}

// envelope is the stored message, byte for byte as the Lua commit makes it:
// {"seq":N,"type":T[,"area":A],"at":RFC3339Nano UTC,"data":D}.
func envelope(seq uint64, typ, area string, at time.Time, data []byte) []byte {
	b := make([]byte, 0, 64+len(typ)+len(area)+len(data))
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"type":"`...)
	b = append(b, typ...)
	b = append(b, '"')
	if area != "" {
		a, _ := json.Marshal(area)
		b = append(b, `,"area":`...)
		b = append(b, a...)
	}
	b = append(b, `,"at":"`...)
	b = at.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","data":`...)
	b = append(b, data...)
	return append(b, '}')
}

// Seq implements live.Source.
func (s *Store) Seq(ctx context.Context, stream string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("reading seq: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.streams[stream]; st != nil {
		return st.seq, nil
	}
	return 0, nil
}

// Seqs implements live.Source.
func (s *Store) Seqs(ctx context.Context, streams []string) ([]uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("reading seqs: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seqs := make([]uint64, len(streams))
	for i, stream := range streams {
		if st := s.streams[stream]; st != nil {
			seqs[i] = st.seq
		}
	}
	return seqs, nil
}

// Range implements live.Source.
func (s *Store) Range(ctx context.Context, stream string, from uint64, count int64) ([]live.Message, uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, fmt.Errorf("reading stream %s: %w", stream, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.streams[stream]
	if st == nil || len(st.msgs) == 0 {
		return []live.Message{}, 0, nil
	}
	return after(st.msgs, from, count), st.msgs[0].Seq, nil
}

// after copies up to count messages of msgs with seq ≥ from.
func after(msgs []live.Message, from uint64, count int64) []live.Message {
	out := []live.Message{}
	for _, m := range msgs {
		if int64(len(out)) >= count {
			break
		}
		if m.Seq >= from {
			out = append(out, live.Message{Seq: m.Seq, JSON: bytes.Clone(m.JSON)})
		}
	}
	return out
}

// Tail implements live.Source: it returns the messages after seq as soon
// as there are any, or nothing after block.
func (s *Store) Tail(ctx context.Context, stream string, seq uint64, block time.Duration) ([]live.Message, error) {
	t := time.NewTimer(block)
	defer t.Stop()
	for {
		s.mu.Lock()
		var msgs []live.Message
		if st := s.streams[stream]; st != nil {
			msgs = after(st.msgs, seq+1, 1000)
		}
		wake := s.wake
		s.mu.Unlock()
		if len(msgs) > 0 {
			return msgs, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
			return nil, nil
		case <-wake:
		}
	}
}

// Notifications implements live.Notifier: fn sees every event stored with
// Notify from the call on, until ctx ends; nothing is ever lost, so up is
// called once, when it follows them.
func (s *Store) Notifications(ctx context.Context, fn func(stream string, m live.Message), up func()) error {
	return s.notices.Follow(ctx, func(n notice) { fn(n.stream, n.m) }, up)
}

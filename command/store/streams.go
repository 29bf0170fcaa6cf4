package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/live"
)

// Streams: stream:{name} holds the events of a stream under their seq
// (seq-0 ids, capped near the stream cap); seq:{name} is its last seq; the
// notify channel carries the events of streams instances do not tail.

// Seq returns the current seq of a stream (0 when nothing was ever sent).
// Calls made while a read is under way share the next read (seqReads).
func (s *Store) Seq(ctx context.Context, stream string) (uint64, error) {
	return s.seqs.read(ctx, s.Key("seq", stream))
}

// Seqs returns the current seq of each of streams (0 where nothing was ever
// sent) in one MGET: the hub's sweep of the streams this instance serves.
func (s *Store) Seqs(ctx context.Context, streams []string) ([]uint64, error) {
	if len(streams) == 0 {
		return nil, nil
	}
	keys := make([]string, len(streams))
	for i, stream := range streams {
		keys[i] = s.Key("seq", stream)
	}
	vals, err := s.seqs.get(ctx, keys)
	if err != nil {
		return nil, err
	}
	if len(vals) != len(keys) {
		return nil, fmt.Errorf("reading seqs: %d values for %d keys", len(vals), len(keys))
	}
	seqs := make([]uint64, len(vals))
	for i, v := range vals {
		if seqs[i], err = seqOf(v); err != nil {
			return nil, fmt.Errorf("stream %s: %w", streams[i], err)
		}
	}
	return seqs, nil
}

// Message is one event of a stream (see live.Message).
type Message = live.Message

// Range returns up to count messages of stream with seq ≥ from, in order,
// and the oldest seq the stream still holds (0 when it is empty).
func (s *Store) Range(ctx context.Context, stream string, from uint64, count int64) (msgs []Message, oldest uint64, err error) {
	key := s.Key("stream", stream)
	pipe := s.rdb.Pipeline()
	rng := pipe.XRangeN(ctx, key, strconv.FormatUint(from, 10)+"-0", "+", count)
	first := pipe.XRangeN(ctx, key, "-", "+", 1)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, 0, s.Wrap("reading stream "+stream, err)
	}
	if f := first.Val(); len(f) == 1 {
		oldest = idSeq(f[0].ID)
	}
	msgs, err = s.messages(ctx, rng.Val())
	return msgs, oldest, err
}

// Tail blocks up to block for messages of stream after seq after. It
// returns as soon as ctx ends (go-redis does not abort a blocking read on
// cancel, so the read finishes in the background and is dropped).
func (s *Store) Tail(ctx context.Context, stream string, after uint64, block time.Duration) ([]Message, error) {
	type result struct {
		res []redis.XStream
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := s.rdb.XRead(context.WithoutCancel(ctx), &redis.XReadArgs{
			Streams: []string{s.Key("stream", stream), strconv.FormatUint(after, 10) + "-0"},
			Count:   1000,
			Block:   block,
		}).Result()
		done <- result{res, err}
	}()
	var r result
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r = <-done:
	}
	if errors.Is(r.err, redis.Nil) {
		return nil, nil
	}
	if r.err != nil {
		return nil, s.Wrap("tailing stream "+stream, r.err)
	}
	if len(r.res) == 0 {
		return nil, nil
	}
	return s.messages(ctx, r.res[0].Messages)
}

// messages are stream entries as messages, each whole (see Whole).
func (s *Store) messages(ctx context.Context, xs []redis.XMessage) ([]Message, error) {
	out := make([]Message, 0, len(xs))
	for _, x := range xs {
		m, _ := x.Values["m"].(string)
		b, err := s.Whole(ctx, m)
		if err != nil {
			return nil, fmt.Errorf("reading event %s: %w", x.ID, err)
		}
		out = append(out, Message{Seq: idSeq(x.ID), JSON: b})
	}
	return out, nil
}

func idSeq(id string) uint64 {
	if i := strings.IndexByte(id, '-'); i >= 0 {
		id = id[:i]
	}
	v, _ := strconv.ParseUint(id, 10, 64)
	return v
}

var _ live.Source = (*Store)(nil)

// Notifications calls fn with every event published with Notify on any
// instance, until ctx ends, and up each time it subscribed (at first and
// after a broken connection, which loses what was published meanwhile).
func (s *Store) Notifications(ctx context.Context, fn func(stream string, m Message), up func()) error {
	return s.Subscribe(ctx, "notify", 4096, func(payload string) {
		stream, rest, ok1 := strings.Cut(payload, "\n")
		seq, msg, ok2 := strings.Cut(rest, "\n")
		n, err := strconv.ParseUint(seq, 10, 64)
		if !ok1 || !ok2 || err != nil {
			return
		}
		b, err := s.Whole(ctx, msg)
		if err != nil {
			// The hub's next sweep finds the stream ahead of its sockets:
			// they read the event from the stream then.
			s.log.Warn("an event published could not be read whole; its sockets read it again from the stream", "stream", stream, "seq", n, "err", err)
			return
		}
		fn(stream, Message{Seq: n, JSON: b})
	}, up)
}

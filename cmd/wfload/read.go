package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// read dials a websocket at path, reads its snapshot off (timed in
// snapshots: the load starts once every socket has its own, as screens
// and phones are connected long before an incident) and, until ctx ends,
// reads every message; once ready is closed, those whose head (their
// first bytes, where the type is) want accepts are read whole into one
// buffer the socket reuses and handed to on with the time they arrived
// (on must not keep raw); the others, and every message before ready, are
// read off the socket and dropped, undecoded and unbuffered. Reading goes
// on while the other sockets connect, so that the server's pings are
// answered (the library writes the pong while it reads): a socket silent
// for three heartbeats and the write timeout is cut off. It counts
// failures in wsErr.
func (l *load) read(ctx context.Context, path, token string, conns *sync.WaitGroup, ready <-chan struct{},
	want func(head []byte) bool, on func(raw []byte, now time.Time)) {
	start := time.Now()
	c, err := l.dialAgain(ctx, path, token)
	buf := make([]byte, 0, 4096)
	snapshot := false // the first message is the socket's snapshot
	if err == nil {
		stop := context.AfterFunc(ctx, func() { c.Close() }) // an interrupted run waits for no snapshot
		defer stop()
		var r io.Reader
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second)) // a server that sends none fails the socket
		if _, r, err = c.NextReader(); err == nil {
			buf, _, err = readHead(r, buf[:0], func([]byte) bool { return false })
			snapshot = err == nil && isType(buf, `"snapshot"`)
		}
		_ = c.SetReadDeadline(time.Time{})
	}
	if snapshot {
		l.snapshots.add(time.Since(start))
		if path == "/ws/screen" && l.lateScreens != "" {
			l.screenSnaps.add(time.Since(start))
		}
	}
	conns.Done()
	if !snapshot {
		if c != nil {
			c.Close()
		}
		l.wsErr.Add(1)
		switch {
		case c == nil:
			l.wsWhy.add("dial", err)
		case err != nil:
			l.wsWhy.add("snapshot", err)
		default:
			l.wsWhy.add("snapshot", errors.New("the first message is no snapshot"))
		}
		return
	}
	defer c.Close()
	measuring := func([]byte) bool { return false } // until ready: read off, not measured
	for {
		_, r, err := c.NextReader()
		if err == nil {
			select {
			case <-ready:
				measuring = want
			default:
			}
			var whole bool
			if buf, whole, err = readHead(r, buf[:0], measuring); err == nil && whole {
				on(buf, time.Now())
			}
		}
		if err != nil {
			if ctx.Err() == nil {
				l.wsErr.Add(1)
				l.wsWhy.add("live", err)
			}
			return
		}
	}
}

// headLen is how much of a message tells its type ("type" comes first in
// every envelope, after at most a seq).
const headLen = 48

// readHead reads a message's head into buf; when want accepts it, the rest
// too (whole), else the rest is dropped.
func readHead(r io.Reader, buf []byte, want func(head []byte) bool) (_ []byte, whole bool, err error) {
	buf = slices.Grow(buf[:0], headLen)[:headLen]
	n, err := io.ReadFull(r, buf)
	buf = buf[:n]
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return buf, want(buf), nil
	}
	if err != nil {
		return buf, false, err
	}
	if !want(buf) {
		_, err = io.Copy(io.Discard, r)
		return buf, false, err
	}
	b := bytes.NewBuffer(buf) // grows by doubling, kept by the caller
	_, err = b.ReadFrom(r)
	return b.Bytes(), true, err
}

// isType reports whether the message raw is of type typ (quoted), by its
// head alone: "type" comes first in every envelope.
func isType(raw []byte, typ string) bool {
	return bytes.Contains(raw[:min(len(raw), headLen)], []byte(typ))
}

// sentAt finds the send time stamped after marker in raw, without decoding
// the whole message: 50 screens' worth of decoding would load this machine
// more than the server.
func sentAt(raw []byte, marker string) (time.Time, bool) {
	i := bytes.Index(raw, []byte(marker))
	if i < 0 {
		return time.Time{}, false
	}
	rest := raw[i+len(marker):]
	j := bytes.IndexByte(rest, '"')
	if j <= 0 {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(string(rest[:j]), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, n), true
}

// screen reads a screen websocket; the first one also times frames.
func (l *load) screen(ctx context.Context, token string, frames bool, conns *sync.WaitGroup, ready <-chan struct{}) {
	want := func(head []byte) bool {
		return (frames && isType(head, `"unit.positions"`)) || isType(head, `"incident.created"`)
	}
	l.read(ctx, "/ws/screen", token, conns, ready, want, func(raw []byte, now time.Time) {
		switch {
		case frames && isType(raw, `"unit.positions"`):
			var m struct {
				Data struct {
					Units []struct {
						Position struct{ At time.Time } `json:"position"`
					} `json:"units"`
				} `json:"data"`
			}
			if json.Unmarshal(raw, &m) == nil {
				for _, u := range m.Data.Units {
					l.toFrame.add(now.Sub(u.Position.At))
				}
			}
		case isType(raw, `"incident.created"`):
			if at, ok := sentAt(raw, `"title":"load `+stamp); ok {
				l.toScreen.add(now.Sub(at))
			}
		}
	})
}

// responder reads a responder websocket, timing task.assigned; a sampled
// one also splits each task's time into the steps the server stamps.
func (l *load) responder(ctx context.Context, token string, sample bool, conns *sync.WaitGroup, ready <-chan struct{}) {
	want := func(head []byte) bool { return isType(head, `"task.assigned"`) }
	l.read(ctx, "/ws/responder", token, conns, ready, want, func(raw []byte, now time.Time) {
		at, ok := sentAt(raw, stamp)
		if !ok {
			return
		}
		l.fanout.add(now.Sub(at))
		switch {
		case sample:
			l.steps.add(raw, at, now)
		case l.o.Steps && now.Sub(at) > slowTask:
			l.slow.add(raw, at, now)
		}
	})
}

// slowTask is how late a task must be for -steps to split its time on any
// responder (the sample shows the usual; these, the tail).
const slowTask = 2 * time.Second

// fanSteps splits a task's way to its phone by the times the server puts
// in it: the plan's activation (the task's assigned_at), the start of the
// atomic step that stores it (its event's at, stamped before Redis runs
// the step), and its arrival.
type fanSteps struct {
	activated, begun, delivered series
	size                        atomic.Int64 // a task.assigned message's bytes
}

func (f *fanSteps) add(raw []byte, sent, now time.Time) {
	var m struct {
		At   time.Time `json:"at"`
		Data struct {
			AssignedAt time.Time `json:"assigned_at"`
		} `json:"data"`
	}
	if json.Unmarshal(raw, &m) != nil || m.At.IsZero() || m.Data.AssignedAt.IsZero() {
		return
	}
	f.size.Store(int64(len(raw)))
	f.activated.add(m.Data.AssignedAt.Sub(sent))
	f.begun.add(m.At.Sub(m.Data.AssignedAt))
	f.delivered.add(now.Sub(m.At))
}

// figures names each step's figure after prefix.
func (f *fanSteps) figures(prefix string, elapsed time.Duration) []Figure {
	activated := f.activated.figure(prefix+"request to plan activated", elapsed)
	if n := f.size.Load(); n > 0 {
		activated.Comment = fmt.Sprintf("task.assigned messages of %d bytes", n)
	}
	return []Figure{
		activated,
		f.begun.figure(prefix+"activated to its step's start", elapsed),
		f.delivered.figure(prefix+"step's start to phone", elapsed),
	}
}

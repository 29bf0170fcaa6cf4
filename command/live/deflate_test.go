package live_test

import (
	"bytes"
	"compress/flate"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"watchfloor/command/live"
	"watchfloor/command/memstore"
)

// inflate reads a permessage-deflate payload back, as a client does: the
// four bytes left off put back (RFC 7692 7.2.2). The standard library
// reads it, not the one that compressed it.
func inflate(t testing.TB, payload []byte) []byte {
	t.Helper()
	r := flate.NewReader(io.MultiReader(bytes.NewReader(payload), strings.NewReader("\x00\x00\xff\xff\x01\x00\x00\xff\xff")))
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("inflating %d bytes: %v", len(payload), err)
	}
	return out
}

// FuzzDeflated: whatever a message holds, its deflated form is shorter
// and inflates back to it alone (nothing of an earlier message is needed),
// or is nil and the message goes as it is.
func FuzzDeflated(f *testing.F) {
	f.Add([]byte(`{"type":"unit.positions","data":{"units":[]}}`))
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0, 0, 0xff, 0xff}, 300))
	f.Add(bytes.Repeat([]byte(`{"id":"car-01"},`), 100))
	f.Fuzz(func(t *testing.T, src []byte) {
		for range 2 { // the second from a compressor used before
			d := live.NewDeflated(src).Bytes()
			if d == nil {
				continue
			}
			if len(d) >= len(src) {
				t.Fatalf("%d bytes deflated to %d", len(src), len(d))
			}
			if got := inflate(t, d); !bytes.Equal(got, src) {
				t.Fatalf("%d bytes came back as %d", len(src), len(got))
			}
		}
	})
}

// TestDeflatedOnlyWhenShorter: a message that does not shrink has no
// compressed form; one that does inflates back alone, however many
// messages the compressors took before.
func TestDeflatedOnlyWhenShorter(t *testing.T) {
	if d := live.NewDeflated([]byte(`{"a":1}`)).Bytes(); d != nil {
		t.Errorf("7 bytes got a compressed form of %d", len(d))
	}
	frame := bytes.Repeat([]byte(`{"id":"car-01","status":"available"},`), 200)
	for i := range 3 {
		d := live.NewDeflated(frame).Bytes()
		if d == nil || !bytes.Equal(inflate(t, d), frame) {
			t.Fatalf("round %d: %d bytes did not come back alone", i, len(frame))
		}
	}
}

// TestDeflatedOnceShared: a message's deflated form is made once, however
// many sockets ask at once, and is the same bytes for each.
func TestDeflatedOnceShared(t *testing.T) {
	src := bytes.Repeat([]byte(`{"id":"car-01","position":{"lon":114.1085,"lat":22.554}},`), 2000)
	d := live.NewDeflated(src)
	got := make([][]byte, 50)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() { got[i] = d.Bytes() })
	}
	wg.Wait()
	for i := range got {
		if &got[i][0] != &got[0][0] {
			t.Fatalf("socket %d got its own compression", i)
		}
	}
	if len(got[0]) > len(src)/5 || !bytes.Equal(inflate(t, got[0]), src) {
		t.Fatalf("%d bytes deflated to %d", len(src), len(got[0]))
	}
}

// TestBatchCarriesTheSharedDeflatedForm: a published message of
// DeflateMin or more reaches every client's Batch with one deflated form
// for all; a smaller one, and bytes a filter made of its own, without.
func TestBatchCarriesTheSharedDeflatedForm(t *testing.T) {
	st := memstore.New(memstore.Options{})
	h := live.NewHub(st, quiet)
	big := []byte(`{"type":"unit.positions","data":{"units":[` + strings.Repeat(`{"id":"car-01"},`, 100) + `{}]}}`)
	small := []byte(`{"type":"unit.positions","data":{"units":[]}}`)
	outs := make([]chan live.Message, 3)
	for i := range outs {
		outs[i] = make(chan live.Message, 10)
		s := newSink()
		c := &live.Client{Hub: h, Stream: "screen", Queue: 100, Heartbeat: time.Hour, Snapshot: snapshotAt(st, "screen"),
			Batch: func(msgs []live.Message) error {
				for _, m := range msgs {
					outs[i] <- m
				}
				return nil
			}}
		if i == 2 { // a filter that sends bytes of its own
			c.Filter = func(m live.Message) ([]byte, bool) { return bytes.Clone(m.JSON), true }
		}
		serve(t, c, nil, s)
		s.wait(t, "snap@0")
	}
	h.Publish("screen", live.Message{JSON: big})
	h.Publish("screen", live.Message{JSON: small})
	var got [3][2]live.Message
	for i := range outs {
		for j := range 2 {
			select {
			case got[i][j] = <-outs[i]:
			case <-time.After(3 * time.Second):
				t.Fatalf("client %d: message %d not within 3 s", i, j)
			}
		}
	}
	if d := got[0][0].Deflated; d == nil || got[1][0].Deflated != d || !bytes.Equal(inflate(t, d.Bytes()), big) {
		t.Errorf("a big message: deflated forms %p and %p, want one shared", d, got[1][0].Deflated)
	}
	if got[2][0].Deflated != nil {
		t.Error("bytes a filter made came with the message's deflated form")
	}
	for i := range got {
		if got[i][1].Deflated != nil {
			t.Errorf("client %d: a message of %d bytes got a deflated form", i, len(got[i][1].JSON))
		}
	}
}

// TestSharedSnapshotCompressedOnce: a snapshot that carries its compressed
// form (shared by the sockets that connect together) goes to every
// client's Batch with that form, not one of its own.
func TestSharedSnapshotCompressedOnce(t *testing.T) {
	st := memstore.New(memstore.Options{})
	h := live.NewHub(st, quiet)
	big := []byte(`{"seq":0,"type":"snapshot","data":{"units":"` + strings.Repeat("car-01 ", 300) + `"}}`)
	shared := live.NewDeflated(big)
	snap := func(context.Context) (live.Message, error) { return live.Message{JSON: big, Deflated: shared}, nil }
	outs := make(chan live.Message, 10)
	for range 2 {
		serve(t, &live.Client{Hub: h, Stream: "screen", Queue: 100, Heartbeat: time.Hour, Snapshot: snap,
			Batch: func(msgs []live.Message) error {
				for _, m := range msgs {
					outs <- m
				}
				return nil
			}}, nil, newSink())
	}
	for i := range 2 {
		select {
		case o := <-outs:
			if o.Deflated != shared {
				t.Errorf("client %d: the snapshot went with a compressed form of its own, not the shared one", i)
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("client %d: the snapshot did not reach Batch", i)
		}
	}
}

// TestBigSnapshotCompressedForTheClient: a snapshot of DeflateMin or more
// goes to Batch with a compressed form of its own; a smaller one, or any
// without Batch, goes through the sink as it is.
func TestBigSnapshotCompressedForTheClient(t *testing.T) {
	st := memstore.New(memstore.Options{})
	h := live.NewHub(st, quiet)
	big := []byte(`{"seq":0,"type":"snapshot","data":{"units":"` + strings.Repeat("car-01 ", 300) + `"}}`)
	snap := func(context.Context) (live.Message, error) { return live.SnapshotOf(big, 0, nil) }
	outs := make(chan live.Message, 10)
	s := newSink()
	serve(t, &live.Client{Hub: h, Stream: "screen", Queue: 100, Heartbeat: time.Hour, Snapshot: snap,
		Batch: func(msgs []live.Message) error {
			for _, m := range msgs {
				outs <- m
			}
			return nil
		}}, nil, s)
	select {
	case o := <-outs:
		if !bytes.Equal(o.JSON, big) || o.Deflated == nil || !bytes.Equal(inflate(t, o.Deflated.Bytes()), big) {
			t.Fatalf("the snapshot went to Batch as %d bytes, compressed form %p", len(o.JSON), o.Deflated)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the snapshot did not reach Batch")
	}
	plain := newSink()
	serve(t, &live.Client{Hub: h, Stream: "screen", Queue: 100, Heartbeat: time.Hour, Snapshot: snapshotAt(st, "screen"),
		Batch: func([]live.Message) error { t.Error("a small snapshot went to Batch"); return nil }}, nil, plain)
	plain.wait(t, "snap@0")
}

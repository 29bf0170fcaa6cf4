package acceptance_test

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"watchfloor/config"
)

// rawScreen opens /ws/screen over a bare connection, offering ext as its
// Sec-WebSocket-Extensions ("" none), and returns the answer's extensions
// and a reader of the frames that follow.
func (h *harness) rawScreen(token, ext string) (string, *bufio.Reader) {
	h.t.Helper()
	c, err := net.Dial("tcp", h.srv.Addr())
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET /ws/screen?token=" + token + " HTTP/1.1\r\nHost: " + h.srv.Addr() + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	if ext != "" {
		req += "Sec-WebSocket-Extensions: " + ext + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		h.t.Fatal(err)
	}
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		h.t.Fatalf("upgrade: %v %v", res, err)
	}
	return res.Header.Get("Sec-WebSocket-Extensions"), br
}

// serverFrame is one frame the server sent: whether RSV1 (compressed) was
// set, and its payload, inflated when it was.
type serverFrame struct {
	compressed bool
	wire       int
	payload    []byte
}

// readServerFrame reads one final server frame (unmasked).
func readServerFrame(r *bufio.Reader) (serverFrame, error) {
	var head [2]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return serverFrame{}, err
	}
	n := uint64(head[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return serverFrame{}, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return serverFrame{}, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if head[0]&0x80 == 0 || head[1]&0x80 != 0 || n > 64<<20 {
		return serverFrame{}, fmt.Errorf("frame % x of %d bytes: not a final unmasked frame", head, n)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return serverFrame{}, err
	}
	f := serverFrame{compressed: head[0]&0x40 != 0, wire: int(n), payload: p}
	if f.compressed {
		inflated, err := io.ReadAll(flate.NewReader(io.MultiReader(bytes.NewReader(p), strings.NewReader("\x00\x00\xff\xff\x01\x00\x00\xff\xff"))))
		if err != nil {
			return f, fmt.Errorf("inflating a frame of %d bytes: %w", n, err)
		}
		f.payload = inflated
	}
	return f, nil
}

// TestScreenFramesCompressedWhenOffered: a screen that offers
// permessage-deflate, as browsers do, gets it, and a position frame of a
// kilobyte or more arrives compressed, and so does the snapshot; without the
// offer, with an offer that limits the server's window, or with
// streams.compress off, nothing is negotiated and nothing compressed.
func TestScreenFramesCompressedWhenOffered(t *testing.T) {
	on := newHarness(t)
	off := newHarness(t, func(c *config.Config) { c.Streams.Compress = false })
	for _, tc := range []struct {
		name, offer string
		h           *harness
		want        bool
	}{
		{"browser offer", "permessage-deflate; client_max_window_bits", on, true},
		{"no offer", "", on, false},
		{"small window", "permessage-deflate; server_max_window_bits=10", on, false},
		{"compression off", "permessage-deflate; client_max_window_bits", off, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.h
			ext, r := h.rawScreen(h.freshToken("viewer"), tc.offer)
			if got := ext != ""; got != tc.want {
				t.Fatalf("answered extensions %q, want negotiated %v", ext, tc.want)
			}
			snap, err := readServerFrame(r)
			if err != nil || !bytes.Contains(snap.payload[:min(len(snap.payload), 64)], []byte(`"snapshot"`)) {
				t.Fatalf("the first frame: %q…, %v; want the snapshot", snap.payload[:min(len(snap.payload), 64)], err)
			}
			if len(snap.payload) < 1024 || snap.compressed != tc.want {
				t.Errorf("the snapshot of %d bytes: compressed %v (%d on the wire), want %v", len(snap.payload), snap.compressed, snap.wire, tc.want)
			}
			// Twenty units move: one frame of some 3 kB.
			now := time.Now().UTC()
			var ps []map[string]any
			for i := range 20 {
				id := fmt.Sprintf("grid-%02d", i+1)
				if i >= 16 {
					id = fmt.Sprintf("car-%02d", i-15)
				}
				ps = append(ps, map[string]any{"unit_id": id, "lon": 114.1200 + float64(i)*0.0001, "lat": 22.5500,
					"at": now.Add(-time.Second).Format(time.RFC3339Nano)})
			}
			if code, _ := h.positions(h.token("operator"), ps...); code != 202 {
				t.Fatalf("positions: %d", code)
			}
			for {
				f, err := readServerFrame(r)
				if err != nil {
					t.Fatalf("waiting for the frame: %v", err)
				}
				if !bytes.Contains(f.payload[:min(len(f.payload), 64)], []byte(`"unit.positions"`)) {
					if f.compressed && len(f.payload) < 1024 {
						t.Errorf("a message of %d bytes came compressed", len(f.payload))
					}
					continue
				}
				if len(f.payload) < 1024 {
					continue // an earlier, smaller frame
				}
				if f.compressed != tc.want || (f.compressed && f.wire >= len(f.payload)) {
					t.Errorf("a frame of %d bytes: compressed %v (%d on the wire), want %v", len(f.payload), f.compressed, f.wire, tc.want)
				}
				return
			}
		})
	}
}

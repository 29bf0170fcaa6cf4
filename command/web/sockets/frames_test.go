package sockets

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/gofiber/contrib/websocket"
	"github.com/klauspost/compress/flate"

	"watchfloor/command/live"
)

// TestFramesReadAsMessages: messages framed by appendFrame and written
// together (every length form: under 126 bytes, 16-bit, 64-bit) are read
// by a websocket client as those messages, in order; on a connection that
// negotiated permessage-deflate, compressed ones (their shared form) and
// plain ones mixed in one write too.
func TestFramesReadAsMessages(t *testing.T) {
	random := func(n int) []byte { // incompressible: its deflated form is as long
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return b
	}
	msgs := [][]byte{[]byte(`{"seq":1}`), random(300), random(70000), bytes.Repeat([]byte(`{"id":"car-01"},`), 5000), []byte(`{}`),
		append(random(70000), bytes.Repeat([]byte("a"), 10000)...)}
	for _, deflate := range []bool{false, true} {
		client, server := net.Pipe()
		t.Cleanup(func() { client.Close(); server.Close() })
		go func() {
			// The server's half of the opening handshake (RFC 6455 4.2.2), then
			// every message in one write.
			req, err := http.ReadRequest(bufio.NewReader(server))
			if err != nil {
				return
			}
			sum := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
			ext := ""
			if deflate {
				ext = "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n"
			}
			_, _ = server.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
				base64.StdEncoding.EncodeToString(sum[:]) + "\r\n" + ext + "\r\n"))
			var b []byte
			for i, m := range msgs {
				if deflate && i%2 == 1 { // every other one compressed, the last at 64-bit length
					b = appendFrame(b, deflateAll(m), true)
				} else {
					b = appendFrame(b, m, false)
				}
			}
			_, _ = server.Write(b)
		}()
		d := fws.Dialer{NetDialContext: func(context.Context, string, string) (net.Conn, error) { return client, nil },
			HandshakeTimeout: 3 * time.Second, EnableCompression: deflate}
		c, _, err := d.Dial("ws://test/ws/screen", nil)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
		for i, want := range msgs {
			typ, got, err := c.ReadMessage()
			if err != nil || typ != fws.TextMessage || !bytes.Equal(got, want) {
				t.Fatalf("deflate %v, message %d: type %d, %d bytes (want %d), %v", deflate, i, typ, len(got), len(want), err)
			}
		}
	}
}

// deflateAll is m's permessage-deflate payload, however little it shrinks.
func deflateAll(m []byte) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestSpeed)
	_, _ = w.Write(m)
	_ = w.Flush()
	return bytes.TrimSuffix(buf.Bytes(), []byte{0, 0, 0xff, 0xff})
}

// socketPair serves one websocket upgraded by the library from an
// httptest server, dialled by a bare client: the client's connection, a
// reader of everything the server sends after its handshake answer, and
// the server's end. Both ends are closed when the test ends.
func socketPair(t *testing.T, deflate bool) (net.Conn, *bufio.Reader, *websocket.Conn) {
	t.Helper()
	conns := make(chan *websocket.Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		c, err := (&fws.Upgrader{EnableCompression: deflate}).Upgrade(rw, r, nil)
		if err != nil {
			return
		}
		conns <- &websocket.Conn{Conn: c}
	}))
	t.Cleanup(srv.Close)
	cli, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	_ = cli.SetDeadline(time.Now().Add(10 * time.Second))
	ext := ""
	if deflate {
		ext = "Sec-WebSocket-Extensions: permessage-deflate\r\n"
	}
	_, err = io.WriteString(cli, "GET /ws HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"+ext+"\r\n")
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(cli)
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", res, err)
	}
	conn := <-conns
	t.Cleanup(func() { _ = conn.NetConn().Close() })
	return cli, br, conn
}

// TestNoDataAfterClose: once the client's Close is answered and the
// server's reader has returned, a batch is refused and nothing follows
// the server's Close on the wire (RFC 6455 5.5.1).
func TestNoDataAfterClose(t *testing.T) {
	cli, br, conn := socketPair(t, false)
	w := newSocketWriter(conn, time.Second, time.Minute, false)
	readerDone := make(chan error, 1)
	go func() {
		for {
			if _, err := w.read(wireLimit); err != nil {
				readerDone <- err
				return
			}
		}
	}()
	// A masked Close 1000 (the mask key zero: the payload as it is).
	if _, err := cli.Write([]byte{0x88, 0x82, 0, 0, 0, 0, 0x03, 0xE8}); err != nil {
		t.Fatal(err)
	}
	if err := <-readerDone; !fws.IsCloseError(err, fws.CloseNormalClosure) {
		t.Fatalf("reader: %v", err)
	}
	if err := w.write([]live.Message{{JSON: []byte(`{"seq":1}`)}}); !errors.Is(err, websocket.ErrCloseSent) {
		t.Fatalf("batch after the Close: %v, want ErrCloseSent", err)
	}
	if err := w.one([]byte(`{"seq":2}`)); err == nil {
		t.Fatal("a message after the Close was sent")
	}
	w.close(websocket.CloseGoingAway, "")
	_ = conn.NetConn().Close()
	got, err := io.ReadAll(br)
	if err != nil {
		t.Fatal(err)
	}
	// Only the server's Close answer: 0x88, its length, code 1000.
	if want := []byte{0x88, 0x02, 0x03, 0xE8}; !bytes.Equal(got, want) {
		t.Fatalf("after the handshake the client read % x, want % x", got, want)
	}
}

// TestNoCloseAfterFailedWrite: a batch cut short by its write deadline
// (the client reads nothing) leaves the connection done: the server's
// Close is not written, so the client, reading again, gets a part of the
// batch and nothing else.
func TestNoCloseAfterFailedWrite(t *testing.T) {
	cli, br, conn := socketPair(t, false)
	// Small buffers, so the batch cannot all fit in them.
	if tc, ok := conn.NetConn().(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4096)
	}
	_ = cli.(*net.TCPConn).SetReadBuffer(4096)
	w := newSocketWriter(conn, 100*time.Millisecond, time.Minute, false)
	msgs := []live.Message{{JSON: bytes.Repeat([]byte("a"), 4<<20)}, {JSON: bytes.Repeat([]byte("b"), 4<<20)}}
	var all []byte
	for _, m := range msgs {
		all = appendFrame(all, m.JSON, false)
	}
	if err := w.write(msgs); err == nil || !w.failed {
		t.Fatalf("a batch of %d bytes to a client that reads nothing: %v, failed %v", len(all), err, w.failed)
	}
	// The client reads from now on, so that a Close written would arrive.
	read := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(br)
		read <- b
	}()
	w.close(websocket.CloseTryAgainLater, "temporarily unavailable; reconnect with since")
	if err := w.write([]live.Message{{JSON: []byte(`{}`)}}); !errors.Is(err, websocket.ErrCloseSent) {
		t.Fatalf("a batch after the failed one: %v, want ErrCloseSent", err)
	}
	_ = conn.NetConn().Close()
	got := <-read
	if len(got) == 0 || len(got) >= len(all) || !bytes.HasPrefix(all, got) {
		t.Fatalf("the client read %d bytes, not a part of the %d-byte batch (last % x)", len(got), len(all), got[max(0, len(got)-8):])
	}
}

// maskedFrame is a client's final frame of opcode op (RSV1 set when
// compressed), masked with the zero key: its payload as it is.
func maskedFrame(op byte, payload []byte, compressed bool) []byte {
	head := 0x80 | op
	if compressed {
		head |= 0x40
	}
	b := []byte{head}
	switch n := len(payload); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xFFFF:
		b = append(b, 0x80|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(append(b, 0, 0, 0, 0), payload...)
}

// TestInflatedMessagesBounded: on a connection that negotiated
// permessage-deflate, a client message is read inflated, and one that
// inflates past the limit (a few kilobytes on the wire) is not read whole:
// the client gets Close 1009 and the writer is done. Data that does not
// inflate gets 1007; with limit 0 a message is skipped unread.
func TestInflatedMessagesBounded(t *testing.T) {
	small := bytes.Repeat([]byte(`{"ping":1}`), 100)
	bomb := bytes.Repeat([]byte{'0'}, 8<<20)
	for _, tc := range []struct {
		name  string
		limit int64
		last  []byte // the client's last message, compressed
		err   error  // what read returns for it (nil: see code)
		code  []byte // the Close the client reads
	}{
		{"bomb", wireLimit, deflateAll(bomb), errTooBig, []byte{0x03, 0xF1}},
		{"corrupt", wireLimit, []byte{0xff, 0xff, 0xff, 0xff, 0xff}, nil, []byte{0x03, 0xEF}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cli, br, conn := socketPair(t, true)
			_ = conn.NetConn().SetReadDeadline(time.Now().Add(5 * time.Second)) // a hang fails instead
			w := newSocketWriter(conn, time.Second, time.Minute, true)
			if len(tc.last) > wireLimit {
				t.Fatalf("%d bytes compressed: not within the wire's limit", len(tc.last))
			}
			if _, err := cli.Write(append(maskedFrame(0x1, deflateAll(small), true), maskedFrame(0x1, tc.last, true)...)); err != nil {
				t.Fatal(err)
			}
			if got, err := w.read(tc.limit); err != nil || !bytes.Equal(got, small) {
				t.Fatalf("a compressed message: %d bytes, %v", len(got), err)
			}
			got, err := w.read(tc.limit)
			if err == nil || (tc.err != nil && !errors.Is(err, tc.err)) || len(got) > int(tc.limit)+1 {
				t.Fatalf("the last message: %d bytes read, %v; want %v", len(got), err, tc.err)
			}
			if err := w.one([]byte(`{}`)); err == nil {
				t.Error("a message after the Close was sent")
			}
			_ = conn.NetConn().Close()
			wire, _ := io.ReadAll(br)
			if len(wire) < 4 || wire[0] != 0x88 || int(wire[1]) != len(wire)-2 || !bytes.Equal(wire[2:4], tc.code) {
				t.Fatalf("the client read % x, want one Close with code % x and nothing else", wire, tc.code)
			}
		})
	}
	// A socket that reads no client messages skips them without inflating.
	cli, _, conn := socketPair(t, true)
	_ = conn.NetConn().SetReadDeadline(time.Now().Add(5 * time.Second))
	w := newSocketWriter(conn, time.Second, time.Minute, true)
	if _, err := cli.Write(append(maskedFrame(0x1, deflateAll(bomb), true), maskedFrame(0x1, deflateAll(small), true)...)); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if got, err := w.read(0); err != nil || got != nil {
			t.Fatalf("skipping message %d: %d bytes, %v", i, len(got), err)
		}
	}
}

// readFrame reads one short unmasked server frame: its opcode and payload.
func readFrame(t *testing.T, br *bufio.Reader) (byte, []byte) {
	t.Helper()
	head := make([]byte, 2)
	if _, err := io.ReadFull(br, head); err != nil {
		t.Fatalf("reading a frame: %v", err)
	}
	if head[1] >= 126 {
		t.Fatalf("a frame of length code %d, want a short one", head[1])
	}
	payload := make([]byte, head[1])
	if _, err := io.ReadFull(br, payload); err != nil {
		t.Fatalf("reading a frame: %v", err)
	}
	return head[0] & 0x0f, payload
}

// TestSilentClientCutOff: a heartbeat goes out with a ping; a client that
// then sends nothing, not even a pong, for the silence ends the reader with
// a timeout (a reader that skips its client's messages too), while one that
// answers each ping is kept for as long as it answers.
func TestSilentClientCutOff(t *testing.T) {
	const silence = 400 * time.Millisecond
	serve := func(t *testing.T) (net.Conn, *bufio.Reader, *socketWriter, <-chan error) {
		cli, br, conn := socketPair(t, false)
		w := newSocketWriter(conn, time.Second, silence, false)
		ended := make(chan error, 1)
		go func() {
			for {
				if _, err := w.read(0); err != nil {
					ended <- err
					return
				}
			}
		}()
		return cli, br, w, ended
	}
	beat := func(t *testing.T, w *socketWriter, br *bufio.Reader) {
		t.Helper()
		if err := w.beat([]byte(`{"type":"heartbeat"}`)); err != nil {
			t.Fatal(err)
		}
		if op, b := readFrame(t, br); op != 0x1 || string(b) != `{"type":"heartbeat"}` {
			t.Fatalf("first frame: opcode %x, %q; want the heartbeat", op, b)
		}
		if op, b := readFrame(t, br); op != 0x9 || len(b) != 0 {
			t.Fatalf("second frame: opcode %x, %q; want an empty ping", op, b)
		}
	}
	t.Run("silent", func(t *testing.T) {
		_, br, w, ended := serve(t)
		beat(t, w, br)
		select {
		case err := <-ended:
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatalf("the reader ended with %v, want a timeout", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("a client silent for 5 s after a ping is still read (silence %s)", silence)
		}
	})
	t.Run("answering", func(t *testing.T) {
		cli, br, w, ended := serve(t)
		for range 8 { // twice the silence in all, each pong within a quarter of it
			beat(t, w, br)
			time.Sleep(silence / 4)
			if _, err := cli.Write(maskedFrame(0xA, nil, false)); err != nil {
				t.Fatal(err)
			}
		}
		select {
		case err := <-ended:
			t.Fatalf("a client answering every ping was cut off: %v", err)
		default:
		}
	})
}

// TestASlowStartGivesItsPlaceBack: a write of a socket's start that the
// client does not read gives the start's place back once the start's
// writes have been blocked for their hold, while it is still blocked; one
// that goes through at once keeps it, unless the start's earlier writes
// used the hold up.
func TestASlowStartGivesItsPlaceBack(t *testing.T) {
	cli, _, conn := socketPair(t, false)
	if tc, ok := conn.NetConn().(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4096)
	}
	_ = cli.(*net.TCPConn).SetReadBuffer(4096)
	places := make(chan struct{}, 2) // another start's place beside, so that a second give-back would show
	places <- struct{}{}
	places <- struct{}{}
	w := newSocketWriter(conn, time.Minute, time.Minute, false)
	w.starting, w.hold = &admission{places: places}, time.Hour
	if err := w.one([]byte(`{"seq":0,"type":"snapshot"}`)); err != nil {
		t.Fatal(err)
	}
	if len(places) != 2 {
		t.Fatal("a write that went through gave the place back")
	}
	w.hold = 100 * time.Millisecond
	wrote := make(chan error, 1)
	go func() { wrote <- w.write([]live.Message{{JSON: bytes.Repeat([]byte("a"), 8<<20)}}) }()
	poll(t, 10*time.Second, "the place given back", func() bool { return len(places) == 1 })
	select {
	case err := <-wrote:
		t.Fatalf("the write ended (%v) before its place was seen given back", err)
	default:
	}
	_ = cli.Close() // the client gone: the write fails
	if err := <-wrote; err == nil {
		t.Fatal("a write to a client gone went through")
	}
	if w.blocked < w.hold {
		t.Fatalf("the start's writes counted blocked %s, less than the %s the slow one was", w.blocked, w.hold)
	}
	w.starting.leave() // the start written: nothing more to give back
	if len(places) != 1 {
		t.Fatal("a place given back twice")
	}

	// A start whose writes were blocked for its hold already gives its
	// place back at its next write, however fast.
	_, _, conn = socketPair(t, false)
	w = newSocketWriter(conn, time.Minute, time.Minute, false)
	w.starting, w.blocked = &admission{places: places}, w.hold
	if err := w.one([]byte(`{"seq":1}`)); err != nil {
		t.Fatal(err)
	}
	if len(places) != 0 {
		t.Fatal("a start past its hold kept its place")
	}
}

// TestWriteDeadlineMovedWhenItMust: a writer keeps its write deadline
// between writes close together, yet a write gets its whole timeout once
// the deadline kept has passed, and after a pong, whose own one-second
// deadline replaced it: in both, a batch the client reads only later than
// the old deadline goes through.
func TestWriteDeadlineMovedWhenItMust(t *testing.T) {
	big := []live.Message{{JSON: bytes.Repeat([]byte("a"), 8<<20)}}
	size := int64(len(appendFrame(nil, big[0].JSON, false)))
	// serve gives a writer of timeout that has written once. A batch of
	// 8 MiB outgrows the connection's buffers (they grow as the client
	// reads), so it waits for the client to read; small buffers would slow
	// the reading itself to a crawl.
	serve := func(t *testing.T, timeout time.Duration) (net.Conn, *bufio.Reader, *socketWriter) {
		cli, br, conn := socketPair(t, false)
		w := newSocketWriter(conn, timeout, time.Minute, false)
		if err := w.one([]byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		if op, b := readFrame(t, br); op != 0x1 || string(b) != `{}` {
			t.Fatalf("first frame: opcode %x, %q", op, b)
		}
		return cli, br, w
	}
	// readLater reads the big batch after a while, and says how it went.
	readLater := func(br *bufio.Reader, after time.Duration) <-chan error {
		read := make(chan error, 1)
		go func() {
			time.Sleep(after)
			_, err := io.CopyN(io.Discard, br, size)
			read <- err
		}()
		return read
	}
	t.Run("kept", func(t *testing.T) {
		_, br, w := serve(t, 10*time.Second)
		kept := w.deadline
		if err := w.one([]byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		readFrame(t, br)
		if kept.IsZero() || !w.deadline.Equal(kept) {
			t.Fatalf("a write at once after another set the deadline %v again (was %v)", w.deadline, kept)
		}
	})
	t.Run("after the deadline passed", func(t *testing.T) {
		const timeout = time.Second
		_, br, w := serve(t, timeout)
		time.Sleep(timeout + timeout/2) // the deadline set by the first write has passed
		read := readLater(br, 0)        // a deadline kept would fail the write at once
		if err := w.write(big); err != nil {
			t.Fatalf("a batch written after the last deadline passed, read within its timeout: %v", err)
		}
		if err := <-read; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("after a pong", func(t *testing.T) {
		cli, br, w := serve(t, 10*time.Second)
		go func() {
			for {
				if _, err := w.read(0); err != nil {
					return
				}
			}
		}()
		if _, err := cli.Write(maskedFrame(0x9, []byte("p"), false)); err != nil {
			t.Fatal(err)
		}
		if op, b := readFrame(t, br); op != 0xA || string(b) != "p" {
			t.Fatalf("answer to a ping: opcode %x, %q; want its pong", op, b)
		}
		began := time.Now()
		read := readLater(br, 1500*time.Millisecond) // past the pong's second
		if err := w.write(big); err != nil {
			t.Fatalf("a batch written after a pong, read within the writer's timeout: %v", err)
		}
		if took := time.Since(began); took < 1200*time.Millisecond {
			t.Fatalf("the batch went out in %v, before its client read: this host's buffers hold it, and the pong's deadline is not tested", took)
		}
		if err := <-read; err != nil {
			t.Fatal(err)
		}
	})
}

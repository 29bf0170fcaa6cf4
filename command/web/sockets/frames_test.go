package sockets

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/gofiber/contrib/websocket"
)

// TestFramesReadAsMessages: messages framed by appendFrame and written
// together (every length form: under 126 bytes, 16-bit, 64-bit) are read
// by a websocket client as those messages, in order.
func TestFramesReadAsMessages(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	msgs := [][]byte{[]byte(`{"seq":1}`), bytes.Repeat([]byte("a"), 300), bytes.Repeat([]byte("b"), 70000), []byte(`{}`)}
	go func() {
		// The server's half of the opening handshake (RFC 6455 4.2.2), then
		// every message in one write.
		req, err := http.ReadRequest(bufio.NewReader(server))
		if err != nil {
			return
		}
		sum := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		_, _ = server.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
			base64.StdEncoding.EncodeToString(sum[:]) + "\r\n\r\n"))
		var b []byte
		for _, m := range msgs {
			b = appendFrame(b, m)
		}
		_, _ = server.Write(b)
	}()
	d := fws.Dialer{NetDialContext: func(context.Context, string, string) (net.Conn, error) { return client, nil }, HandshakeTimeout: 3 * time.Second}
	c, _, err := d.Dial("ws://test/ws/screen", nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	for i, want := range msgs {
		typ, got, err := c.ReadMessage()
		if err != nil || typ != fws.TextMessage || !bytes.Equal(got, want) {
			t.Fatalf("message %d: type %d, %d bytes (want %d), %v", i, typ, len(got), len(want), err)
		}
	}
}

// socketPair serves one websocket upgraded by the library from an
// httptest server, dialled by a bare client: the client's connection, a
// reader of everything the server sends after its handshake answer, and
// the server's end. Both ends are closed when the test ends.
func socketPair(t *testing.T) (net.Conn, *bufio.Reader, *websocket.Conn) {
	t.Helper()
	conns := make(chan *websocket.Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		c, err := (&fws.Upgrader{}).Upgrade(rw, r, nil)
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
	_, err = io.WriteString(cli, "GET /ws HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
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
	cli, br, conn := socketPair(t)
	w := newSocketWriter(conn, time.Second)
	readerDone := make(chan error, 1)
	go func() {
		for {
			if _, err := w.read(); err != nil {
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
	if err := w.write([][]byte{[]byte(`{"seq":1}`)}); !errors.Is(err, websocket.ErrCloseSent) {
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
	cli, br, conn := socketPair(t)
	// Small buffers, so the batch cannot all fit in them.
	if tc, ok := conn.NetConn().(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4096)
	}
	_ = cli.(*net.TCPConn).SetReadBuffer(4096)
	w := newSocketWriter(conn, 100*time.Millisecond)
	msgs := [][]byte{bytes.Repeat([]byte("a"), 4<<20), bytes.Repeat([]byte("b"), 4<<20)}
	var all []byte
	for _, m := range msgs {
		all = appendFrame(all, m)
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
	if err := w.write([][]byte{[]byte(`{}`)}); !errors.Is(err, websocket.ErrCloseSent) {
		t.Fatalf("a batch after the failed one: %v, want ErrCloseSent", err)
	}
	_ = conn.NetConn().Close()
	got := <-read
	if len(got) == 0 || len(got) >= len(all) || !bytes.HasPrefix(all, got) {
		t.Fatalf("the client read %d bytes, not a part of the %d-byte batch (last % x)", len(got), len(all), got[max(0, len(got)-8):])
	}
}

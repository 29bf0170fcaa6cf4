package sockets

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"net"
	"net/http"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
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

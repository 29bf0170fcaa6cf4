package sockets

import (
	"encoding/binary"
	"sync"
	"time"

	"github.com/gofiber/contrib/websocket"
)

// socketWriter is a socket's only writer of messages: one at a time
// through the library, or several with one write to the connection, each
// framed here (server frames are not masked) and sent together under one
// write deadline. Frames written past the library skip its lock, so the
// control frames the reader answers (pong, close) take mu, as the batches
// do; the library's own writes need nothing more, as they come from the
// same goroutine. failed says whether a write failed (the client too slow
// or gone), for the writer's goroutine.
type socketWriter struct {
	conn    *websocket.Conn
	timeout time.Duration
	mu      sync.Mutex
	buf     []byte
	failed  bool
}

// newSocketWriter wraps conn's ping and close answers in the writer's
// lock; call it before the connection is read.
func newSocketWriter(conn *websocket.Conn, timeout time.Duration) *socketWriter {
	w := &socketWriter{conn: conn, timeout: timeout}
	ping, closing := conn.PingHandler(), conn.CloseHandler()
	conn.SetPingHandler(func(data string) error {
		w.mu.Lock()
		defer w.mu.Unlock()
		return ping(data)
	})
	conn.SetCloseHandler(func(code int, text string) error {
		w.mu.Lock()
		defer w.mu.Unlock()
		return closing(code, text)
	})
	return w
}

// one sends b as a text message through the library (live.Sink).
func (w *socketWriter) one(b []byte) error {
	_ = w.conn.SetWriteDeadline(time.Now().Add(w.timeout))
	err := w.conn.WriteMessage(websocket.TextMessage, b)
	w.failed = err != nil
	return err
}

// maxKept is the largest buffer kept between batches (a bigger one was for
// a rare burst and is let go).
const maxKept = 256 << 10

// write sends msgs as text messages, in order, with one write
// (live.BatchSink).
func (w *socketWriter) write(msgs [][]byte) error {
	w.buf = w.buf[:0]
	for _, m := range msgs {
		w.buf = appendFrame(w.buf, m)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	nc := w.conn.NetConn()
	err := nc.SetWriteDeadline(time.Now().Add(w.timeout))
	if err == nil {
		_, err = nc.Write(w.buf)
	}
	if cap(w.buf) > maxKept {
		w.buf = nil
	}
	w.failed = err != nil
	return err
}

// appendFrame appends msg as one final, unmasked text frame (RFC 6455 5.2).
func appendFrame(b, msg []byte) []byte {
	const finText = 0x81
	switch n := len(msg); {
	case n < 126:
		b = append(b, finText, byte(n))
	case n <= 0xFFFF:
		b = append(b, finText, 126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, finText, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, msg...)
}

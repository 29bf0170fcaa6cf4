package sockets

import (
	"encoding/binary"
	"sync"
	"time"

	"github.com/gofiber/contrib/websocket"
)

// batchWriter writes several text messages to a websocket with one write
// to its connection: each is framed here (server frames are not masked)
// and the frames go out together under one write deadline. Frames written
// past the library take its lock-free path, so the control frames the
// reader answers (pong, close) take mu, as the batches do; the library's
// own writes need nothing more, as they come from the same goroutine.
type batchWriter struct {
	conn    *websocket.Conn
	timeout time.Duration
	mu      sync.Mutex
	buf     []byte
}

// newBatchWriter wraps conn's ping and close answers in the writer's lock;
// call it before the connection is read.
func newBatchWriter(conn *websocket.Conn, timeout time.Duration) *batchWriter {
	w := &batchWriter{conn: conn, timeout: timeout}
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

// maxKept is the largest buffer kept between batches (a bigger one was for
// a rare burst and is let go).
const maxKept = 256 << 10

// write sends msgs as text messages, in order, with one write.
func (w *batchWriter) write(msgs [][]byte) error {
	w.buf = w.buf[:0]
	for _, m := range msgs {
		w.buf = appendFrame(w.buf, m)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	nc := w.conn.NetConn()
	if err := nc.SetWriteDeadline(time.Now().Add(w.timeout)); err != nil {
		return err
	}
	_, err := nc.Write(w.buf)
	if cap(w.buf) > maxKept {
		w.buf = nil
	}
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

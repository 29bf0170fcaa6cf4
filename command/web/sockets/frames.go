package sockets

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/klauspost/compress/flate"

	"watchfloor/command/live"
)

// socketWriter is a socket's only writer: one message or several with one
// write to the connection, each framed here (server frames are not
// masked) and sent together under one write deadline. Frames written past
// the library skip its lock and its state,
// so every write takes mu, and done (under mu) says that nothing more may
// be written: a Close went out (RFC 6455 5.5.1: no data after it), a
// write failed (a frame may be cut short, and anything after it would be
// read as its rest), or the reader stopped (the library may have sent a
// Close of its own). failed says whether a write failed or was refused
// (the client too slow or gone), for the writer's goroutine.
//
// What the lock cannot cover: the library answers a message over the
// read limit (1009) or a protocol error (1002) with a Close written from
// inside NextReader or its reader's Read, under the library's lock only.
// Until read sees the error and sets done, a batch in flight or starting
// can overlap it: the Close's one-second deadline replaces the batch's on
// the shared connection (and the one send keeps), and the batch's frames
// may follow the Close. Each is one write to the connection, so their
// bytes do not mix; and it is at most the one batch, as done is set as
// soon as read returns.
//
// A ping goes out with every heartbeat (beat). From the first on, the
// connection's read deadline is silence ahead of the last frame heard
// (a pong, a ping, a message), so a client gone without a word (a dead
// path, a phone out of coverage) ends the reader instead of holding its
// socket's place until the kernel gives up.
type socketWriter struct {
	conn    *websocket.Conn
	timeout time.Duration
	// deflate says the connection negotiated permessage-deflate: messages
	// with a compressed form (a live message's shared one, a snapshot's
	// own) are sent compressed.
	deflate bool
	mu      sync.Mutex
	done    bool
	buf     []byte
	failed  bool
	// deadline is the write deadline send set last (zero once a pong's
	// replaced it); send moves it on only by more than timeout/deadlineSlack.
	deadline time.Time
	// err is the first write that failed (not one refused once done), and
	// readErr what ended reading.
	err, readErr error
	// starting is the place the socket's start holds among the sockets
	// starting (see AdmitFor), given back once the start's writes have
	// been blocked for hold in all (blocked so far): a client slow to read
	// its start (a screen's megabyte over a poor link, a catch-up of many
	// messages) holds no place meanwhile, the instance's work for it done.
	starting *admission
	hold     time.Duration
	blocked  time.Duration

	// silence is how long the client may send nothing once pinged; rmu
	// orders the read deadline's moves (armed by the first ping, moved on
	// by what is heard, and set to now, for good, by stopReading).
	silence        time.Duration
	rmu            sync.Mutex
	armed, stopped bool
}

// Client messages are bounded on the wire (by the library) and, since a
// compressed one may inflate a thousandfold, once inflated (by read).
const (
	wireLimit      = 64 << 10
	responderLimit = 8 << 10 // ack, status and position messages are far smaller
)

// startWriteHold is how long the writes of a socket's start may be blocked
// in all while it keeps its place among the sockets starting: a few
// kilobytes fit the kernel's buffers at once, a megabyte takes 80 ms at
// 100 Mbit/s.
const startWriteHold = 500 * time.Millisecond

// newSocketWriter wraps conn's ping and close answers in the writer's
// lock and state, hears pongs, and bounds client messages to wireLimit
// bytes on the wire; call it before the connection is read. A client that
// sends nothing for silence after a ping is cut off (see socketWriter).
func newSocketWriter(conn *websocket.Conn, timeout, silence time.Duration, deflate bool) *socketWriter {
	conn.SetReadLimit(wireLimit)
	w := &socketWriter{conn: conn, timeout: timeout, silence: silence, deflate: deflate, hold: startWriteHold}
	closing := conn.CloseHandler()
	conn.SetPongHandler(func(string) error {
		w.heard()
		return nil
	})
	conn.SetPingHandler(func(data string) error {
		w.heard()
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.done {
			return nil
		}
		err := conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		w.deadline = time.Time{} // the pong's second replaced send's deadline
		if err == nil {
			return nil
		}
		// As the library's own answer: a failed pong ends writing, not
		// reading (the reader then meets the connection's end, or a Close).
		w.done = true
		var ne net.Error
		if errors.Is(err, websocket.ErrCloseSent) || errors.As(err, &ne) {
			return nil
		}
		return err
	})
	conn.SetCloseHandler(func(code int, text string) error {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.done {
			return nil
		}
		w.done = true
		return closing(code, text)
	})
	return w
}

// read reads the next client message (the reader's only call), at most
// limit bytes of it once inflated; with limit 0 it reads none of it (the
// library skips its frames without inflating them) and returns nil. A
// message past limit is answered 1009, data that does not inflate 1007,
// and either ends the connection. On an error the connection is done for
// the writer too: the library may have written a Close, or the connection
// is gone.
func (w *socketWriter) read(limit int64) ([]byte, error) {
	msg, err := w.next(limit)
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, errTooBig):
		w.close(websocket.CloseMessageTooBig, "message too big")
	case errors.As(err, &corrupt):
		w.close(websocket.CloseInvalidFramePayloadData, "compressed data does not inflate")
	}
	if err != nil {
		w.mu.Lock()
		w.done = true
		if w.readErr == nil {
			w.readErr = err
		}
		w.mu.Unlock()
	}
	return msg, err
}

// ended returns the first write that failed and the error that ended
// reading (nil: none), for the reason a socket closed.
func (w *socketWriter) ended() (wrote, read error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err, w.readErr
}

// errTooBig is a client message past the read limit once inflated.
var errTooBig = errors.New("websocket: message too big once inflated")

// next reads the next message whole, at most limit bytes of it (none for 0).
func (w *socketWriter) next(limit int64) ([]byte, error) {
	_, r, err := w.conn.NextReader()
	if err != nil {
		return nil, err
	}
	w.heard()
	if limit == 0 {
		return nil, nil
	}
	msg, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err == nil && int64(len(msg)) > limit {
		err = errTooBig
	}
	return msg, err
}

// one sends b as a text message (live.Sink).
func (w *socketWriter) one(b []byte) error { return w.write([]live.Message{{JSON: b}}) }

// beat sends the heartbeat b as a text message and a ping with it, in one
// write (live.Client's Beat); the first arms the read deadline.
func (w *socketWriter) beat(b []byte) error {
	w.arm()
	w.buf = append(appendFrame(w.buf[:0], b, false), 0x89, 0) // FIN, ping, no payload
	return w.send()
}

// heard moves the read deadline on, once armed: the client spoke.
func (w *socketWriter) heard() {
	w.rmu.Lock()
	defer w.rmu.Unlock()
	if w.armed && !w.stopped {
		_ = w.conn.SetReadDeadline(time.Now().Add(w.silence))
	}
}

// arm sets the read deadline at the first ping; until then (a snapshot or
// a catch-up still being written) the client has had nothing to answer.
func (w *socketWriter) arm() {
	w.rmu.Lock()
	defer w.rmu.Unlock()
	if !w.armed && !w.stopped {
		w.armed = true
		_ = w.conn.SetReadDeadline(time.Now().Add(w.silence))
	}
}

// stopReading wakes the reader for good: the socket is being torn down.
func (w *socketWriter) stopReading() {
	w.rmu.Lock()
	defer w.rmu.Unlock()
	w.stopped = true
	_ = w.conn.SetReadDeadline(time.Now())
}

// close sends the server's Close with code and text, unless nothing more
// may be written (after a failed write, its bytes would land inside the
// frame cut short).
func (w *socketWriter) close(code int, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return
	}
	w.done = true
	_ = w.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
}

// deadlineSlack: a write keeps an earlier write's deadline while that
// leaves it at least (deadlineSlack-1)/deadlineSlack of its timeout.
const deadlineSlack = 8

// maxKept is the largest buffer kept between batches (a bigger one was for
// a rare burst and is let go).
const maxKept = 256 << 10

// write sends msgs as text messages, in order, with one write, each in its
// compressed form where it has one and the connection negotiated it
// (live.BatchSink).
func (w *socketWriter) write(msgs []live.Message) error {
	w.buf = w.buf[:0]
	for _, m := range msgs {
		var z []byte
		if w.deflate && m.Deflated != nil {
			z = m.Deflated.Bytes()
		}
		if z != nil {
			w.buf = appendFrame(w.buf, z, true)
		} else {
			w.buf = appendFrame(w.buf, m.JSON, false)
		}
	}
	return w.send()
}

// send writes the frames in buf with one write under the write deadline,
// unless nothing more may be written.
func (w *socketWriter) send() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		w.failed = true
		return websocket.ErrCloseSent
	}
	if p := w.starting; p != nil && !p.left.Load() {
		left := w.hold - w.blocked
		if left <= 0 {
			p.leave()
		} else {
			t := time.AfterFunc(left, p.leave)
			began := time.Now()
			defer func() { t.Stop(); w.blocked += time.Since(began) }()
		}
	}
	nc := w.conn.NetConn()
	var err error
	if d := time.Now().Add(w.timeout); d.Sub(w.deadline) > w.timeout/deadlineSlack {
		// Set at every write it took 2-3 % of the server's CPU (200 screens).
		if err = nc.SetWriteDeadline(d); err == nil {
			w.deadline = d
		}
	}
	if err == nil {
		_, err = nc.Write(w.buf)
	}
	if cap(w.buf) > maxKept {
		w.buf = nil
	}
	w.failed = err != nil
	w.done = w.failed
	if err != nil && w.err == nil {
		w.err = err
	}
	return err
}

// appendFrame appends msg as one final, unmasked text frame (RFC 6455
// 5.2); compressed marks it RSV1, a permessage-deflate payload (RFC 7692 6).
func appendFrame(b, msg []byte, compressed bool) []byte {
	head := byte(0x81) // FIN, text
	if compressed {
		head |= 0x40
	}
	switch n := len(msg); {
	case n < 126:
		b = append(b, head, byte(n))
	case n <= 0xFFFF:
		b = append(b, head, 126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, head, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, msg...)
}

package web

import (
	"bufio"
	"io"
	"net"
	"net/http/httputil"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"watchfloor/command/unit"
)

// smallBody is the longest declared body still read before a refusal: it
// comes with its headers or nearly, so reading it waits for nothing and
// keeps the connection open for the next request.
const smallBody = 8 << 10

// shedKey marks, in a request's Locals, that it was refused on its headers.
const shedKey = "shed_on_headers"

// headerShed refuses the position entry points on their headers while the
// ingest queue is full (fasthttp's HeaderReceived hook, before the body is
// read). A refused request's declared length is set to zero, so fasthttp
// reads no body and calls the app at once; the 503 goes out, the body is
// then read and dropped, and the connection closes (Connection: close), so
// the body is never taken for a next request and the client never meets a
// reset before it has read the answer. A body over the app's limit is left
// to fasthttp's 413; a body of smallBody or less is read and refused as
// before, on a connection kept open. The drain reads at most the declared
// length (a chunked body: the limit) within readTimeout and then closes,
// so a refused client holds its connection no longer than one more
// request may take to arrive; a stop does not wait for it (fasthttp's
// Shutdown leaves hijacked connections).
type headerShed struct {
	ingest *unit.Ingester
	// limit is the app's body limit.
	limit int
	// routes are the method ("" any) and path ("" any) of the position
	// entry points: exact paths, so a spelling the router would also take
	// (a trailing slash) is read and refused after its body, as before.
	routes []shedRoute
	// marks holds the refused requests, by their header (set by onHeaders,
	// taken by gate on the same goroutine); pending counts them so the
	// common case skips the map.
	marks   sync.Map
	pending atomic.Int64
	// readTimeout bounds the drain of a refused body, as a body's reading.
	readTimeout, writeTimeout time.Duration
}

type shedRoute struct{ method, path string }

// declared is what a refused request declared of its body.
type declared struct {
	length   int  // Content-Length, or -1 when chunked
	expected bool // it asked 100-continue: its body has not been sent
}

// full reports whether the ingest queue is at its limit.
func (s *headerShed) full() bool { return s.ingest != nil && s.ingest.Full() }

// onHeaders is fasthttp's HeaderReceived hook: a position request (a
// POST, which the app's router always passes to gate) that declares a
// body longer than smallBody while the queue is full is marked refused,
// and its body left unread.
func (s *headerShed) onHeaders(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	n := h.ContentLength() // -1 chunked, -2 none
	if (n >= 0 && n <= smallBody) || n < -1 || n > s.limit || !h.IsPost() || !s.positions(h) || !s.full() {
		return fasthttp.RequestConfig{}
	}
	d := declared{length: n, expected: len(h.Peek(fiber.HeaderExpect)) > 0}
	h.Del(fiber.HeaderExpect) // no 100 Continue: the answer is final
	h.SetContentLength(0)
	s.pending.Add(1)
	s.marks.Store(h, d)
	return fasthttp.RequestConfig{}
}

// positions reports whether h is a request to a position entry point.
func (s *headerShed) positions(h *fasthttp.RequestHeader) bool {
	uri := h.RequestURI()
	for i, b := range uri {
		if b == '?' {
			uri = uri[:i]
			break
		}
	}
	for _, r := range s.routes {
		if (r.method == "" || string(h.Method()) == r.method) && (r.path == "" || string(uri) == r.path) {
			return true
		}
	}
	return false
}

// gate is the app's first handler: a request refused on its headers is
// marked in its Locals for refuse, and whatever it is answered, the answer
// is written, its body drained and its connection closed.
func (s *headerShed) gate(c *fiber.Ctx) error {
	if s.pending.Load() == 0 {
		return c.Next()
	}
	v, ok := s.marks.LoadAndDelete(&c.Request().Header)
	if !ok {
		return c.Next()
	}
	s.pending.Add(-1)
	d := v.(declared)
	c.Locals(shedKey, true)
	ctx := c.Context()
	defer func() {
		ctx.HijackSetNoResponse(true)
		ctx.Hijack(func(conn net.Conn) { s.answerThenDrain(ctx, conn, d) })
	}()
	return c.Next()
}

// refuse answers 503 with Retry-After a request refused on its headers,
// or any request while the queue is full, before its session is checked
// or its body read.
func (s *headerShed) refuse(c *fiber.Ctx) error {
	if c.Locals(shedKey) != nil || s.full() {
		return s.ingest.Shed(0)
	}
	return c.Next()
}

// answerThenDrain writes a refused request's answer, then reads and drops
// its body (at most the app's limit, within the read timeout) before the
// connection closes. A client that asked 100-continue sends no body.
func (s *headerShed) answerThenDrain(ctx *fasthttp.RequestCtx, conn net.Conn, d declared) {
	ctx.Response.SetConnectionClose()
	_ = conn.SetWriteDeadline(time.Now().Add(s.writeTimeout))
	w := bufio.NewWriter(conn)
	if err := ctx.Response.Write(w); err != nil || w.Flush() != nil || d.expected {
		return
	}
	_ = conn.SetReadDeadline(time.Now().Add(s.readTimeout))
	var body io.Reader = io.LimitReader(conn, int64(d.length))
	if d.length < 0 {
		body = io.LimitReader(httputil.NewChunkedReader(conn), int64(s.limit)+1)
	}
	_, _ = io.Copy(io.Discard, body)
}

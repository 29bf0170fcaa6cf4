package web

import (
	"bufio"
	"bytes"
	"io"
	"math"
	"net"
	"net/http/httputil"
	"net/textproto"
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
// length (a chunked body: the limit, then its trailer) within readTimeout
// (a 100-continue request: a second at most) and then closes, so a
// refused client holds its connection no longer than one more request may
// take to arrive; a stop does not wait for it (fasthttp's Shutdown leaves
// hijacked connections).
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

// newHeaderShed refuses routes of an app whose body limit is limit, with
// the apps' read and write timeouts.
func newHeaderShed(ingest *unit.Ingester, limit int, routes []shedRoute) *headerShed {
	return &headerShed{ingest: ingest, limit: limit, routes: routes, readTimeout: readTimeout, writeTimeout: writeTimeout}
}

// declared is what a refused request declared of its body.
type declared struct {
	length   int  // Content-Length, or -1 when chunked
	expected bool // it asked 100-continue: its body comes late, if at all
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
	d := declared{length: n, expected: expectsContinue(h)}
	h.Del(fiber.HeaderExpect) // no 100 Continue: the answer is final
	h.SetContentLength(0)
	s.pending.Add(1)
	s.marks.Store(h, d)
	return fasthttp.RequestConfig{}
}

// expectsContinue reports whether h asks 100-continue (RFC 9110 10.1.1:
// the token is case-insensitive).
func expectsContinue(h *fasthttp.RequestHeader) bool {
	return bytes.EqualFold(h.Peek(fiber.HeaderExpect), []byte("100-continue"))
}

// positions reports whether h is a request to a position entry point.
func (s *headerShed) positions(h *fasthttp.RequestHeader) bool {
	uri := h.RequestURI()
	if i := bytes.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
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
// its body (at most the declared length, or a chunked body's decoded
// bytes up to the app's limit and then its trailer, within the read
// timeout) before the connection closes. A client that asked 100-continue
// sends its body only once its wait for the 100 runs out, if at all: its
// drain lasts at most continueDrain.
func (s *headerShed) answerThenDrain(ctx *fasthttp.RequestCtx, conn net.Conn, d declared) {
	ctx.Response.SetConnectionClose()
	_ = conn.SetWriteDeadline(time.Now().Add(s.writeTimeout))
	w := bufio.NewWriter(conn)
	if err := ctx.Response.Write(w); err != nil || w.Flush() != nil {
		return
	}
	wait := s.readTimeout
	if d.expected {
		wait = min(wait, continueDrain)
	}
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	if d.length >= 0 {
		_, _ = io.Copy(io.Discard, io.LimitReader(conn, int64(d.length)))
		return
	}
	// The chunked reader stops after the last chunk's line ("0\r\n"): the
	// trailer and its closing CRLF are read from the same buffer, at most
	// maxTrailer bytes more, lest the close find them unread and reset the
	// connection before the client has read the answer.
	raw := &io.LimitedReader{R: conn, N: math.MaxInt64}
	br := bufio.NewReader(raw)
	n, err := io.Copy(io.Discard, io.LimitReader(httputil.NewChunkedReader(br), int64(s.limit)+1))
	if err != nil || n > int64(s.limit) {
		return
	}
	raw.N = maxTrailer
	_, _ = textproto.NewReader(br).ReadMIMEHeader()
}

// continueDrain bounds the drain of a body that a 100-continue client
// may send after all (its wait for the 100 ran out).
const continueDrain = time.Second

// maxTrailer bounds the bytes read for a refused chunked body's trailer,
// beyond those already buffered.
const maxTrailer = 8 << 10

package sockets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/klauspost/compress/flate"

	"watchfloor/command/live"
)

// TestSocketCounts: a socket is refused when its session, its address or
// its IPv6 /64 is at its limit, and a closed one frees its place.
func TestSocketCounts(t *testing.T) {
	var s sockets
	a1, a2 := socketOwner{token: "t1", addr: "192.0.2.1"}, socketOwner{token: "t2", addr: "192.0.2.1"}
	anon := socketOwner{addr: "192.0.2.2"}
	// Two addresses of one /64, each with a session of its own, and a
	// third address of it.
	v6a, v6b := ownerOf("t3", "2001:db8::1"), ownerOf("t4", "2001:db8::2")
	v6c := ownerOf("t5", "2001:db8::3")
	steps := []struct {
		name string
		who  socketOwner
		open bool // open, else close
		want bool
	}{
		{"first of a session", a1, true, true},
		{"second of the session", a1, true, true},
		{"third of the session: at its limit", a1, true, false},
		{"another session at the address", a2, true, true},
		{"the address at its limit", a2, true, false},
		{"one closed", a1, false, true},
		{"another session takes its place", a2, true, true},
		{"without a token, counted by address only", anon, true, true},
		{"an IPv6 address", v6a, true, true},
		{"another address of its /64", v6b, true, true},
		{"the first again", v6a, true, true},
		{"the other again", v6b, true, true},
		{"the /64 at its limit", v6c, true, false},
		{"one of the /64 closed", v6a, false, true},
		{"a third address takes its place", v6c, true, true},
	}
	for _, st := range steps {
		if !st.open {
			s.closed(st.who)
			continue
		}
		if got := s.open(st.who, 2, 3, 4); got != st.want {
			t.Fatalf("%s: open = %v, want %v", st.name, got, st.want)
		}
	}
	if len(s.byTok) != 5 || s.byTok["t1"] != 1 || s.byTok["t2"] != 2 || s.byAddr["192.0.2.1"] != 3 || s.byAddr["192.0.2.2"] != 1 ||
		s.byAddr["2001:db8::1"] != 1 || s.byAddr["2001:db8::2"] != 2 || s.byAddr["2001:db8::3"] != 1 ||
		len(s.byNet) != 1 || s.byNet["2001:db8::/64"] != 4 {
		t.Fatalf("counts %v %v %v", s.byTok, s.byAddr, s.byNet)
	}
}

// TestOwnerOf: an IPv4 address is counted by itself alone, an IPv6 one in
// full and by its /64.
func TestOwnerOf(t *testing.T) {
	for ip, want := range map[string]socketOwner{
		"192.0.2.1":            {token: "t", addr: "192.0.2.1"},
		"2001:db8:1:2:aaaa::7": {token: "t", addr: "2001:db8:1:2:aaaa::7", network: "2001:db8:1:2::/64"},
	} {
		if got := ownerOf("t", ip); got != want {
			t.Errorf("ownerOf(%s) = %+v, want %+v", ip, got, want)
		}
	}
}

// TestCloseReason: why a socket closed, from what ended it. A write that
// failed while the reader saw the client go (its Close, the connection's
// end or reset) is the client's doing, not a cut-off; a write that failed
// with the client not seen to go is write_failed.
func TestCloseReason(t *testing.T) {
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	broken := &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.EPIPE)}
	timeout := &net.OpError{Op: "write", Net: "tcp", Err: os.ErrDeadlineExceeded}
	readTimeout := &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	eof := &fws.CloseError{Code: fws.CloseAbnormalClosure, Text: io.ErrUnexpectedEOF.Error()} // as the library reads an EOF
	bye := &fws.CloseError{Code: fws.CloseGoingAway}
	running := &Server{base: context.Background()}
	ended, stop := context.WithCancel(context.Background())
	stop()
	closing := &Server{base: ended}
	for _, c := range []struct {
		name                       string
		a                          *Server
		cause, served, wrote, read error
		want                       string
	}{
		{"the client closed", running, nil, nil, nil, bye, reasonClient},
		{"the connection ended", running, nil, nil, nil, eof, reasonClient},
		{"a protocol error", running, nil, nil, nil, errors.New("websocket: bad opcode 3"), reasonClient},
		{"the session ended", running, errSessionEnded, nil, nil, nil, reasonSessionEnded},
		{"shutdown", closing, nil, nil, nil, nil, reasonShutdown},
		{"behind", running, nil, fmt.Errorf("serving: %w", live.ErrBehind), nil, nil, reasonBehind},
		{"a write past its timeout", running, nil, timeout, timeout, nil, reasonWriteTimeout},
		{"a write past its timeout, the client gone", running, nil, timeout, timeout, eof, reasonWriteTimeout},
		{"a write failed", running, nil, broken, broken, nil, reasonWriteFailed},
		{"a write failed, the client silent", running, nil, broken, broken, readTimeout, reasonWriteFailed},
		{"a write failed, the connection ended", running, nil, broken, broken, eof, reasonClient},
		{"a write failed, the connection reset", running, nil, broken, broken, reset, reasonClient},
		{"a write failed, the client's Close", running, nil, broken, broken, bye, reasonClient},
		{"a write failed, a plain EOF", running, nil, broken, broken, fmt.Errorf("reading: %w", io.EOF), reasonClient},
		{"silent", running, nil, nil, nil, readTimeout, reasonSilent},
		{"too big once inflated", running, nil, nil, nil, errTooBig, reasonBadMessage},
		{"too big on the wire", running, nil, nil, nil, fws.ErrReadLimit, reasonBadMessage},
		{"not inflating", running, nil, nil, nil, flate.CorruptInputError(3), reasonBadMessage},
		{"storage", running, nil, errors.New("redis: down"), nil, nil, reasonStorage},
	} {
		if got := c.a.closeReason(c.cause, c.served, c.wrote, c.read); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// TestSocketAnswersWithItsOwnSubprotocol: a browser offering its token in
// the subprotocols beside rest.SocketProtocol is answered with the latter,
// never with the one that carries its token; a client offering none gets
// none.
func TestSocketAnswersWithItsOwnSubprotocol(t *testing.T) {
	ts := newTestServer(t, nil)
	d := fws.Dialer{HandshakeTimeout: 3 * time.Second, Subprotocols: []string{"watchfloor.bearer." + strings.Repeat("A", 43), "watchfloor"}}
	c, res, err := d.Dial("ws://"+ts.addr+"/ws/session", nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if got := res.Header.Get("Sec-WebSocket-Protocol"); got != "watchfloor" {
		t.Fatalf("answered with subprotocol %q, want watchfloor", got)
	}
	c, status := ts.dial(t, nil)
	if status != 101 || c.Subprotocol() != "" {
		t.Fatalf("a client offering none: %d, subprotocol %q", status, c.Subprotocol())
	}
	// One offering only the entry with its token gets nothing back (a
	// browser then refuses the socket): never its token.
	d.Subprotocols = []string{"watchfloor.bearer." + strings.Repeat("A", 43)}
	c, res, err = d.Dial("ws://"+ts.addr+"/ws/session", nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if got := res.Header.Get("Sec-WebSocket-Protocol"); got != "" {
		t.Fatalf("answered with subprotocol %q to a client offering only its token", got)
	}
}

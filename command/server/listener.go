package server

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// closeUnusedWhile closes the listeners' connections that have sent
// nothing, now and every 100 ms (a drain closes the listener after it
// starts) until the returned stop is called.
func closeUnusedWhile(lns ...*unusedCloser) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			for _, ln := range lns {
				ln.closeUnused()
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// unusedCloser wraps a listener and remembers its connections that have
// not sent a byte yet, so that a drain can close them: fasthttp counts a
// connection as busy from its accept, and a client that opened one
// without sending (a browser's preconnect, net/http's spare dial) held a
// shutdown for the whole read timeout.
type unusedCloser struct {
	net.Listener
	// firstByte, when set, is how long a new connection may wait before
	// its first byte; fasthttp's own deadlines take over from there.
	firstByte time.Duration
	mu        sync.Mutex
	conns     map[*trackedConn]struct{}
	accepted  atomic.Int64
}

func newUnusedCloser(ln net.Listener, firstByte time.Duration) *unusedCloser {
	return &unusedCloser{Listener: ln, firstByte: firstByte, conns: make(map[*trackedConn]struct{})}
}

// Accept returns the next connection, remembered until its first byte,
// which must come within firstByte.
func (l *unusedCloser) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	for ; err == nil && l.firstByte > 0; c, err = l.Listener.Accept() {
		if c.SetReadDeadline(time.Now().Add(l.firstByte)) == nil {
			break
		}
		c.Close() // already gone; an error here would stop the server
	}
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, owner: l}
	l.mu.Lock()
	l.conns[tc] = struct{}{}
	l.mu.Unlock()
	l.accepted.Add(1)
	return tc, nil
}

// accepts counts the connections accepted so far.
func (l *unusedCloser) accepts() int64 { return l.accepted.Load() }

// closeUnused closes every connection that has not sent a byte yet.
func (l *unusedCloser) closeUnused() {
	l.mu.Lock()
	conns := make([]*trackedConn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		if c.state.CompareAndSwap(connUnused, connDrained) {
			_ = c.Close()
		}
	}
}

// unused counts the connections that have sent nothing yet.
func (l *unusedCloser) unused() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

func (l *unusedCloser) forget(c *trackedConn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
}

// The states of a trackedConn: no byte read yet, a byte read, or closed
// by a drain before its first byte.
const (
	connUnused int32 = iota
	connUsed
	connDrained
)

// trackedConn leaves its listener's set at its first byte read or at its
// close; after that a read costs one atomic load.
type trackedConn struct {
	net.Conn
	owner *unusedCloser
	state atomic.Int32
}

func (c *trackedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 && c.state.Load() != connUsed && !c.claim() {
		// A drain closed it first: the bytes are not handed on, so the
		// request is neither carried out nor left unanswered.
		return 0, net.ErrClosed
	}
	return n, err
}

// claim marks the connection used at its first byte and reports whether
// it was still unclaimed by a drain.
func (c *trackedConn) claim() bool {
	if !c.state.CompareAndSwap(connUnused, connUsed) {
		return c.state.Load() == connUsed
	}
	c.owner.forget(c)
	return true
}

func (c *trackedConn) Close() error {
	c.owner.forget(c)
	return c.Conn.Close()
}

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// osmandOne sends position n as one OsmAnd request on the sender's own
// keep-alive connection to the next instance.
func (l *load) osmandOne(conns osmandConns, n int) {
	c := conns[l.rr.Add(1)%uint64(len(conns))]
	c.req = l.osmandTarget(c.req[:0], n, time.Now())
	sent := time.Now()
	status, retry, err := c.get()
	if err != nil {
		l.posErr.Add(1)
		return
	}
	if l.answered(status, retry, sent, 1) {
		return
	}
	if status != 200 {
		l.posErr.Add(1)
		return
	}
	l.sent.Add(1)
}

// osmandTarget appends the OsmAnd request target of position n at now:
// device L<unit, five digits> at its spot for lap n / units.
func (l *load) osmandTarget(q []byte, n int, now time.Time) []byte {
	u := n % l.o.Units
	lon, lat := spot(u, n/l.o.Units)
	q = append(q, "/?id=L"...)
	q = appendPadded(q, u+1)
	q = strconv.AppendFloat(append(q, "&lat="...), lat, 'f', 6, 64)
	q = strconv.AppendFloat(append(q, "&lon="...), lon, 'f', 6, 64)
	q = strconv.AppendInt(append(q, "&timestamp="...), now.UnixMilli(), 10)
	return append(q, "&speed=10"...)
}

// osmandConns are one sender's connections, one per OsmAnd listener.
type osmandConns []*osmandConn

func (l *load) osmandConns() osmandConns {
	out := make(osmandConns, len(l.osmands))
	for i, base := range l.osmands {
		out[i] = &osmandConn{addr: strings.TrimPrefix(strings.TrimSuffix(base, "/"), "http://")}
	}
	return out
}

func (cs osmandConns) close() {
	for _, c := range cs {
		c.close()
	}
}

// osmandConn is a keep-alive HTTP/1.1 connection spoken to by hand: the
// request is written from a reused buffer and only the answer's status,
// Retry-After and length are read. net/http's client cost a sender two
// goroutines a connection and most of the load generator's CPU at
// 17,000 requests/s; the requests on the wire are the same GETs.
type osmandConn struct {
	addr string // host:port
	conn net.Conn
	r    *bufio.Reader
	req  []byte // the request target, then the whole request
	out  []byte
}

// get sends GET c.req and reads the answer. A connection reused from an
// earlier request that fails is dialled again once (the listener may have
// closed it while idle).
func (c *osmandConn) get() (status int, retryAfter bool, err error) {
	for attempt := 0; ; attempt++ {
		reused := c.conn != nil
		if !reused {
			if c.conn, err = net.DialTimeout("tcp", c.addr, 5*time.Second); err != nil {
				c.conn = nil
				return 0, false, err
			}
			c.r = bufio.NewReaderSize(c.conn, 4096)
		}
		c.out = append(append(append(c.out[:0], "GET "...), c.req...), " HTTP/1.1\r\nHost: "...)
		c.out = append(append(c.out, c.addr...), "\r\nUser-Agent: wfload\r\n\r\n"...)
		_ = c.conn.SetDeadline(time.Now().Add(30 * time.Second))
		var keep bool
		if _, err = c.conn.Write(c.out); err == nil {
			status, retryAfter, keep, err = readAnswer(c.r)
		}
		if err == nil {
			if !keep {
				c.close()
			}
			return status, retryAfter, nil
		}
		c.close()
		if !reused || attempt > 0 {
			return 0, false, err
		}
	}
}

func (c *osmandConn) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// readAnswer reads one HTTP/1.1 answer with a Content-Length body (or
// none) and discards the body: its status, whether it gave Retry-After and
// whether the connection stays open.
func readAnswer(r *bufio.Reader) (status int, retryAfter, keep bool, err error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return 0, false, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, false, false, fmt.Errorf("not an HTTP answer: %q", line)
	}
	if status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return 0, false, false, fmt.Errorf("status in %q: %w", line, err)
	}
	keep = line[7] == '1'
	length := -1
	for {
		line, err = r.ReadSlice('\n')
		if err != nil {
			return 0, false, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return 0, false, false, fmt.Errorf("content length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return 0, false, false, errors.New("a chunked answer: not read here")
		case bytes.EqualFold(name, []byte("Retry-After")):
			retryAfter = len(value) > 0
		case bytes.EqualFold(name, []byte("Connection")):
			keep = !bytes.EqualFold(value, []byte("close"))
		}
	}
	if length < 0 {
		return 0, false, false, errors.New("an answer without Content-Length: not read here")
	}
	if _, err = r.Discard(length); err != nil {
		return 0, false, false, err
	}
	return status, retryAfter, keep, nil
}

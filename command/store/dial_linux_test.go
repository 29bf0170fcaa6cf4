package store

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDialCapsSegments: connections to Redis over TCP (IPv4, IPv6, TLS)
// agree on segments of at most segmentBytes, where loopback would
// otherwise take 64 KiB ones; a unix socket dials as before.
func TestDialCapsSegments(t *testing.T) {
	tlsSrv := httptest.NewUnstartedServer(http.NotFoundHandler())
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the plain connection's handshake fails
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(tlsSrv.Certificate())
	for _, c := range []struct {
		name, network, listen string
		tls                   *tls.Config
	}{
		{name: "tcp4", network: "tcp", listen: "127.0.0.1:0"},
		{name: "tcp6", network: "tcp", listen: "[::1]:0"},
		{name: "tls", network: "tcp", tls: &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}},
		{name: "unix", network: "unix", listen: filepath.Join(t.TempDir(), "redis.sock")},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr := tlsSrv.Listener.Addr().String()
			if c.tls == nil {
				ln, err := net.Listen(c.network, c.listen)
				if err != nil {
					t.Skipf("no %s here: %v", c.name, err) // a machine without IPv6
				}
				defer ln.Close()
				go holdAll(ln)
				addr = ln.Addr().String()
			}
			d := newSegmentDialer(time.Second, c.tls, nil)
			conn, err := d.dial(context.Background(), c.network, addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if c.network == "unix" {
				return
			}
			plain, err := net.Dial(c.network, addr)
			if err != nil {
				t.Fatal(err)
			}
			defer plain.Close()
			if tc, ok := conn.(*tls.Conn); ok {
				conn = tc.NetConn()
			}
			got, was := segment(t, conn), segment(t, plain)
			if got > segmentBytes || was <= segmentBytes {
				t.Fatalf("segments of %d bytes (a plain connection's: %d), want at most %d", got, was, segmentBytes)
			}
		})
	}
}

// holdAll accepts connections and keeps them open until ln closes.
func holdAll(ln net.Listener) {
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		held = append(held, c)
	}
}

// segment is c's TCP segment size.
func segment(t *testing.T, c net.Conn) int {
	t.Helper()
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var serr error
	if err := raw.Control(func(fd uintptr) { v, serr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_MAXSEG) }); err != nil || serr != nil {
		t.Fatal(err, serr)
	}
	return v
}

// refusingConn is a socket that cannot be configured.
type refusingConn struct{ syscall.RawConn }

func (refusingConn) Control(func(uintptr)) error { return errors.New("operation not permitted") }

// TestDialWithoutTheCap: a socket that refuses the cap still connects,
// and the refusal is logged once.
func TestDialWithoutTheCap(t *testing.T) {
	var out bytes.Buffer
	d := newSegmentDialer(time.Second, nil, slog.New(slog.NewTextHandler(&out, nil)))
	for range 3 {
		if err := d.control("tcp4", "127.0.0.1:6379", refusingConn{}); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(out.String(), "operation not permitted"); n != 1 {
		t.Fatalf("logged %d times: %s", n, out.String())
	}
}

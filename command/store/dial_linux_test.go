package store

import (
	"context"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestDialCapsSegments: a connection to Redis agrees on segments of at
// most segmentBytes, where loopback would otherwise take 64 KiB ones.
func TestDialCapsSegments(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accepts both connections, holding them open until ln closes
		var held []net.Conn
		for {
			c, err := ln.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return
			}
			held = append(held, c)
		}
	}()
	mss := func(c net.Conn) int {
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
	plain, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	c, err := dialer(&redis.Options{DialTimeout: time.Second})(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := mss(c); got > segmentBytes {
		t.Fatalf("segments of %d bytes (a plain connection: %d), want at most %d", got, mss(plain), segmentBytes)
	}
	t.Logf("segments of %d bytes; a plain connection's: %d", mss(c), mss(plain))
}

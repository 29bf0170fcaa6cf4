package store

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// segmentBytes caps the TCP segment size of connections to Redis. Over
// loopback (MTU 64 KiB) a request larger than Redis's receive window then
// never waits out TCP's 200 ms persist timer: Redis reads 16 KiB at a
// time, and the window each read reopens stays under one 64 KiB segment,
// which the sender will not split (redis/redis#2385). A plan's 200-task
// step (about 320 KB) met it about once in four fan-outs. Networks with a
// smaller MTU are unaffected.
const segmentBytes = 16 << 10

// segmentDialer is go-redis's default dialer (timeout, keep-alive, TLS
// when configured) with the segment size capped. A socket that refuses
// the cap connects anyway; the first refusal is logged.
type segmentDialer struct {
	timeout time.Duration
	tls     *tls.Config
	log     *slog.Logger
	warned  atomic.Bool
}

// newSegmentDialer dials with timeout, over TLS when tlsConfig is set.
func newSegmentDialer(timeout time.Duration, tlsConfig *tls.Config, log *slog.Logger) *segmentDialer {
	if log == nil {
		log = slog.Default()
	}
	return &segmentDialer{timeout: timeout, tls: tlsConfig, log: log}
}

// dial is go-redis's Options.Dialer.
func (d *segmentDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	nd := &net.Dialer{Timeout: d.timeout, KeepAlive: 5 * time.Minute, Control: d.control}
	if d.tls == nil {
		return nd.DialContext(ctx, network, addr)
	}
	return (&tls.Dialer{NetDialer: nd, Config: d.tls}).DialContext(ctx, network, addr)
}

// control caps the segment size of a socket before it connects.
func (d *segmentDialer) control(network, _ string, c syscall.RawConn) error {
	if err := capSegment(network, c); err != nil && d.warned.CompareAndSwap(false, true) {
		d.log.Warn("connections to Redis keep the path's TCP segment size: over loopback a large request may wait 200 ms", "err", err)
	}
	return nil
}

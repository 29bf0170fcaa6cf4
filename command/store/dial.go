package store

import (
	"context"
	"crypto/tls"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

// segmentBytes caps the TCP segment size of connections to Redis. Over
// loopback (MTU 64 KiB) a request larger than Redis's receive window then
// never waits out TCP's 200 ms persist timer: Redis reads 16 KiB at a
// time, and the window each read reopens stays under one 64 KiB segment,
// which the sender will not split (redis/redis#2385). A plan's 200-task
// step (about 320 KB) met it about once in four fan-outs. Networks with a
// smaller MTU are unaffected.
const segmentBytes = 16 << 10

// dialer is go-redis's default dialer (timeout, keep-alive, TLS when o
// asks for it) with the segment size capped.
func dialer(o *redis.Options) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := &net.Dialer{Timeout: o.DialTimeout, KeepAlive: 5 * time.Minute, Control: capSegment}
		if o.TLSConfig == nil {
			return d.DialContext(ctx, network, addr)
		}
		return (&tls.Dialer{NetDialer: d, Config: o.TLSConfig}).DialContext(ctx, network, addr)
	}
}

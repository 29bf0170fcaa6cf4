package store

import (
	"strings"
	"syscall"
)

// capSegment sets TCP_MAXSEG on a TCP socket before it connects, so the
// segment size both ends agree on is at most segmentBytes. It is best
// effort: a socket that refuses the option connects as it would have.
func capSegment(network, _ string, c syscall.RawConn) error {
	if !strings.HasPrefix(network, "tcp") {
		return nil
	}
	return c.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_MAXSEG, segmentBytes)
	})
}

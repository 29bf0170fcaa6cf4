package store

import (
	"fmt"
	"strings"
	"syscall"
)

// capSegment sets TCP_MAXSEG on a TCP socket before it connects, so the
// segment size both ends agree on is at most segmentBytes.
func capSegment(network string, c syscall.RawConn) error {
	if !strings.HasPrefix(network, "tcp") {
		return nil
	}
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_MAXSEG, segmentBytes)
	}); err != nil {
		return fmt.Errorf("capping the TCP segment size: %w", err)
	}
	if serr != nil {
		return fmt.Errorf("capping the TCP segment size: %w", serr)
	}
	return nil
}

package main

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
)

// reasons counts failures by a short cause (the stage and the error with
// addresses left out), so that a report says why sockets failed, not only
// how many; at most maxReasons causes are told apart, the rest are "other".
type reasons struct {
	mu sync.Mutex
	n  map[string]int64
}

const maxReasons = 8

// add counts err under stage.
func (r *reasons) add(stage string, err error) {
	why := stage + ": " + cause(err)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		r.n = make(map[string]int64)
	}
	if _, ok := r.n[why]; !ok && len(r.n) >= maxReasons {
		why = "other"
	}
	r.n[why]++
}

// String lists the causes, the commonest first: "12 dial: websocket: bad
// handshake: 503 Service Unavailable; 3 live: …".
func (r *reasons) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	whys := make([]string, 0, len(r.n))
	for w := range r.n {
		whys = append(whys, w)
	}
	slices.SortFunc(whys, func(a, b string) int {
		if r.n[a] != r.n[b] {
			return int(r.n[b] - r.n[a])
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(whys))
	for i, w := range whys {
		parts[i] = fmt.Sprintf("%d %s", r.n[w], w)
	}
	return strings.Join(parts, "; ")
}

// cause is err without the addresses and ports that would make every
// connection's failure a cause of its own.
func cause(err error) string {
	if err == nil {
		return "none"
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Op + ": " + op.Err.Error()
	}
	s := []rune(err.Error())
	return string(s[:min(len(s), 80)])
}

package web

import (
	"hash/maphash"
	"math"
	"sync"
	"time"
)

// limiter is a token bucket per key (a device id, a token's hash), held in
// this instance's memory: each instance limits what reaches it, so behind a
// load balancer the effective limit is per instance (docs/OPERATIONS.md).
// The map is sharded to keep the hot path off one lock, and idle buckets
// are swept as they are met.
type limiter struct {
	rate, burst float64
	seed        maphash.Seed
	shards      [32]limitShard
}

type limitShard struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(perSecond, burst float64) *limiter {
	l := &limiter{rate: perSecond, burst: burst, seed: maphash.MakeSeed()}
	for i := range l.shards {
		l.shards[i].buckets = map[string]*bucket{}
	}
	return l
}

// allow takes one token for key; when none is left it returns how long to
// wait for the next.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	sh := &l.shards[maphash.String(l.seed, key)%uint64(len(l.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if now.Sub(sh.sweep) > time.Minute {
		for k, b := range sh.buckets {
			if now.Sub(b.last) > time.Minute {
				delete(sh.buckets, k)
			}
		}
		sh.sweep = now
	}
	b := sh.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, last: now}
		sh.buckets[key] = b
	}
	return b.take(now, l.rate, l.burst)
}

// take takes one token from a bucket of rate and burst; when none is left
// it returns how long to wait for the next. The caller serialises calls.
func (b *bucket) take(now time.Time, rate, burst float64) (bool, time.Duration) {
	b.tokens = math.Min(burst, b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

// retryAfter is a Retry-After value in whole seconds, at least 1.
func retryAfter(d time.Duration) string {
	s := int(math.Ceil(d.Seconds()))
	if s < 1 {
		s = 1
	}
	return itoa(s)
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}

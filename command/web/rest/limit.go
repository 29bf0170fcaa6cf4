package rest

import (
	"hash/maphash"
	"math"
	"sync"
	"time"
)

// Limiter is a token bucket per key (a device id, a token's hash), held in
// this instance's memory: each instance limits what reaches it, so behind a
// load balancer the effective limit is per instance (docs/OPERATIONS.md).
// The map is sharded to keep the hot path off one lock, and idle buckets
// are swept as they are met.
type Limiter struct {
	rate, burst float64
	seed        maphash.Seed
	shards      [32]limitShard
}

type limitShard struct {
	mu      sync.Mutex
	buckets map[string]*Bucket
	sweep   time.Time
}

// Bucket is one token bucket; a socket keeps its own, used by one goroutine.
type Bucket struct {
	Tokens float64
	Last   time.Time
}

// NewLimiter returns a limiter of perSecond tokens a second, burst at most.
func NewLimiter(perSecond, burst float64) *Limiter {
	l := &Limiter{rate: perSecond, burst: burst, seed: maphash.MakeSeed()}
	for i := range l.shards {
		l.shards[i].buckets = map[string]*Bucket{}
	}
	return l
}

// Allow takes one token for key; when none is left it returns how long to
// wait for the next.
func (l *Limiter) Allow(key string, now time.Time) (bool, time.Duration) {
	sh := &l.shards[maphash.String(l.seed, key)%uint64(len(l.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if now.Sub(sh.sweep) > time.Minute {
		for k, b := range sh.buckets {
			if now.Sub(b.Last) > time.Minute {
				delete(sh.buckets, k)
			}
		}
		sh.sweep = now
	}
	b := sh.buckets[key]
	if b == nil {
		b = &Bucket{Tokens: l.burst, Last: now}
		sh.buckets[key] = b
	}
	return b.Take(now, l.rate, l.burst)
}

// Take takes one token from a bucket of rate and burst; when none is left
// it returns how long to wait for the next. The caller serialises calls.
func (b *Bucket) Take(now time.Time, rate, burst float64) (bool, time.Duration) {
	b.Tokens = math.Min(burst, b.Tokens+now.Sub(b.Last).Seconds()*rate)
	b.Last = now
	if b.Tokens >= 1 {
		b.Tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.Tokens) / rate * float64(time.Second))
}

// RetryAfter is a Retry-After value in whole seconds, at least 1.
func RetryAfter(d time.Duration) string {
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

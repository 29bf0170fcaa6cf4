package job

import (
	"testing"
	"time"
)

func TestJobBackoffDoublesUpToMax(t *testing.T) {
	r := &Runner{RetryBase: time.Second, RetryMax: 8 * time.Second}
	for n, want := range map[int64]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 10: 8 * time.Second} {
		if got := r.backoff(n); got != want {
			t.Errorf("backoff(%d) = %s, want %s", n, got, want)
		}
	}
}

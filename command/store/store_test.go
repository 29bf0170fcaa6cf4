package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/store"
	"watchfloor/command/store/storetest"
)

// A redis.url that does not parse is refused naming the cause, never the
// URL: it holds the password, and the error is printed at start.
func TestOpenKeepsThePasswordOut(t *testing.T) {
	for _, tc := range []struct{ name, url, cause string }{
		{"bad escape", "redis://:S3cr%t@redis:6379/0", "invalid URL escape"},
		{"bad escape with user", "redis://watch:pa%zzSECRET@redis:6379/0", "invalid URL escape"},
		{"bad port", "redis://:SECRET@redis:port/0", "invalid port"},
		{"control character", "redis://:SECRET\n@redis:6379/0", "invalid control character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := store.Open(context.Background(), store.Options{URL: tc.url, Deployment: "test"})
			if err == nil {
				t.Fatal("opened")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "parsing redis url: ") || !strings.Contains(msg, tc.cause) ||
				strings.Contains(msg, "S3cr") || strings.Contains(msg, "%t") || strings.Contains(msg, "SECRET") || strings.Contains(msg, "%zz") {
				t.Errorf("error %q: want the cause (%s) without the password", msg, tc.cause)
			}
		})
	}
}

// TestABusyPoolIsNotRedisDown: while every pooled connection is taken (a
// reconnect storm's thousands of reads), the watcher's ping still reaches
// Redis on its own connection, so readiness stays up and requests are not
// all refused at once.
func TestABusyPoolIsNotRedisDown(t *testing.T) {
	const interval = 300 * time.Millisecond // each ping given as long
	st := storetest.Open(t, store.Options{PingInterval: interval})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	defer func() { cancel(); <-done }()

	// Every pooled connection blocked in Redis for hold, long past the
	// checks below however slowly they run.
	const hold = 5 * time.Second
	size := st.Client().(*redis.Client).Options().PoolSize
	var blocked sync.WaitGroup
	for range size {
		blocked.Go(func() { st.Client().BLPop(context.Background(), hold, st.Key("nothing")) })
	}
	defer blocked.Wait()
	// Once Redis holds them all, the pool is full: a command of its own
	// waits for a connection.
	other := redis.NewClient(&redis.Options{Addr: st.Client().(*redis.Client).Options().Addr})
	defer other.Close()
	start := time.Now()
	for want := fmt.Sprintf("blocked_clients:%d\r", size); ; time.Sleep(5 * time.Millisecond) {
		info, err := other.Info(context.Background(), "clients").Result()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(info, want) {
			break
		}
		if time.Since(start) > hold/2 {
			t.Fatalf("Redis holds fewer than the pool's %d commands: %q", size, info)
		}
	}
	full := time.Now()
	pctx, pcancel := context.WithTimeout(context.Background(), interval)
	err := st.Client().Ping(pctx).Err()
	pcancel()
	if err == nil {
		t.Fatal("a ping through the pool was answered: its connections are not all taken")
	}
	// Over three of the watcher's pings (Redis counts them), readiness
	// stays up.
	pings := func() int {
		info, err := other.Info(context.Background(), "commandstats").Result()
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if _, rest, ok := strings.Cut(info, "cmdstat_ping:calls="); ok {
			_, _ = fmt.Sscanf(rest, "%d", &n)
		}
		return n
	}
	samples, from := 0, pings()
	for pings() < from+3 {
		if !st.Ready() {
			t.Fatal("readiness went down while only the pool was busy")
		}
		if time.Since(full) > hold/2 {
			t.Fatalf("fewer than three of the watcher's pings within %s", hold/2)
		}
		samples++
		time.Sleep(10 * time.Millisecond)
	}
	if time.Since(start) > hold {
		t.Fatalf("the checks outlasted the pool's blocked commands (%s): judged nothing", hold)
	}
	t.Logf("%d samples of readiness, all up", samples)
	// Free the pool: one element for each blocked command.
	if err := other.LPush(context.Background(), st.Key("nothing"), make([]any, size)...).Err(); err != nil {
		t.Fatal(err)
	}
}

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
	st := storetest.Open(t, store.Options{PingInterval: 100 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	defer func() { cancel(); <-done }()

	// Every pooled connection blocked in Redis for hold.
	const hold = 1500 * time.Millisecond
	size := st.Client().(*redis.Client).Options().PoolSize
	var blocked sync.WaitGroup
	start := time.Now()
	for range size {
		blocked.Go(func() { st.Client().BLPop(context.Background(), hold, st.Key("nothing")) })
	}
	defer blocked.Wait()
	// Once Redis holds them all, the pool is full: a command of its own
	// waits for a connection.
	other := redis.NewClient(&redis.Options{Addr: st.Client().(*redis.Client).Options().Addr})
	defer other.Close()
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
	pctx, pcancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	err := st.Client().Ping(pctx).Err()
	pcancel()
	if err == nil {
		t.Fatal("a ping through the pool was answered: its connections are not all taken")
	}
	// Meanwhile the watcher has pinged (every 100 ms, each given 100 ms)
	// and kept readiness up; until the blocked commands end.
	for end := start.Add(hold - 200*time.Millisecond); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if !st.Ready() {
			t.Fatal("readiness went down while only the pool was busy")
		}
	}
}

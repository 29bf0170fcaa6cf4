package acceptance_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/server"
	"watchfloor/command/store/storetest"
	"watchfloor/config"
)

// A Stop right after Start returns within its context's 5 s: the listeners
// are closed even when the HTTP servers had not yet taken them (it used to
// hang for ever). How fast it stops is timed, not judged: a loaded machine
// may be slow.
func TestStopRightAfterStart(t *testing.T) {
	r := storetest.Start(t)
	env := map[string]string{"WATCHFLOOR_LISTEN": "127.0.0.1:0", "WATCHFLOOR_OSMAND_LISTEN": "127.0.0.1:0", "WATCHFLOOR_REDIS_URL": r.URL(), "WATCHFLOOR_DEMO_PASSWORD": testPassword}
	for i := range 5 {
		cfg, err := config.Load("../../config/sample/watchfloor.yaml", func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		srv, err := server.New(context.Background(), cfg, server.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Notice: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		t0 := time.Now()
		stopped := make(chan error, 1)
		go func() { stopped <- srv.Stop(ctx) }()
		select {
		case err = <-stopped:
		case <-time.After(10 * time.Second):
			t.Fatalf("stop %d has not returned after 10 s, its context's 5 s long past", i)
		}
		cancel()
		if err != nil {
			t.Fatalf("stop %d after %s: %v", i, time.Since(t0), err)
		}
		t.Logf("stop %d took %s", i, time.Since(t0))
	}
}

// A New that fails after Redis was opened (a unit's home grid missing from
// the map is only found once the map is loaded) closes its connections:
// Redis is back to the test's own client within 2 s.
func TestFailedStartClosesRedis(t *testing.T) {
	r := storetest.Start(t)
	c := redis.NewClient(&redis.Options{Addr: r.Addr, PoolSize: 1})
	defer c.Close()
	clients := func() string {
		info, err := c.Info(context.Background(), "clients").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "connected_clients:"); ok {
				return v
			}
		}
		t.Fatalf("no connected_clients in %q", info)
		return ""
	}
	if n := clients(); n != "1" {
		t.Fatalf("connected clients before New: %s, want 1", n)
	}
	env := map[string]string{"WATCHFLOOR_LISTEN": "127.0.0.1:0", "WATCHFLOOR_OSMAND_LISTEN": "127.0.0.1:0", "WATCHFLOOR_REDIS_URL": r.URL(), "WATCHFLOOR_DEMO_PASSWORD": testPassword}
	cfg, err := config.Load("../../config/sample/watchfloor.yaml", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Units[0].HomeGrid = "NOWHERE"
	srv, err := server.New(context.Background(), cfg, server.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Notice: io.Discard})
	if err == nil {
		_ = srv.Stop(context.Background())
		t.Fatal("New accepted a unit whose home grid is not in the map")
	}
	if want := "home grid NOWHERE is not in the map"; !strings.Contains(err.Error(), want) {
		t.Fatalf("New: %v, want an error with %q", err, want)
	}
	deadline := time.Now().Add(2 * time.Second)
	for n := clients(); n != "1"; n = clients() {
		if time.Now().After(deadline) {
			t.Fatalf("connected clients 2 s after a failed New: %s, want 1 (the test's own)", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

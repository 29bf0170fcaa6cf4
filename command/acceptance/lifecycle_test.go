package acceptance_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"watchfloor/command/server"
	"watchfloor/command/store/storetest"
	"watchfloor/config"
)

// A Stop right after Start returns promptly: the listeners are closed even
// when the HTTP servers had not yet taken them (it used to hang for ever).
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
		err = srv.Stop(ctx)
		cancel()
		if d := time.Since(t0); d > 2*time.Second || err != nil {
			t.Fatalf("stop %d took %s: %v", i, d, err)
		}
	}
}

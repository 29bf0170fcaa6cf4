package server_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/redis/go-redis/v9"
)

// closeCode reads from c until it closes and returns the close code.
func closeCode(t testing.TB, c *wsConn, d time.Duration) int {
	t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(d))
	for {
		_, _, err := c.conn.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		t.Fatalf("socket did not close within %s: %v", d, err)
	}
}

// A storage error on an open socket closes it with 1013 (try again later),
// not 1000: the page reconnects with since instead of taking it for a
// normal end.
func TestSocketStorageErrorClosesTryAgainLater(t *testing.T) {
	h := newHarness(t)
	s := h.screen(h.token("viewer"), nil)
	if m := s.next(2 * time.Second); m.Type != "snapshot" {
		t.Fatalf("first message: %s", m.Type)
	}
	// Break the screen stream under the open socket: its seq moves on, so
	// the next heartbeat catches up, and reading the stream fails.
	c := redis.NewClient(&redis.Options{Addr: h.redis.Addr})
	defer c.Close()
	ctx := context.Background()
	prefix := "wf:{" + h.cfg.Deployment + "}:"
	if err := c.Set(ctx, prefix+"stream:screen", "not a stream", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Incr(ctx, prefix+"seq:screen").Err(); err != nil {
		t.Fatal(err)
	}
	if code := closeCode(t, s, 5*time.Second); code != websocket.CloseTryAgainLater {
		t.Fatalf("close code %d, want %d (try again later)", code, websocket.CloseTryAgainLater)
	}
}

package acceptance_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisKeys lists keys matching pattern in the harness's Redis.
func redisKeys(t testing.TB, h *harness, pattern string) []string {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: h.redis.Addr})
	defer c.Close()
	keys, err := c.Keys(context.Background(), pattern).Result()
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// rawStatus sends a raw HTTP request and returns the status code of the
// answer, for requests a well-behaved client would not finish sending.
func rawStatus(t testing.TB, h *harness, req string) string {
	t.Helper()
	c, err := net.Dial("tcp", h.srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	parts := strings.Fields(line)
	if len(parts) < 2 {
		t.Fatalf("answer %q", line)
	}
	return parts[1]
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

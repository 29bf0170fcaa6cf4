package views

import (
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestArgSpanRoutesByItsKey: a key handed to go-redis as a span reads as
// its text where go-redis picks a cluster slot or ring shard by the key.
func TestArgSpanRoutesByItsKey(t *testing.T) {
	a := &posArgs{}
	a.reserve(1, 0)
	a.buf = append(a.buf, "wf:{x}:unit:car-01:track"...)
	key := a.span(0)
	if got := fmt.Sprint(key); got != "wf:{x}:unit:car-01:track" {
		t.Fatalf("the key reads as %q", got)
	}
	cmd := redis.NewStringCmd(t.Context(), "XADD", key, "*", "f", "1")
	if got := cmd.Args()[1]; fmt.Sprint(got) != "wf:{x}:unit:car-01:track" {
		t.Fatalf("the command's key reads as %q", fmt.Sprint(got))
	}
}

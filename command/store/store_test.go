package store_test

import (
	"context"
	"strings"
	"testing"

	"watchfloor/command/store"
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

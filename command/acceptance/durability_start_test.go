package acceptance_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/server"
	"watchfloor/command/store/storetest"
	"watchfloor/config"
)

// redisConfig reads one setting of a test Redis.
func redisConfig(t testing.TB, r *storetest.Redis, key string) string {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer c.Close()
	v, err := c.ConfigGet(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	return v[key]
}

// Watchfloor never lowers the durability an operator gave Redis, and changes
// none of its settings: Redis at always stays at always with Watchfloor
// configured for everysec.
func TestDurabilityNeverLowered(t *testing.T) {
	r := storetest.Start(t, "--appendonly", "yes", "--appendfsync", "always")
	h := newHarnessOn(t, r, func(c *config.Config) { c.Redis.AppendFsync = "everysec" })
	h.create(dongmen("持久", 5))
	if got := redisConfig(t, r, "appendfsync"); got != "always" {
		t.Errorf("appendfsync after start = %q, want always (the operator's setting)", got)
	}
	if got := redisConfig(t, r, "appendonly"); got != "yes" {
		t.Errorf("appendonly after start = %q, want yes", got)
	}
	c := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer c.Close()
	stats, err := c.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"cmdstat_config|set", "cmdstat_config|rewrite"} {
		if strings.Contains(stats, cmd+":") {
			t.Errorf("Watchfloor called %s on Redis", cmd)
		}
	}
}

// With durability: require, a Redis below the configured minimum (AOF off,
// minimum everysec) stops the server from starting, with an error saying
// what to change; with warn it starts and Redis is left as it is.
func TestDurabilityRequireRefusesWeakRedis(t *testing.T) {
	r := storetest.Start(t, "--appendonly", "no")
	env := map[string]string{
		"WATCHFLOOR_LISTEN": "127.0.0.1:0", "WATCHFLOOR_OSMAND_LISTEN": "127.0.0.1:0",
		"WATCHFLOOR_REDIS_URL": r.URL(), "WATCHFLOOR_DEMO_PASSWORD": testPassword,
	}
	cfg, err := config.Load("../../config/sample/watchfloor.yaml", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Auth.BcryptCost = 4
	cfg.Redis.AppendFsync = "everysec"
	cfg.Redis.Durability = "require"
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.New(context.Background(), cfg, server.Options{Logger: log, Notice: io.Discard})
	if err == nil {
		_ = srv.Stop(context.Background())
		t.Fatal("the server started on a Redis without its append-only file, below the required everysec")
	}
	for _, want := range []string{"appendonly", "everysec"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal %q does not mention %s", err, want)
		}
	}
	if got := redisConfig(t, r, "appendonly"); got != "no" {
		t.Errorf("appendonly = %q after a refused start: Watchfloor changed Redis", got)
	}

	h := newHarnessOn(t, r, func(c *config.Config) { c.Redis.AppendFsync = "everysec"; c.Redis.Durability = "warn" })
	h.create(dongmen("警告", 5))
	if got := redisConfig(t, r, "appendonly"); got != "no" {
		t.Errorf("appendonly = %q with durability warn: Watchfloor changed Redis", got)
	}
}

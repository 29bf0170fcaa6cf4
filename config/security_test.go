package config_test

import (
	"strings"
	"testing"

	"watchfloor/config"
)

// TestSecurityKeys holds the rules of metrics.* and redis.durability: a
// server beyond loopback needs a metrics token unless /metrics is declared
// public, and the durability keys take only their documented values.
func TestSecurityKeys(t *testing.T) {
	const token = "0123456789abcdef0123"
	for _, tc := range []struct {
		name string
		env  map[string]string
		edit func(*config.Config)
		want string // "" for valid
	}{
		{"loopback, no token", nil, nil, ""},
		{"beyond loopback, no token", nil, func(c *config.Config) { c.Listen = "0.0.0.0:8080" }, "metrics.token_env"},
		{"beyond loopback, public", nil, func(c *config.Config) { c.Listen, c.Metrics.Public = "0.0.0.0:8080", true }, ""},
		{"beyond loopback, token", map[string]string{"MT": token}, func(c *config.Config) { c.Listen, c.Metrics.TokenEnv = "0.0.0.0:8080", "MT" }, ""},
		{"token unset", nil, func(c *config.Config) { c.Metrics.TokenEnv = "MT" }, "metrics.token_env: MT"},
		{"token short", map[string]string{"MT": "short"}, func(c *config.Config) { c.Metrics.TokenEnv = "MT" }, "metrics.token_env: MT"},
		{"durability warn", nil, func(c *config.Config) { c.Redis.Durability = "warn" }, ""},
		{"durability bad", nil, func(c *config.Config) { c.Redis.Durability = "maybe" }, "redis.durability"},
		{"appendfsync no", nil, func(c *config.Config) { c.Redis.AppendFsync = "no" }, ""},
		{"appendfsync bad", nil, func(c *config.Config) { c.Redis.AppendFsync = "sometimes" }, "redis.appendfsync"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string { return tc.env[k] }
			cfg, err := config.Load("sample/watchfloor.yaml", getenv)
			if err != nil {
				t.Fatal(err)
			}
			if tc.edit != nil {
				tc.edit(cfg)
			}
			err = cfg.Validate(getenv)
			if err == nil {
				err = cfg.CheckMetricsExposure()
			}
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one naming %s", err, tc.want)
			}
			if tc.want == "" && cfg.Metrics.TokenEnv != "" && cfg.Metrics.Token != token {
				t.Errorf("token %q not read from the environment", cfg.Metrics.Token)
			}
		})
	}
}

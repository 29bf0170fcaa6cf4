package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"watchfloor/config"
)

func noEnv(string) string { return "" }

func TestLoadGood(t *testing.T) {
	for _, path := range []string{"testdata/good.yaml", "sample/watchfloor.yaml"} {
		cfg, err := config.Load(path, noEnv)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if cfg.Location == nil || cfg.Location.String() != "Asia/Shanghai" {
			t.Errorf("%s: timezone not resolved: %v", path, cfg.Location)
		}
		if _, err := os.Stat(cfg.Path(cfg.Map.Grids)); err != nil {
			t.Errorf("%s: grids path does not resolve: %v", path, err)
		}
	}
}

func TestLoadBad(t *testing.T) {
	tests := []struct {
		file string
		want []string // every one must appear in the error
	}{
		{"bad-misspelt-key.yaml", []string{"bad-misspelt-key.yaml", "line 11", "field death not found"}},
		{"bad-level.yaml", []string{"bad-level.yaml", "line 10", `unknown level "V"`}},
		{"bad-type.yaml", []string{"bad-type.yaml", "line 6", "lots"}},
		{"bad-rules.yaml", []string{
			"timezone:", "sensitive_periods[0]: to 2026-10-01 is before from 2026-10-07",
			"categories[0].rules[0].when: deaths: max 3 is below min 10",
			"categories[0].rules[1].when: a rule needs at least one condition",
			`categories[1].id: "fire" is defined twice`,
			"auth.accounts[0].unit: a responder account is bound to a unit",
			"auth.accounts[1].password_hash",
			`auth.accounts[2].role: "king"`,
		}},
		{"bad-security.yaml", []string{
			`trusted_proxies[0]: "127.0.0.1/33"`, `trusted_proxies[1]: "nonsense"`, `proxy_header: "X-Client"`,
			"redis.memory_alarm", "auth.session_max_age: at least auth.session_ttl", "auth.ticket_ttl",
			"login_rate must be positive", "limits.login_address_failures: at least login_failures",
			"login_max_delay at least login_delay", "audit.retention",
		}},
		{"bad-socket-limits.yaml", []string{"limits: socket_rate must be positive and socket_burst at least 1"}},
		{"bad-console.yaml", []string{
			"duplicates.radius_m: 0 must be more than 0", "duplicates.window: 10s must be between 1m and 168h",
			`report_recipients.I[1].id: "district_ecc" is named twice`, `report_recipients.II[0].id: "Bad Id" must be a lowercase id`,
			"report_recipients.II[0].name: both zh and en are required", "report_recipients.IV: missing", "report_recipients.V: not a level",
		}},
		{"missing.yaml", []string{"missing.yaml", "no such file"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			_, err := config.Load(filepath.Join("testdata", tc.file), noEnv)
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not say %q", err, w)
				}
			}
		})
	}
}

func TestEnvOverrides(t *testing.T) {
	env := map[string]string{
		"WATCHFLOOR_LISTEN":        "127.0.0.1:9000",
		"WATCHFLOOR_OSMAND_LISTEN": "127.0.0.1:9001",
		"WATCHFLOOR_REDIS_URL":     "redis://127.0.0.1:7000/2",
		"WATCHFLOOR_DEMO_PASSWORD": "s3cret",
		"HASH":                     "$2a$04$abcdefghijklmnopqrstuu2Zt0VyYfS.IW9uZtX2fKmFBl1YNHzq6",
	}
	cfg, err := config.Load("sample/watchfloor.yaml", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9000" || cfg.OsmandListen != "127.0.0.1:9001" || cfg.Redis.URL != "redis://127.0.0.1:7000/2" || cfg.Auth.DemoPassword != "s3cret" {
		t.Errorf("overrides not applied: %s %s %s %q", cfg.Listen, cfg.OsmandListen, cfg.Redis.URL, cfg.Auth.DemoPassword)
	}
}

func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "localhost:8080": true, "[::1]:8080": true,
		"0.0.0.0:8080": false, ":8080": false, "10.1.2.3:8080": false,
	} {
		if got := config.Loopback(addr); got != want {
			t.Errorf("Loopback(%q) = %v", addr, got)
		}
	}
}

// FuzzParse feeds the loader arbitrary YAML: it must never panic, and what
// it accepts must validate or fail with an error.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/good.yaml", "testdata/bad-rules.yaml", "testdata/bad-type.yaml", "sample/watchfloor.yaml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := config.Parse(b, "fuzz.yaml")
		if err != nil {
			return
		}
		_ = cfg.Validate(noEnv)
	})
}

package config

import (
	"errors"
	"testing"

	"watchfloor/alerts"
	"watchfloor/command/vocab"
)

// TestResolve holds what resolve fills in and what it reports: each case
// edits the defaults, resolves them with an environment, and looks at the
// result.
func TestResolve(t *testing.T) {
	env := map[string]string{"TDT_KEY": "0123456789abcdef", "MT": "0123456789abcdef0123", "HASH": "$2a$04$fromtheenvironment"}
	for _, tc := range []struct {
		name  string
		edit  func(*Config)
		check func(*Config) bool
		want  string // the problems reported, joined; "" for none
	}{
		{"timeZone", nil, func(c *Config) bool { return c.Location != nil && c.Location.String() == "Asia/Shanghai" }, ""},
		{"badTimeZone", func(c *Config) { c.Timezone = "Mars/Olympus" }, func(c *Config) bool { return c.Location == nil },
			"timezone: unknown time zone Mars/Olympus"},
		{"periodDates", func(c *Config) { c.Periods = []Period{{ID: "p", From: "2026-10-01", To: "bad"}} },
			func(c *Config) bool { return c.Periods[0].FromDate.Month() == 10 && c.Periods[0].ToDate.IsZero() }, ""},
		{"baseLevel", func(c *Config) { c.Categories = []Category{{ID: "a"}, {ID: "b", BaseLevel: alerts.LevelII}} },
			func(c *Config) bool {
				return c.Categories[0].BaseLevel == alerts.LevelIV && c.Categories[1].BaseLevel == alerts.LevelII
			}, ""},
		{"baseMapDefaults", nil, func(c *Config) bool { return c.Map.Base.Kind == BaseNone && c.Map.Base.MaxZoom == 18 }, ""},
		{"navigationDefault", nil, func(c *Config) bool { return c.Map.Navigation == NavGeo }, ""},
		{"navigationKept", func(c *Config) { c.Map.Navigation = NavAmap }, func(c *Config) bool { return c.Map.Navigation == NavAmap }, ""},
		{"baseMapKeyEnv", func(c *Config) { c.Map.Base.KeyEnv = "TDT_KEY" }, func(c *Config) bool { return c.Map.Base.Key == env["TDT_KEY"] }, ""},
		{"baseMapKeyTwice", func(c *Config) { c.Map.Base.Key, c.Map.Base.KeyEnv = "abc", "TDT_KEY" },
			func(c *Config) bool { return c.Map.Base.Key == "abc" }, "map.base.key_env: set key or key_env, not both"},
		{"metricsToken", func(c *Config) { c.Metrics.TokenEnv, c.Metrics.Token = "MT", "stale" },
			func(c *Config) bool { return c.Metrics.Token == env["MT"] }, ""},
		{"passwordHashEnv", func(c *Config) {
			c.Auth.Accounts = []Account{{Username: "a", PasswordHash: "$2old", PasswordHashEnv: "HASH"}, {Username: "b", PasswordHash: "$2old", PasswordHashEnv: "UNSET"}}
		}, func(c *Config) bool {
			return c.Auth.Accounts[0].PasswordHash == env["HASH"] && c.Auth.Accounts[1].PasswordHash == "$2old"
		}, ""},
		{"unitSets", func(c *Config) {
			c.Units = []Unit{{ID: "u1"}}
			c.UnitSets = []UnitSet{{Prefix: "load-", Count: 3, Type: "car", Team: "t", DevicePrefix: "L", HomeGrids: []string{"g1", "g2"}}}
		}, func(c *Config) bool {
			u := c.Units[3]
			return c.UnitSets == nil && len(c.Units) == 4 && u.ID == "load-00003" && u.Callsign == u.ID && u.Devices[0] == "L00003" && u.HomeGrid == "g1"
		}, ""},
		{"badUnitSet", func(c *Config) { c.UnitSets = []UnitSet{{Prefix: "Load", Count: 1}} },
			func(c *Config) bool { return len(c.Units) == 1 }, "unit_sets[0]: a lowercase prefix and a count from 1 to 99999"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Defaults()
			if tc.edit != nil {
				tc.edit(c)
			}
			err := errors.Join(c.resolve(func(k string) string { return env[k] })...)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("problems: %v", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Errorf("problems %v, want %s", err, tc.want)
			}
			if !tc.check(c) {
				t.Errorf("not resolved: %+v", c)
			}
		})
	}
}

// Without an environment no secret is read: the file's values stay.
func TestResolveWithoutEnvironment(t *testing.T) {
	c := Defaults()
	c.Map.Base.KeyEnv, c.Metrics.TokenEnv, c.Metrics.Token = "TDT_KEY", "MT", "stale"
	c.Auth.Accounts = []Account{{Username: "a", PasswordHash: "$2file", PasswordHashEnv: "HASH"}}
	if errs := c.resolve(nil); len(errs) > 0 {
		t.Fatal(errs)
	}
	if c.Map.Base.Key != "" || c.Metrics.Token != "" || c.Auth.Accounts[0].PasswordHash != "$2file" {
		t.Errorf("read without an environment: key %q, token %q, hash %q", c.Map.Base.Key, c.Metrics.Token, c.Auth.Accounts[0].PasswordHash)
	}
}

// TestValidateRunsEverySection breaks one key in every section and expects
// each to be reported once, what resolve finds first, then the sections in
// their order.
func TestValidateRunsEverySection(t *testing.T) {
	c := Defaults()
	c.Timezone, c.Deployment = "Mars/Olympus", "Bad"
	c.Redis.URL, c.Metrics.TokenEnv, c.Audit.ExportInterval, c.Map.Zones = "", "MT", 0, "z"
	c.Periods = []Period{{ID: "p", From: "x", To: "2026-01-01"}}
	c.Deadlines = []Deadline{{Kind: "d", Within: 0, Levels: []alerts.Level{alerts.LevelI}}}
	c.Duplicates.RadiusM, c.ReportRecipients = -1, map[string][]Recipient{"I": nil, "II": nil, "III": nil}
	c.Auth.BcryptCost, c.UnitTypes, c.Units = 1, []UnitType{{ID: "car", SpeedKMH: 0}}, []Unit{{ID: "u1", Type: "car"}}
	c.Positions.MaxSpeedKMH, c.Dispatch.AckTimeout, c.Jobs.AlarmAfter = 0, 0, 0
	c.Plans = []Plan{{ID: "p", Name: Text{ZH: "预案", EN: "Plan"}, MinLevel: alerts.LevelI, Approvers: map[string][]vocab.Role{"I": {"leader"}}, Categories: []string{"flood"}}}
	c.CaseKinds = []CaseKind{{ID: "k", Name: Text{ZH: "k", EN: "k"}, FirstLevel: "city"}}
	c.DailyReports.Due, c.Patrol.MaxGap, c.Streams.SendQueue, c.Limits.LoginAlarm = "noon", 0, 0, 0
	err := c.Validate(func(string) string { return "" })
	want := `timezone: unknown time zone Mars/Olympus
deployment: "Bad" must be 1–32 lowercase letters, digits, - or _
redis.url: required
metrics.token_env: MT must hold a token of at least 16 characters
audit.export_interval: at least 10ms
map.grids: required (a GeoJSON file of the grid hierarchy)
sensitive_periods[0].from: "x" is not a date (YYYY-MM-DD)
categories: at least one incident category is required
deadlines[0].within: must be a positive duration such as 1h
duplicates.radius_m: -1 must be more than 0 and at most 50000 metres
report_recipients.IV: missing: list the level's recipients, or write IV: [] for none
auth.bcrypt_cost: between 4 and 31
unit_types[0].speed_kmh: between 0 and 300
units[0].callsign: required
positions.max_speed_kmh: must be positive
dispatch.ack_timeout: at least 1s
jobs: poll between 10ms and 1m, retry_base at least 10ms, retry_max and lease at least retry_base, alarm_after at least 1
plans[0].categories: "flood" is not a configured category
case_kinds[0].first_level: "city" must be grid, community, street or district
daily_reports.due: "noon" must be a local time HH:MM
patrol: target_minutes at least 1 and max_gap at least 1m
streams.send_queue: at least 16
limits.login_alarm: at least 1`
	if err == nil || err.Error() != want {
		t.Errorf("Validate said\n%v\nwant\n%s", err, want)
	}
}

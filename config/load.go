package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Load reads, strictly decodes, defaults and validates the configuration at
// path (and the files it extends), then applies the environment overrides
// of API.md through getenv.
func Load(path string, getenv func(string) string) (*Config, error) {
	cfg, err := load(path, 0)
	if err != nil {
		return nil, err
	}
	cfg.Dir = filepath.Dir(path)
	cfg.ApplyEnv(getenv)
	if err := cfg.Validate(getenv); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// load decodes path over the file it extends; paths named in each file are
// made absolute against that file's directory.
func load(path string, depth int) (*Config, error) {
	if depth > 4 {
		return nil, fmt.Errorf("%s: extends nests too deeply", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	var head struct {
		Extends string `yaml:"extends"`
	}
	_ = yaml.Unmarshal(b, &head)
	base := Defaults()
	if head.Extends != "" {
		basePath := head.Extends
		if !filepath.IsAbs(basePath) {
			basePath = filepath.Join(filepath.Dir(path), basePath)
		}
		if base, err = load(basePath, depth+1); err != nil {
			return nil, fmt.Errorf("%s extends: %w", path, err)
		}
	}
	before := *base
	cfg, err := parseOver(base, b, path)
	if err != nil {
		return nil, err
	}
	cfg.Extends = ""
	dir, _ := filepath.Abs(filepath.Dir(path))
	for _, f := range []struct {
		p   *string
		old string
	}{{&cfg.Map.Grids, before.Map.Grids}, {&cfg.Map.Zones, before.Map.Zones}, {&cfg.Map.Gazetteer, before.Map.Gazetteer}, {&cfg.Map.Base.Archive, before.Map.Base.Archive}, {&cfg.DataDir, before.DataDir},
		{&cfg.Audit.ExportFile, before.Audit.ExportFile}} {
		if *f.p != f.old && *f.p != "" && !filepath.IsAbs(*f.p) {
			*f.p = filepath.Join(dir, *f.p)
		}
	}
	return cfg, nil
}

// Parse decodes YAML strictly, naming name and the line of any unknown key
// or wrong type, and fills defaults. It does not validate.
func Parse(b []byte, name string) (*Config, error) {
	return parseOver(Defaults(), b, name)
}

func parseOver(cfg *Config, b []byte, name string) (*Config, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("%s: %s", name, strings.Join(te.Errors, "; "))
		}
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty configuration", name)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return cfg, nil
}

// Defaults is the configuration before the file is read.
func Defaults() *Config {
	return &Config{
		Deployment:   "watchfloor",
		Timezone:     "Asia/Shanghai",
		Listen:       "127.0.0.1:8080",
		OsmandListen: "127.0.0.1:5055",
		DataDir:      "var/data",
		Redis: Redis{URL: "redis://127.0.0.1:6379/0", PingInterval: 500 * time.Millisecond, WaitTimeout: time.Second,
			MemoryAlarm: 0.8, MemoryCheck: 5 * time.Second, Durability: "require"},
		Auth:        Auth{SessionTTL: 12 * time.Hour, SessionMaxAge: 24 * time.Hour, SessionCache: 2 * time.Second, TicketTTL: 30 * time.Second, BcryptCost: 10},
		Audit:       Audit{Retention: 2160 * time.Hour, ExportInterval: time.Minute},
		ProxyHeader: "X-Forwarded-For",
		Streams:     Streams{MaxLen: 100000, UnitMaxLen: 1000, Heartbeat: 5 * time.Second, SendQueue: 1024, WriteTimeout: 10 * time.Second, SnapshotIncidents: 500, Compress: true},
		Limits: Limits{BodyBytes: 8 << 20, JSONBodyBytes: 64 << 10, TokenRate: 50, TokenBurst: 200, DeviceRate: 2, DeviceBurst: 20,
			LoginRate: 1, LoginBurst: 20, LoginFailures: 5, LoginAddressFailures: 20, LoginWindow: 15 * time.Minute,
			LoginDelay: time.Second, LoginMaxDelay: 5 * time.Minute, LoginAlarm: 20, SocketRate: 5, SocketBurst: 20,
			SocketsPerSession: 4, SocketsPerAddress: 50},
		Idempotency:     24 * time.Hour,
		DeadlineWarning: 10 * time.Minute,
		Duplicates:      Duplicates{RadiusM: 300, Window: 30 * time.Minute},
		DailyReports:    DailyReports{Due: "18:00"},
		Patrol:          Patrol{TargetMinutes: 60, MaxGap: 5 * time.Minute},
		Dispatch:        Dispatch{AckTimeout: 60 * time.Second, TimerInterval: 250 * time.Millisecond},
		Jobs:            Jobs{Poll: 500 * time.Millisecond, RetryBase: time.Second, RetryMax: time.Minute, Lease: 30 * time.Second, AlarmAfter: 5},
		// Notifications: a failed delivery waits 5s, doubling up to 10m.
		Notifications: Notifications{Timeout: 10 * time.Second, Poll: time.Second, RetryBase: 5 * time.Second, RetryMax: 10 * time.Minute,
			Lease: time.Minute, AlarmAfter: 5, MaxAttempts: 20},
		Positions: Positions{MaxSpeedKMH: 250, TrackTTL: 24 * time.Hour, FutureTolerance: 2 * time.Minute,
			FrameInterval: 250 * time.Millisecond, BatchSize: 1000, QueueLimit: 20000, RetryAfter: time.Second, NoteInterval: 10 * time.Millisecond},
	}
}

// ApplyEnv applies WATCHFLOOR_LISTEN, WATCHFLOOR_OSMAND_LISTEN,
// WATCHFLOOR_REDIS_URL and WATCHFLOOR_DEMO_PASSWORD.
func (c *Config) ApplyEnv(getenv func(string) string) {
	if getenv == nil {
		return
	}
	if v := getenv("WATCHFLOOR_LISTEN"); v != "" {
		c.Listen = v
	}
	if v := getenv("WATCHFLOOR_OSMAND_LISTEN"); v != "" {
		c.OsmandListen = v
	}
	if v := getenv("WATCHFLOOR_REDIS_URL"); v != "" {
		c.Redis.URL = v
	}
	c.Auth.DemoPassword = getenv("WATCHFLOOR_DEMO_PASSWORD")
}

// Path resolves a path named in the file against the file's directory.
func (c *Config) Path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir, p)
}

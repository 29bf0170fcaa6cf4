// Package config is Watchfloor's typed configuration: one tree decoded
// strictly from YAML (a misspelt key is an error with its line), filled with
// defaults and validated before anything is built.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	_ "time/tzdata" // Asia/Shanghai must resolve on any machine.

	"gopkg.in/yaml.v3"

	"watchfloor/alerts"
	"watchfloor/command/vocab"
)

// Config is the whole configuration of one Watchfloor deployment.
type Config struct {
	// Extends names a base configuration file (relative to this one) that
	// this file overrides key by key: a deployment keeps the sample city's
	// rules and changes only what differs.
	Extends string `yaml:"extends"`
	// Deployment names this command centre; it is the hash tag of every Redis
	// key (wf:{deployment}:…), so several cities can share one Redis Cluster.
	Deployment   string     `yaml:"deployment"`
	Timezone     string     `yaml:"timezone"`
	Listen       string     `yaml:"listen"`
	OsmandListen string     `yaml:"osmand_listen"`
	DataDir      string     `yaml:"data_dir"`
	Redis        Redis      `yaml:"redis"`
	Map          Map        `yaml:"map"`
	Periods      []Period   `yaml:"sensitive_periods"`
	Categories   []Category `yaml:"categories"`
	UnitTypes    []UnitType `yaml:"unit_types"`
	Units        []Unit     `yaml:"units"`
	// UnitSets add many numbered units at once (load runs, large fleets).
	UnitSets  []UnitSet `yaml:"unit_sets"`
	Positions Positions `yaml:"positions"`
	Dispatch  Dispatch  `yaml:"dispatch"`
	// Jobs are the durable follow-up jobs of a change (plan proposals and
	// automatic dispatch after an incident is saved).
	Jobs  Jobs   `yaml:"jobs"`
	Plans []Plan `yaml:"plans"`
	// CaseKinds are the everyday grid cases (网格事件) and their time limits.
	CaseKinds    []CaseKind   `yaml:"case_kinds"`
	DailyReports DailyReports `yaml:"daily_reports"`
	Patrol       Patrol       `yaml:"patrol"`
	// Anchors is a place for YAML anchors that several entries share (the
	// approvers of the plans, say); it is not read otherwise.
	Anchors   yaml.Node  `yaml:"anchors"`
	Deadlines []Deadline `yaml:"deadlines"`
	// DeadlineWarning is how long before a reporting deadline deadline.due
	// is raised.
	DeadlineWarning time.Duration `yaml:"deadline_warning"`
	// ReportRecipients lists, per response level, the bodies an information
	// report (信息报告) goes to; when given, every level must be present.
	ReportRecipients map[string][]Recipient `yaml:"report_recipients"`
	// Duplicates says which open incidents a new call may repeat.
	Duplicates  Duplicates    `yaml:"duplicates"`
	Auth        Auth          `yaml:"auth"`
	Streams     Streams       `yaml:"streams"`
	Limits      Limits        `yaml:"limits"`
	Idempotency time.Duration `yaml:"idempotency_ttl"`
	Audit       Audit         `yaml:"audit"`
	// TrustedProxies are the addresses or CIDR ranges of reverse proxies
	// whose ProxyHeader is believed; from any other peer it is ignored.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// ProxyHeader names the header a trusted proxy puts the client's
	// address in (X-Forwarded-For, or X-Real-IP); empty uses the peer.
	ProxyHeader string  `yaml:"proxy_header"`
	Metrics     Metrics `yaml:"metrics"`

	// Location is Timezone resolved; set by Validate.
	Location *time.Location `yaml:"-"`
	// Dir is the directory of the configuration file; relative paths in the
	// file are resolved against it.
	Dir string `yaml:"-"`
}

// Redis says how to reach Redis.
type Redis struct {
	URL string `yaml:"url"`
	// PingInterval is how often the health watcher checks Redis.
	PingInterval time.Duration `yaml:"ping_interval"`
	// Sentinel, when it names addresses, finds the master through Redis
	// Sentinel (url then gives only the database and password).
	Sentinel Sentinel `yaml:"sentinel"`
	// WaitReplicas makes every acknowledged write wait until this many
	// replicas have it (Redis WAIT): with 1, a failover loses nothing that
	// was acknowledged. A write that does not reach them in WaitTimeout is
	// answered 503 and should be retried (idempotency keys make that safe).
	WaitReplicas int           `yaml:"wait_replicas"`
	WaitTimeout  time.Duration `yaml:"wait_timeout"`
	// AppendFsync is the least durability Watchfloor needs of Redis:
	// always (no acknowledged write lost in a crash) > everysec (at worst
	// about a second) > no (the append-only file off, or never fsynced).
	// Watchfloor reads Redis's appendonly and appendfsync at start and never
	// changes them; "" or no asks nothing.
	AppendFsync string `yaml:"appendfsync"`
	// MemoryAlarm raises the redis.memory alarm when used memory passes
	// this share of maxmemory (0 turns it off); MemoryCheck is how often
	// INFO memory is read.
	MemoryAlarm float64       `yaml:"memory_alarm"`
	MemoryCheck time.Duration `yaml:"memory_check"`
	// Durability says what a Redis below AppendFsync does at start: require
	// (the default) refuses to start, warn logs a warning and carries on.
	Durability string `yaml:"durability"`
}

// Audit bounds the audit trail kept in Redis.
type Audit struct {
	// Retention is how long audit records stay in Redis (0 keeps them for
	// ever); older ones are appended to ExportFile first, when it is set.
	Retention time.Duration `yaml:"retention"`
	// ExportFile receives the records that leave Redis, as JSON lines,
	// appended and fsynced before they are trimmed.
	ExportFile string `yaml:"export_file"`
	// ExportInterval is how often records past the retention are looked for.
	ExportInterval time.Duration `yaml:"export_interval"`
}

// Metrics guards GET /metrics on the API listener.
type Metrics struct {
	// TokenEnv names an environment variable holding a bearer token that
	// /metrics then requires (Authorization: Bearer TOKEN).
	TokenEnv string `yaml:"token_env"`
	// Public serves /metrics without a token although the API listens
	// beyond loopback (a network where only Prometheus reaches the port).
	// Without it, such a server needs TokenEnv.
	Public bool `yaml:"public"`
	// Token is the value of TokenEnv; set by Validate.
	Token string `yaml:"-"`
}

// Sentinel locates the Redis master.
type Sentinel struct {
	Addrs  []string `yaml:"addrs"`
	Master string   `yaml:"master"`
}

// Map names the map layers: the grid hierarchy and zones as GeoJSON files,
// and an optional background tile URL for the screens.
type Map struct {
	Grids string `yaml:"grids"`
	Zones string `yaml:"zones"`
	// Gazetteer is the place names the console searches (地名地址库): a CSV
	// (code, name, kind, lon, lat, address) or GeoJSON points; optional.
	Gazetteer string `yaml:"gazetteer"`
	TileURL   string `yaml:"tile_url"`
	// Base is the base map drawn under the grids (map.base).
	Base BaseMap `yaml:"base"`
	// Center and Zoom are where screens open.
	Center [2]float64 `yaml:"center"`
	Zoom   int        `yaml:"zoom"`
}

// BaseMap is the base map of the screens: none (the grids are the map), a
// PMTiles vector archive Watchfloor serves itself (offline), or an online
// Chinese provider. Positions stay WGS-84; only a GCJ-02 display shifts.
type BaseMap struct {
	// Kind is "none", "pmtiles", "tianditu" (天地图, CGCS2000 ≈ WGS-84) or "amap" (高德, GCJ-02).
	Kind string `yaml:"kind"`
	// Archive is the PMTiles file for kind pmtiles, resolved like map.grids.
	Archive string `yaml:"archive"`
	// Key is the Tianditu browser key; KeyEnv names a variable holding it instead.
	Key    string `yaml:"key"`
	KeyEnv string `yaml:"key_env"`
	// Attribution is shown in the map's corner (the provider's or the data's).
	Attribution string `yaml:"attribution"`
	// MaxZoom is the deepest zoom the base map has tiles for (the page overzooms past it).
	MaxZoom int `yaml:"max_zoom"`
}

// Base map kinds.
const (
	BaseNone     = "none"
	BasePMTiles  = "pmtiles"
	BaseTianditu = "tianditu"
	BaseAmap     = "amap"
)

// Datum is the datum the base map is drawn in: "gcj02" for Amap, else "wgs84".
func (b BaseMap) Datum() string {
	if b.Kind == BaseAmap {
		return "gcj02"
	}
	return "wgs84"
}

// ImageHosts are the origins the pages load base-map images from, for the
// Content-Security-Policy's img-src; none for an offline base map.
func (b BaseMap) ImageHosts() []string {
	switch b.Kind {
	case BaseTianditu:
		return []string{"https://*.tianditu.gov.cn"}
	case BaseAmap:
		return []string{"https://*.is.autonavi.com"}
	}
	return nil
}

// Text is a string shown to users in Chinese and English.
type Text = alerts.Text

// Period is a sensitive period; see alerts.Period.
type Period = alerts.Period

// Category is an incident category with its grading rules; see alerts.Category.
type Category = alerts.Category

// UnitType is a kind of unit (car, motorbike, foot, grid_officer, fire,
// medical…) with the speed used for arrival estimates.
type UnitType struct {
	ID   string `yaml:"id"`
	Name Text   `yaml:"name"`
	// SpeedKMH is the straight-line speed assumed for eta_s.
	SpeedKMH float64 `yaml:"speed_kmh"`
}

// Unit is a patrol car, motorbike, officer on foot, grid officer or team
// that reports positions and takes dispatch orders.
type Unit struct {
	ID       string   `yaml:"id"`
	Callsign string   `yaml:"callsign"`
	Type     string   `yaml:"type"`
	Team     string   `yaml:"team"`
	HomeGrid string   `yaml:"home_grid"`
	Devices  []string `yaml:"device_ids"`
}

// UnitSet adds Count units: ids Prefix00001…, devices DevicePrefix00001…,
// all of one type and team, spread over HomeGrids in turn.
type UnitSet struct {
	Prefix       string   `yaml:"prefix"`
	Count        int      `yaml:"count"`
	Type         string   `yaml:"type"`
	Team         string   `yaml:"team"`
	DevicePrefix string   `yaml:"device_prefix"`
	HomeGrids    []string `yaml:"home_grids"`
}

// expandUnitSets appends the units of every set to Units.
func (c *Config) expandUnitSets() {
	for _, set := range c.UnitSets {
		for i := 1; i <= set.Count; i++ {
			u := Unit{ID: fmt.Sprintf("%s%05d", set.Prefix, i), Type: set.Type, Team: set.Team}
			u.Callsign = u.ID
			if set.DevicePrefix != "" {
				u.Devices = []string{fmt.Sprintf("%s%05d", set.DevicePrefix, i)}
			}
			if len(set.HomeGrids) > 0 {
				u.HomeGrid = set.HomeGrids[(i-1)%len(set.HomeGrids)]
			}
			c.Units = append(c.Units, u)
		}
	}
	c.UnitSets = nil
}

// Positions tunes position ingest.
type Positions struct {
	// MaxSpeedKMH: a jump implying more is kept in the track, flagged, and
	// does not move the unit.
	MaxSpeedKMH float64 `yaml:"max_speed_kmh"`
	// TrackTTL is how long tracks are kept (Redis trims them).
	TrackTTL time.Duration `yaml:"track_ttl"`
	// FutureTolerance: positions timed further ahead than this are refused.
	FutureTolerance time.Duration `yaml:"future_tolerance"`
	// FrameInterval is how often screens get a unit.positions frame.
	FrameInterval time.Duration `yaml:"frame_interval"`
	// BatchSize bounds how many positions go into one Redis pipeline.
	// Batches grow with load on their own (positions queue while a batch
	// is written); BatchWait, when positive, also lingers that long for more.
	BatchSize int           `yaml:"batch_size"`
	BatchWait time.Duration `yaml:"batch_wait"`
}

// Dispatch configures orders to units.
type Dispatch struct {
	// AckTimeout: an order not acknowledged in time expires, is raised on
	// the screens and is offered to the next nearest suitable unit.
	AckTimeout time.Duration `yaml:"ack_timeout"`
	// TimerInterval is how often due timers are looked for.
	TimerInterval time.Duration `yaml:"timer_interval"`
	// Rules send units by themselves when an incident is created or rises.
	Rules []DispatchRule `yaml:"rules"`
}

// Jobs tunes the runner of durable follow-up jobs.
type Jobs struct {
	// Poll is how often each instance looks for new jobs and for jobs to
	// retry (the instance that records a job also runs it at once).
	Poll time.Duration `yaml:"poll"`
	// RetryBase is the wait before a failed job is tried again; it doubles
	// with each attempt up to RetryMax, and a job never stops being retried.
	RetryBase time.Duration `yaml:"retry_base"`
	RetryMax  time.Duration `yaml:"retry_max"`
	// Lease is how long a job taken by one instance is left to it before
	// another instance takes it over (the first one died).
	Lease time.Duration `yaml:"lease"`
	// AlarmAfter failed attempts raise a job.failing alarm naming the
	// incident; the job is still retried.
	AlarmAfter int `yaml:"alarm_after"`
}

// DispatchRule sends the nearest Units suitable units to an incident of
// one of Categories reaching one of Levels.
type DispatchRule struct {
	ID         string         `yaml:"id"`
	Categories []string       `yaml:"categories"`
	Levels     []alerts.Level `yaml:"levels"`
	Units      int            `yaml:"units"`
}

// CaseKind is a kind of grid case: the level that handles it first, a time
// limit per step (accept, dispatch, handle, verify, close), and whether a
// missed limit escalates it by itself.
type CaseKind struct {
	ID         string                   `yaml:"id"`
	Name       Text                     `yaml:"name"`
	FirstLevel string                   `yaml:"first_level"`
	Limits     map[string]time.Duration `yaml:"limits"`
	// EscalateOnOverdue moves an overdue case up one level by itself.
	EscalateOnOverdue bool `yaml:"escalate_on_overdue"`
	// Mediation: handling records a mediation outcome (disputes).
	Mediation bool `yaml:"mediation"`
}

// CaseSteps are the steps that have time limits, by the status they leave.
var CaseSteps = []string{"accept", "dispatch", "handle", "verify", "close"}

// DailyReports: the areas that report daily, even when there is nothing
// (零报告), and the local time by which they must.
type DailyReports struct {
	Areas []string `yaml:"areas"`
	Due   string   `yaml:"due"` // HH:MM local
}

// Patrol: the daily minutes a grid officer spends inside the grid.
type Patrol struct {
	TargetMinutes int `yaml:"target_minutes"`
	// MaxGap: fixes further apart than this do not count as time inside.
	MaxGap time.Duration `yaml:"max_gap"`
}

// CaseKind returns the case kind with id, or nil.
func (c *Config) CaseKind(id string) *CaseKind {
	for i := range c.CaseKinds {
		if c.CaseKinds[i].ID == id {
			return &c.CaseKinds[i]
		}
	}
	return nil
}

// Plan is a preset emergency plan (预案) of the "1+N" system.
type Plan struct {
	ID   string `yaml:"id" json:"id"`
	Name Text   `yaml:"name" json:"name"`
	// Categories it applies to; empty means every category (the general plan).
	Categories []string     `yaml:"categories" json:"categories"`
	MinLevel   alerts.Level `yaml:"min_level" json:"min_level"`
	// When holds extra conditions (people, zones, sensitive periods).
	When *alerts.Condition `yaml:"when" json:"when,omitempty"`
	// Commander names who commands at each level ("I" … "IV").
	Commander map[string]Text `yaml:"commander" json:"commander"`
	// Approvers are the roles that may approve, reject and end the plan at
	// each level ("I" … "IV"), e.g. I and II only leader.
	Approvers map[string][]vocab.Role `yaml:"approvers" json:"approvers"`
	// AutoActivate plans respond by procedure: active as soon as they match.
	AutoActivate bool    `yaml:"auto_activate" json:"auto_activate"`
	Groups       []Group `yaml:"groups" json:"groups"`
}

// Group is a working group of a plan: its members and their tasks.
type Group struct {
	ID    string   `yaml:"id" json:"id"`
	Name  Text     `yaml:"name" json:"name"`
	Units []string `yaml:"units" json:"units"`
	Teams []string `yaml:"teams" json:"teams"`
	Tasks []Text   `yaml:"tasks" json:"tasks"`
}

// Deadline is a reporting deadline (信息报告时限), counted from an incident's
// creation or from the level rise that brought it to one of Levels.
type Deadline struct {
	Kind   string         `yaml:"kind"`
	Name   Text           `yaml:"name"`
	Within time.Duration  `yaml:"within"`
	Levels []alerts.Level `yaml:"levels"`
}

// Auth holds accounts and session settings.
type Auth struct {
	SessionTTL time.Duration `yaml:"session_ttl"`
	// SessionMaxAge ends a session this long after its login, however
	// active it stays.
	SessionMaxAge time.Duration `yaml:"session_max_age"`
	// TicketTTL is how long a one-time websocket ticket stays valid.
	TicketTTL  time.Duration `yaml:"ticket_ttl"`
	BcryptCost int           `yaml:"bcrypt_cost"`
	// DemoAccounts adds the sample city's accounts (admin, leader, deputy,
	// operator, viewer) sharing WATCHFLOOR_DEMO_PASSWORD; refused when
	// listening beyond loopback.
	DemoAccounts bool `yaml:"demo_accounts"`
	// DemoPassword comes from WATCHFLOOR_DEMO_PASSWORD, never from the file.
	DemoPassword string `yaml:"-"`
	// DemoAreaAccounts are further demo accounts (no password hash: they
	// share the demo password), such as operators limited to an area.
	DemoAreaAccounts []Account `yaml:"demo_area_accounts"`
	Accounts         []Account `yaml:"accounts"`
	// AllowedOrigins are extra Origins accepted on websockets besides the
	// server's own host.
	AllowedOrigins []string `yaml:"allowed_origins"`
}

// Account is a configured user.
type Account struct {
	Username string     `yaml:"username"`
	Name     string     `yaml:"name"`
	Role     vocab.Role `yaml:"role"`
	// Unit binds a responder account to its unit.
	Unit string `yaml:"unit"`
	// Area limits the account to a grid code and below (cases).
	Area string `yaml:"area"`
	// PasswordHash is a bcrypt hash; PasswordHashEnv names an environment
	// variable that holds one, so secrets stay out of the file.
	PasswordHash    string `yaml:"password_hash"`
	PasswordHashEnv string `yaml:"password_hash_env"`
}

// Streams bounds the event streams kept in Redis for replay.
type Streams struct {
	MaxLen    int64         `yaml:"max_len"`
	Heartbeat time.Duration `yaml:"heartbeat"`
	// SendQueue is how many messages a websocket client may fall behind
	// before it is cut off (it resumes with ?since=).
	SendQueue int `yaml:"send_queue"`
	// WriteTimeout cuts off a client that takes longer to take one message.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// SnapshotIncidents is the most incidents a screen snapshot carries.
	SnapshotIncidents int `yaml:"snapshot_incidents"`
}

// Limits bound what a client may send.
type Limits struct {
	BodyBytes     int `yaml:"body_bytes"`
	JSONBodyBytes int `yaml:"json_body_bytes"`
	// TokenRate and TokenBurst limit API requests per session token;
	// DeviceRate and DeviceBurst limit OsmAnd requests per device id.
	TokenRate   float64 `yaml:"token_rate"`
	TokenBurst  float64 `yaml:"token_burst"`
	DeviceRate  float64 `yaml:"device_rate"`
	DeviceBurst float64 `yaml:"device_burst"`
	// LoginRate and LoginBurst limit login requests per client address
	// (per instance), whatever their outcome.
	LoginRate  float64 `yaml:"login_rate"`
	LoginBurst float64 `yaml:"login_burst"`
	// LoginFailures failed logins of one name from one address, or
	// LoginAddressFailures from one address in all, make each further
	// attempt from there wait LoginDelay, doubling up to LoginMaxDelay. A
	// count lapses LoginWindow after the last attempt. No name is ever
	// locked for other addresses.
	LoginFailures        int           `yaml:"login_failures"`
	LoginAddressFailures int           `yaml:"login_address_failures"`
	LoginWindow          time.Duration `yaml:"login_window"`
	LoginDelay           time.Duration `yaml:"login_delay"`
	LoginMaxDelay        time.Duration `yaml:"login_max_delay"`
	// LoginAlarm raises the login.failures alarm when one account name or
	// one address reaches this many failures within the window.
	LoginAlarm int `yaml:"login_alarm"`
	// SocketRate and SocketBurst limit the messages each responder
	// websocket may send (positions, acks, statuses); over it they are
	// answered with an error and dropped.
	SocketRate  float64 `yaml:"socket_rate"`
	SocketBurst float64 `yaml:"socket_burst"`
	// SocketsPerSession and SocketsPerAddress bound the websockets open at
	// once with one session token and from one client address (per instance).
	SocketsPerSession int `yaml:"sockets_per_session"`
	SocketsPerAddress int `yaml:"sockets_per_address"`
}

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
		Auth:        Auth{SessionTTL: 12 * time.Hour, SessionMaxAge: 24 * time.Hour, TicketTTL: 30 * time.Second, BcryptCost: 10},
		Audit:       Audit{Retention: 2160 * time.Hour, ExportInterval: time.Minute},
		ProxyHeader: "X-Forwarded-For",
		Streams:     Streams{MaxLen: 100000, Heartbeat: 5 * time.Second, SendQueue: 1024, WriteTimeout: 10 * time.Second, SnapshotIncidents: 500},
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
		Positions: Positions{MaxSpeedKMH: 250, TrackTTL: 24 * time.Hour, FutureTolerance: 2 * time.Minute,
			FrameInterval: 250 * time.Millisecond, BatchSize: 1000},
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

var (
	idPattern         = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,63}$`)
	deploymentPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
)

// Validate checks the whole tree and resolves derived values; every problem
// found is reported, each with its path in the file.
func (c *Config) Validate(getenv func(string) string) error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	if !deploymentPattern.MatchString(c.Deployment) {
		bad("deployment: %q must be 1–32 lowercase letters, digits, - or _", c.Deployment)
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		bad("timezone: %v", err)
	}
	c.Location = loc
	for name, addr := range map[string]string{"listen": c.Listen, "osmand_listen": c.OsmandListen} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			bad("%s: %q is not host:port: %v", name, addr, err)
		}
	}
	if c.Redis.URL == "" {
		bad("redis.url: required")
	}
	switch c.Redis.AppendFsync {
	case "", "no", "everysec", "always":
	default:
		bad("redis.appendfsync: %q must be always, everysec, no or empty (the least durability required of Redis)", c.Redis.AppendFsync)
	}
	switch c.Redis.Durability {
	case "require", "warn":
	default:
		bad("redis.durability: %q must be require or warn", c.Redis.Durability)
	}
	c.Metrics.Token = ""
	switch {
	case c.Metrics.TokenEnv != "":
		if getenv != nil {
			c.Metrics.Token = getenv(c.Metrics.TokenEnv)
		}
		if len(c.Metrics.Token) < 16 {
			bad("metrics.token_env: %s must hold a token of at least 16 characters", c.Metrics.TokenEnv)
		}
	}
	if len(c.Redis.Sentinel.Addrs) > 0 && c.Redis.Sentinel.Master == "" {
		bad("redis.sentinel.master: required with sentinel addresses")
	}
	if c.Redis.WaitReplicas < 0 || c.Redis.WaitReplicas > 0 && c.Redis.WaitTimeout <= 0 {
		bad("redis: wait_replicas not negative, and wait_timeout positive with it")
	}
	if c.Redis.PingInterval <= 0 {
		bad("redis.ping_interval: must be positive")
	}
	if c.Redis.MemoryAlarm < 0 || c.Redis.MemoryAlarm >= 1 {
		bad("redis.memory_alarm: a share of maxmemory from 0 (off) to below 1, such as 0.8")
	}
	if c.Redis.MemoryCheck < 10*time.Millisecond {
		bad("redis.memory_check: at least 10ms")
	}
	if c.Audit.Retention != 0 && c.Audit.Retention < time.Hour {
		bad("audit.retention: 0 (keep for ever) or at least 1h")
	}
	if c.Audit.ExportInterval < 10*time.Millisecond {
		bad("audit.export_interval: at least 10ms")
	}
	if c.Audit.ExportFile != "" && c.Audit.Retention == 0 {
		bad("audit.export_file: needs a retention (records are exported when they leave Redis)")
	}
	for i, p := range c.TrustedProxies {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			bad("trusted_proxies[%d]: %q is not an address or CIDR range", i, p)
		}
	}
	switch http.CanonicalHeaderKey(c.ProxyHeader) {
	case "", "X-Forwarded-For", "X-Real-Ip":
	default:
		bad("proxy_header: %q must be X-Forwarded-For, X-Real-IP or empty", c.ProxyHeader)
	}
	if c.Map.Grids == "" {
		bad("map.grids: required (a GeoJSON file of the grid hierarchy)")
	}
	if c.Map.Zones == "" {
		bad("map.zones: required (a GeoJSON file of zones)")
	}
	c.Map.Base.validate(getenv, bad)

	seenPeriod := map[string]bool{}
	for i := range c.Periods {
		p := &c.Periods[i]
		at := fmt.Sprintf("sensitive_periods[%d]", i)
		if !idPattern.MatchString(p.ID) || seenPeriod[p.ID] {
			bad("%s.id: %q must be a unique lowercase id", at, p.ID)
		}
		seenPeriod[p.ID] = true
		from, err1 := time.Parse(time.DateOnly, p.From)
		to, err2 := time.Parse(time.DateOnly, p.To)
		switch {
		case err1 != nil:
			bad("%s.from: %q is not a date (YYYY-MM-DD)", at, p.From)
		case err2 != nil:
			bad("%s.to: %q is not a date (YYYY-MM-DD)", at, p.To)
		case to.Before(from):
			bad("%s: to %s is before from %s", at, p.To, p.From)
		}
		p.FromDate, p.ToDate = from, to
	}

	if len(c.Categories) == 0 {
		bad("categories: at least one incident category is required")
	}
	seenCat := map[string]bool{}
	for i := range c.Categories {
		cat := &c.Categories[i]
		at := fmt.Sprintf("categories[%d]", i)
		if !idPattern.MatchString(cat.ID) {
			bad("%s.id: %q must be a lowercase id", at, cat.ID)
		}
		if seenCat[cat.ID] {
			bad("%s.id: %q is defined twice", at, cat.ID)
		}
		seenCat[cat.ID] = true
		if cat.Name.ZH == "" || cat.Name.EN == "" {
			bad("%s.name: both zh and en are required", at)
		}
		if cat.BaseLevel == alerts.LevelNone {
			cat.BaseLevel = alerts.LevelIV
		}
		seenRule := map[string]bool{}
		for j := range cat.Rules {
			r := &cat.Rules[j]
			rat := fmt.Sprintf("%s.rules[%d]", at, j)
			if !idPattern.MatchString(r.ID) || seenRule[r.ID] {
				bad("%s.id: %q must be a unique lowercase id within the category", rat, r.ID)
			}
			seenRule[r.ID] = true
			if !r.Level.Valid() {
				bad("%s.level: required, one of I, II, III, IV", rat)
			}
			if r.Reason.ZH == "" || r.Reason.EN == "" {
				bad("%s.reason: both zh and en are required", rat)
			}
			if err := r.When.Validate(); err != nil {
				bad("%s.when: %v", rat, err)
			}
		}
	}

	for i, d := range c.Deadlines {
		at := fmt.Sprintf("deadlines[%d]", i)
		if !idPattern.MatchString(d.Kind) {
			bad("%s.kind: %q must be a lowercase id", at, d.Kind)
		}
		if d.Within <= 0 {
			bad("%s.within: must be a positive duration such as 1h", at)
		}
		if len(d.Levels) == 0 {
			bad("%s.levels: name the levels it applies to", at)
		}
	}

	c.validateConsole(bad)
	if c.DeadlineWarning < 0 {
		bad("deadline_warning: must not be negative")
	}
	if c.Auth.SessionTTL < time.Minute {
		bad("auth.session_ttl: at least 1m")
	}
	if c.Auth.SessionMaxAge < c.Auth.SessionTTL {
		bad("auth.session_max_age: at least auth.session_ttl")
	}
	if c.Auth.TicketTTL < time.Second || c.Auth.TicketTTL > 5*time.Minute {
		bad("auth.ticket_ttl: between 1s and 5m")
	}
	if c.Auth.BcryptCost < 4 || c.Auth.BcryptCost > 31 {
		bad("auth.bcrypt_cost: between 4 and 31")
	}
	seenUser := map[string]bool{}
	for i := range c.Auth.Accounts {
		a := &c.Auth.Accounts[i]
		at := fmt.Sprintf("auth.accounts[%d]", i)
		if !idPattern.MatchString(a.Username) || seenUser[a.Username] {
			bad("%s.username: %q must be a unique lowercase name", at, a.Username)
		}
		seenUser[a.Username] = true
		if !validRole(a.Role) {
			bad("%s.role: %q is not one of %s", at, a.Role, vocab.JoinRoles(vocab.Roles(), ", "))
		}
		if a.Role == vocab.Responder && a.Unit == "" {
			bad("%s.unit: a responder account is bound to a unit", at)
		}
		if a.PasswordHashEnv != "" && getenv != nil {
			if v := getenv(a.PasswordHashEnv); v != "" {
				a.PasswordHash = v
			}
		}
		if !strings.HasPrefix(a.PasswordHash, "$2") {
			bad("%s.password_hash: a bcrypt hash is required (or password_hash_env naming a variable that holds one)", at)
		}
	}

	for i, set := range c.UnitSets {
		if !idPattern.MatchString(set.Prefix) || set.Count < 1 || set.Count > 99999 {
			bad("unit_sets[%d]: a lowercase prefix and a count from 1 to 99999", i)
		}
	}
	c.expandUnitSets()
	types := map[string]bool{}
	for i, ut := range c.UnitTypes {
		at := fmt.Sprintf("unit_types[%d]", i)
		if !idPattern.MatchString(ut.ID) || types[ut.ID] {
			bad("%s.id: %q must be a unique lowercase id", at, ut.ID)
		}
		types[ut.ID] = true
		if ut.SpeedKMH <= 0 || ut.SpeedKMH > 300 {
			bad("%s.speed_kmh: between 0 and 300", at)
		}
	}
	for i, cat := range c.Categories {
		for _, t := range cat.UnitTypes {
			if !types[t] {
				bad("categories[%d].unit_types: %q is not a configured unit type", i, t)
			}
		}
	}
	units, devices := map[string]bool{}, map[string]string{}
	for i, u := range c.Units {
		at := fmt.Sprintf("units[%d]", i)
		if !idPattern.MatchString(u.ID) || units[u.ID] {
			bad("%s.id: %q must be a unique lowercase id", at, u.ID)
		}
		units[u.ID] = true
		if u.Callsign == "" {
			bad("%s.callsign: required", at)
		}
		if !types[u.Type] {
			bad("%s.type: %q is not a configured unit type", at, u.Type)
		}
		for _, d := range u.Devices {
			if d == "" || len(d) > 64 {
				bad("%s.device_ids: device ids are 1 to 64 characters", at)
			} else if other, dup := devices[d]; dup {
				bad("%s.device_ids: %q is already the device of %s", at, d, other)
			}
			devices[d] = u.ID
		}
	}
	for i, a := range c.Auth.Accounts {
		if a.Unit != "" && !units[a.Unit] {
			bad("auth.accounts[%d].unit: %q is not a configured unit", i, a.Unit)
		}
	}
	p := c.Positions
	if p.MaxSpeedKMH <= 0 {
		bad("positions.max_speed_kmh: must be positive")
	}
	if p.TrackTTL < time.Minute {
		bad("positions.track_ttl: at least 1m")
	}
	if p.FutureTolerance < 0 {
		bad("positions.future_tolerance: must not be negative")
	}
	if p.FrameInterval < 10*time.Millisecond {
		bad("positions.frame_interval: at least 10ms")
	}
	if p.BatchSize < 1 || p.BatchWait < 0 {
		bad("positions: batch_size at least 1 and batch_wait not negative")
	}

	if c.Dispatch.AckTimeout < time.Second {
		bad("dispatch.ack_timeout: at least 1s")
	}
	if c.Dispatch.TimerInterval < 10*time.Millisecond || c.Dispatch.TimerInterval > time.Minute {
		bad("dispatch.timer_interval: between 10ms and 1m")
	}
	if j := c.Jobs; j.Poll < 10*time.Millisecond || j.Poll > time.Minute || j.RetryBase < 10*time.Millisecond || j.RetryMax < j.RetryBase ||
		j.Lease < j.RetryBase || j.AlarmAfter < 1 {
		bad("jobs: poll between 10ms and 1m, retry_base at least 10ms, retry_max and lease at least retry_base, alarm_after at least 1")
	}
	seenRule := map[string]bool{}
	for i, r := range c.Dispatch.Rules {
		at := fmt.Sprintf("dispatch.rules[%d]", i)
		if !idPattern.MatchString(r.ID) || seenRule[r.ID] {
			bad("%s.id: %q must be a unique lowercase id", at, r.ID)
		}
		seenRule[r.ID] = true
		if len(r.Categories) == 0 || len(r.Levels) == 0 {
			bad("%s: name categories and levels", at)
		}
		for _, cat := range r.Categories {
			if c.Category(cat) == nil {
				bad("%s.categories: %q is not a configured category", at, cat)
			}
		}
		if r.Units < 1 || r.Units > 20 {
			bad("%s.units: from 1 to 20", at)
		}
	}

	teams := map[string]bool{}
	for _, u := range c.Units {
		teams[u.Team] = true
	}
	seenPlan := map[string]bool{}
	for i, p := range c.Plans {
		at := fmt.Sprintf("plans[%d]", i)
		if !idPattern.MatchString(p.ID) || seenPlan[p.ID] {
			bad("%s.id: %q must be a unique lowercase id", at, p.ID)
		}
		seenPlan[p.ID] = true
		if p.Name.ZH == "" || p.Name.EN == "" {
			bad("%s.name: both zh and en are required", at)
		}
		for _, cat := range p.Categories {
			if c.Category(cat) == nil {
				bad("%s.categories: %q is not a configured category", at, cat)
			}
		}
		if !p.MinLevel.Valid() {
			bad("%s.min_level: required, one of I, II, III, IV", at)
		}
		if p.When != nil {
			if err := p.When.Validate(); err != nil {
				bad("%s.when: %v", at, err)
			}
		}
		for l := p.MinLevel; l.Valid() && l <= alerts.LevelI; l++ {
			roles := p.Approvers[l.String()]
			if len(roles) == 0 {
				bad("%s.approvers: name who approves at level %s", at, l)
			}
			for _, r := range roles {
				if !validRole(r) || r == vocab.Responder || r == vocab.Viewer {
					bad("%s.approvers.%s: %q may not approve plans", at, l, r)
				}
			}
		}
		for k := range p.Approvers {
			if _, err := alerts.ParseLevel(k); err != nil {
				bad("%s.approvers: %q is not a level", at, k)
			}
		}
		for k := range p.Commander {
			if _, err := alerts.ParseLevel(k); err != nil {
				bad("%s.commander: %q is not a level", at, k)
			}
		}
		seenGroup := map[string]bool{}
		for j, g := range p.Groups {
			gat := fmt.Sprintf("%s.groups[%d]", at, j)
			if !idPattern.MatchString(g.ID) || seenGroup[g.ID] {
				bad("%s.id: %q must be a unique lowercase id", gat, g.ID)
			}
			seenGroup[g.ID] = true
			for _, u := range g.Units {
				if !units[u] {
					bad("%s.units: %q is not a configured unit", gat, u)
				}
			}
			for _, t := range g.Teams {
				if !teams[t] {
					bad("%s.teams: no unit is in team %q", gat, t)
				}
			}
			if len(g.Tasks) == 0 {
				bad("%s.tasks: a working group needs its tasks", gat)
			}
		}
	}

	seenKind := map[string]bool{}
	for i, k := range c.CaseKinds {
		at := fmt.Sprintf("case_kinds[%d]", i)
		if !idPattern.MatchString(k.ID) || seenKind[k.ID] {
			bad("%s.id: %q must be a unique lowercase id", at, k.ID)
		}
		seenKind[k.ID] = true
		if k.Name.ZH == "" || k.Name.EN == "" {
			bad("%s.name: both zh and en are required", at)
		}
		switch k.FirstLevel {
		case "grid", "community", "street", "district":
		default:
			bad("%s.first_level: %q must be grid, community, street or district", at, k.FirstLevel)
		}
		for step, d := range k.Limits {
			if !slicesContains(CaseSteps, step) {
				bad("%s.limits: %q is not a step (%s)", at, step, strings.Join(CaseSteps, ", "))
			}
			if d < time.Minute {
				bad("%s.limits.%s: at least 1m", at, step)
			}
		}
	}
	if _, err := time.Parse("15:04", c.DailyReports.Due); err != nil {
		bad("daily_reports.due: %q must be a local time HH:MM", c.DailyReports.Due)
	}
	if c.Patrol.TargetMinutes < 1 || c.Patrol.MaxGap < time.Minute {
		bad("patrol: target_minutes at least 1 and max_gap at least 1m")
	}

	if c.Streams.MaxLen < 100 {
		bad("streams.max_len: at least 100")
	}
	if c.Streams.Heartbeat <= 0 {
		bad("streams.heartbeat: must be positive")
	}
	if c.Streams.WriteTimeout < 100*time.Millisecond {
		bad("streams.write_timeout: at least 100ms")
	}
	if c.Streams.SnapshotIncidents < 1 {
		bad("streams.snapshot_incidents: at least 1")
	}
	if c.Streams.SendQueue < 16 {
		bad("streams.send_queue: at least 16")
	}
	if c.Limits.JSONBodyBytes < 1024 || c.Limits.BodyBytes < c.Limits.JSONBodyBytes {
		bad("limits: json_body_bytes at least 1024 and body_bytes at least json_body_bytes")
	}
	l := c.Limits
	if l.TokenRate <= 0 || l.TokenBurst < 1 || l.DeviceRate <= 0 || l.DeviceBurst < 1 {
		bad("limits: token_rate and device_rate must be positive, token_burst and device_burst at least 1")
	}
	if l.SocketRate <= 0 || l.SocketBurst < 1 {
		bad("limits: socket_rate must be positive and socket_burst at least 1")
	}
	if l.LoginFailures < 1 || l.LoginWindow < time.Minute {
		bad("limits: login_failures at least 1 and login_window at least 1m")
	}
	if l.LoginRate <= 0 || l.LoginBurst < 1 {
		bad("limits: login_rate must be positive and login_burst at least 1")
	}
	if l.LoginAddressFailures < l.LoginFailures {
		bad("limits.login_address_failures: at least login_failures")
	}
	if l.LoginDelay <= 0 || l.LoginMaxDelay < l.LoginDelay {
		bad("limits: login_delay positive and login_max_delay at least login_delay")
	}
	if l.LoginAlarm < 1 {
		bad("limits.login_alarm: at least 1")
	}
	if l.SocketsPerSession < 1 || l.SocketsPerAddress < l.SocketsPerSession {
		bad("limits: sockets_per_session at least 1 and sockets_per_address at least sockets_per_session")
	}
	if c.Idempotency < time.Minute {
		bad("idempotency_ttl: at least 1m")
	}
	return errors.Join(errs...)
}

func validRole(r vocab.Role) bool { return vocab.ValidRole(r) }

// Category returns the category with id, or nil.
func (c *Config) Category(id string) *Category {
	for i := range c.Categories {
		if c.Categories[i].ID == id {
			return &c.Categories[i]
		}
	}
	return nil
}

// Plan returns the plan with id, or nil.
func (c *Config) Plan(id string) *Plan {
	for i := range c.Plans {
		if c.Plans[i].ID == id {
			return &c.Plans[i]
		}
	}
	return nil
}

// UnitType returns the unit type with id, or nil.
func (c *Config) UnitType(id string) *UnitType {
	for i := range c.UnitTypes {
		if c.UnitTypes[i].ID == id {
			return &c.UnitTypes[i]
		}
	}
	return nil
}

// CheckMetricsExposure refuses a /metrics open to the network: listening
// beyond loopback needs metrics.token_env, or metrics.public to say that
// only Prometheus reaches the port. The server checks it at start, with
// the listen address it will use.
func (c *Config) CheckMetricsExposure() error {
	if c.Metrics.Token != "" || c.Metrics.Public || Loopback(c.Listen) {
		return nil
	}
	return fmt.Errorf("metrics: %s listens beyond loopback, so /metrics needs a token: set metrics.token_env (or metrics.public: true where only Prometheus reaches the port)", c.Listen)
}

// Loopback reports whether addr listens on loopback only.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func slicesContains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// validate checks map.base, reading the Tianditu key from key_env.
func (b *BaseMap) validate(getenv func(string) string, bad func(string, ...any)) {
	switch b.Kind {
	case "":
		b.Kind = BaseNone
	case BaseNone, BasePMTiles, BaseTianditu, BaseAmap:
	default:
		bad("map.base.kind: %q must be none, pmtiles, tianditu or amap", b.Kind)
	}
	if b.Kind == BasePMTiles && b.Archive == "" {
		bad("map.base.archive: required for kind pmtiles (a PMTiles v3 file; build one with watchfloor tiles)")
	}
	if b.Kind != BasePMTiles && b.Archive != "" {
		bad("map.base.archive: only for kind pmtiles")
	}
	if b.KeyEnv != "" {
		if b.Key != "" {
			bad("map.base.key_env: set key or key_env, not both")
		} else if getenv != nil {
			b.Key = getenv(b.KeyEnv)
		}
	}
	if b.Kind == BaseTianditu && b.Key == "" && (b.KeyEnv == "" || getenv != nil) {
		bad("map.base.key: kind tianditu needs a key (or key_env naming a variable that holds one)")
	}
	if b.Key != "" && !tiandituKey.MatchString(b.Key) {
		bad("map.base.key: must be letters and digits only")
	}
	if b.MaxZoom == 0 {
		b.MaxZoom = 18
	}
	if b.MaxZoom < 1 || b.MaxZoom > 22 {
		bad("map.base.max_zoom: %d must be within 1–22", b.MaxZoom)
	}
	if len(b.Attribution) > 300 {
		bad("map.base.attribution: at most 300 bytes")
	}
}

// tiandituKey is what a Tianditu key looks like (32 hex digits in practice).
var tiandituKey = regexp.MustCompile(`^[A-Za-z0-9]{1,128}$`)

package config

import (
	"fmt"
	"slices"
	"time"
)

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

// Sentinel locates the Redis master.
type Sentinel struct {
	Addrs  []string `yaml:"addrs"`
	Master string   `yaml:"master"`
}

// validate checks redis.*.
func (r Redis) validate(scope) []error {
	return broken([]bound{
		{r.URL == "", "redis.url: required"},
		{!slices.Contains([]string{"", "no", "everysec", "always"}, r.AppendFsync),
			fmt.Sprintf("redis.appendfsync: %q must be always, everysec, no or empty (the least durability required of Redis)", r.AppendFsync)},
		{r.Durability != "require" && r.Durability != "warn", fmt.Sprintf("redis.durability: %q must be require or warn", r.Durability)},
		{len(r.Sentinel.Addrs) > 0 && r.Sentinel.Master == "", "redis.sentinel.master: required with sentinel addresses"},
		{r.WaitReplicas < 0 || r.WaitReplicas > 0 && r.WaitTimeout <= 0, "redis: wait_replicas not negative, and wait_timeout positive with it"},
		{r.PingInterval <= 0, "redis.ping_interval: must be positive"},
		{r.MemoryAlarm < 0 || r.MemoryAlarm >= 1, "redis.memory_alarm: a share of maxmemory from 0 (off) to below 1, such as 0.8"},
		{r.MemoryCheck < 10*time.Millisecond, "redis.memory_check: at least 10ms"},
	})
}

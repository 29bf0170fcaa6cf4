package config

import (
	"fmt"
	"net"
)

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
	// MutexProfileFraction has one in this many contended locks sampled for
	// /debug/pprof/mutex (0: none, Go's default): what many cores wait on.
	MutexProfileFraction int `yaml:"mutex_profile_fraction"`
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

// resolve reads the token that token_env names (none without getenv).
func (m *Metrics) resolve(getenv func(string) string) {
	m.Token = ""
	if m.TokenEnv != "" && getenv != nil {
		m.Token = getenv(m.TokenEnv)
	}
}

// validate checks metrics.*: a token named must be long enough to guess
// hard, and a mutex profile's fraction a count.
func (m Metrics) validate(scope) []error {
	var p problems
	if m.TokenEnv != "" && len(m.Token) < 16 {
		p.add("metrics.token_env: %s must hold a token of at least 16 characters", m.TokenEnv)
	}
	if m.MutexProfileFraction < 0 || m.MutexProfileFraction > 1_000_000 {
		p.add("metrics.mutex_profile_fraction: %d must be 0 (off) to 1000000 (one contended lock in that many sampled)", m.MutexProfileFraction)
	}
	return p
}

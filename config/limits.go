package config

import "time"

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

// validate checks streams.*.
func (s Streams) validate(scope) []error {
	var p problems
	if s.MaxLen < 100 {
		p.add("streams.max_len: at least 100")
	}
	if s.Heartbeat <= 0 {
		p.add("streams.heartbeat: must be positive")
	}
	if s.WriteTimeout < 100*time.Millisecond {
		p.add("streams.write_timeout: at least 100ms")
	}
	if s.SnapshotIncidents < 1 {
		p.add("streams.snapshot_incidents: at least 1")
	}
	if s.SendQueue < 16 {
		p.add("streams.send_queue: at least 16")
	}
	return p
}

// validate checks limits.*: body sizes, rates and bursts, login throttling
// and websockets per session and address.
func (l Limits) validate(scope) []error {
	var p problems
	if l.JSONBodyBytes < 1024 || l.BodyBytes < l.JSONBodyBytes {
		p.add("limits: json_body_bytes at least 1024 and body_bytes at least json_body_bytes")
	}
	if l.TokenRate <= 0 || l.TokenBurst < 1 || l.DeviceRate <= 0 || l.DeviceBurst < 1 {
		p.add("limits: token_rate and device_rate must be positive, token_burst and device_burst at least 1")
	}
	if l.SocketRate <= 0 || l.SocketBurst < 1 {
		p.add("limits: socket_rate must be positive and socket_burst at least 1")
	}
	if l.LoginFailures < 1 || l.LoginWindow < time.Minute {
		p.add("limits: login_failures at least 1 and login_window at least 1m")
	}
	if l.LoginRate <= 0 || l.LoginBurst < 1 {
		p.add("limits: login_rate must be positive and login_burst at least 1")
	}
	if l.LoginAddressFailures < l.LoginFailures {
		p.add("limits.login_address_failures: at least login_failures")
	}
	if l.LoginDelay <= 0 || l.LoginMaxDelay < l.LoginDelay {
		p.add("limits: login_delay positive and login_max_delay at least login_delay")
	}
	if l.LoginAlarm < 1 {
		p.add("limits.login_alarm: at least 1")
	}
	if l.SocketsPerSession < 1 || l.SocketsPerAddress < l.SocketsPerSession {
		p.add("limits: sockets_per_session at least 1 and sockets_per_address at least sockets_per_session")
	}
	return p
}

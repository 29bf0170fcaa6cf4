package config

import "time"

// Streams bounds the event streams kept in Redis for replay.
type Streams struct {
	MaxLen int64 `yaml:"max_len"`
	// UnitMaxLen caps each unit's own stream (its orders and tasks, read
	// by its phone to catch up): a phone too far behind gets a snapshot.
	UnitMaxLen int64         `yaml:"unit_max_len"`
	Heartbeat  time.Duration `yaml:"heartbeat"`
	// SendQueue is how many messages a websocket client may fall behind
	// before it is cut off (it resumes with ?since=).
	SendQueue int `yaml:"send_queue"`
	// WriteTimeout cuts off a client that takes longer to take one message.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// WriteGap is how long live messages that follow a write to a websocket
	// wait to go together (0: each at once; a busy socket waits less).
	WriteGap time.Duration `yaml:"write_gap"`
	// SnapshotIncidents is the most incidents a screen snapshot carries.
	SnapshotIncidents int `yaml:"snapshot_incidents"`
	// Compress offers permessage-deflate to websocket clients (browsers
	// ask for it): live messages of a kilobyte or more, frames above all,
	// go out compressed, each compressed once for every socket, and so do
	// snapshots of a kilobyte or more, each for its socket.
	Compress bool `yaml:"compress"`
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
	return broken([]bound{
		{s.MaxLen < 100, "streams.max_len: at least 100"},
		{s.UnitMaxLen < 100, "streams.unit_max_len: at least 100"},
		{s.Heartbeat <= 0, "streams.heartbeat: must be positive"},
		{s.WriteTimeout < 100*time.Millisecond, "streams.write_timeout: at least 100ms"},
		{s.WriteGap < 0 || s.WriteGap > time.Second, "streams.write_gap: from 0 to 1s"},
		{s.SnapshotIncidents < 1, "streams.snapshot_incidents: at least 1"},
		{s.SendQueue < 16, "streams.send_queue: at least 16"},
	})
}

// validate checks limits.*: body sizes, rates and bursts, login throttling
// and websockets per session and address.
func (l Limits) validate(scope) []error {
	return broken([]bound{
		{l.JSONBodyBytes < 1024 || l.BodyBytes < l.JSONBodyBytes, "limits: json_body_bytes at least 1024 and body_bytes at least json_body_bytes"},
		{l.TokenRate <= 0 || l.TokenBurst < 1 || l.DeviceRate <= 0 || l.DeviceBurst < 1,
			"limits: token_rate and device_rate must be positive, token_burst and device_burst at least 1"},
		{l.SocketRate <= 0 || l.SocketBurst < 1, "limits: socket_rate must be positive and socket_burst at least 1"},
		{l.LoginFailures < 1 || l.LoginWindow < time.Minute, "limits: login_failures at least 1 and login_window at least 1m"},
		{l.LoginRate <= 0 || l.LoginBurst < 1, "limits: login_rate must be positive and login_burst at least 1"},
		{l.LoginAddressFailures < l.LoginFailures, "limits.login_address_failures: at least login_failures"},
		{l.LoginDelay <= 0 || l.LoginMaxDelay < l.LoginDelay, "limits: login_delay positive and login_max_delay at least login_delay"},
		{l.LoginAlarm < 1, "limits.login_alarm: at least 1"},
		{l.SocketsPerSession < 1 || l.SocketsPerAddress < l.SocketsPerSession,
			"limits: sockets_per_session at least 1 and sockets_per_address at least sockets_per_session"},
	})
}

package config

import "time"

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

// validate checks audit.*.
func (a Audit) validate(scope) []error {
	return broken([]bound{
		{a.Retention != 0 && a.Retention < time.Hour, "audit.retention: 0 (keep for ever) or at least 1h"},
		{a.ExportInterval < 10*time.Millisecond, "audit.export_interval: at least 10ms"},
		{a.ExportFile != "" && a.Retention == 0, "audit.export_file: needs a retention (records are exported when they leave Redis)"},
	})
}

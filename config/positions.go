package config

import "time"

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

// validate checks positions.*.
func (ps Positions) validate(scope) []error {
	return broken([]bound{
		{ps.MaxSpeedKMH <= 0, "positions.max_speed_kmh: must be positive"},
		{ps.TrackTTL < time.Minute, "positions.track_ttl: at least 1m"},
		{ps.FutureTolerance < 0, "positions.future_tolerance: must not be negative"},
		{ps.FrameInterval < 10*time.Millisecond, "positions.frame_interval: at least 10ms"},
		{ps.BatchSize < 1 || ps.BatchWait < 0, "positions: batch_size at least 1 and batch_wait not negative"},
	})
}

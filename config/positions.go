package config

import (
	"runtime"
	"time"
)

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
	// Workers is how many ingest workers write positions in parallel, each
	// owning a share of the units (0: IngestWorkers's default, two a core).
	Workers int `yaml:"workers"`
	// QueueLimit bounds the positions waiting for storage; past it, senders
	// are answered 503 with RetryAfter at once instead of queued (a larger
	// request is taken when nothing waits).
	QueueLimit int           `yaml:"queue_limit"`
	RetryAfter time.Duration `yaml:"retry_after"`
	// NoteInterval is how often the positions this instance stored are told
	// to the other instances, coalesced per unit (gathered untold while no
	// other instance listens).
	NoteInterval time.Duration `yaml:"note_interval"`
}

// MaxQueueSlots bounds workers × queue_limit: each worker's queue is
// allocated at start, 8 bytes a place (128 MiB at most).
const MaxQueueSlots = 1 << 24

// IngestWorkers is how many ingest workers run: Workers, or when 0 two for
// each core the process may use (one building its pipeline while another's
// is in Redis: one a core left cores idle during round trips, BENCHMARKS
// 99c and 99d), at most 1024 and no more than MaxQueueSlots allow at
// QueueLimit. Load resolves it once, so the pool and the ingester agree.
func (ps Positions) IngestWorkers() int {
	return ingestWorkers(ps.Workers, runtime.GOMAXPROCS(0), ps.QueueLimit)
}

// ingestWorkers is IngestWorkers for procs cores and a queue of queueLimit.
func ingestWorkers(workers, procs, queueLimit int) int {
	if workers > 0 {
		return workers
	}
	return max(1, min(1024, 2*max(1, procs), MaxQueueSlots/max(1, queueLimit)))
}

// validate checks positions.*.
func (ps Positions) validate(scope) []error {
	return broken([]bound{
		{ps.MaxSpeedKMH <= 0, "positions.max_speed_kmh: must be positive"},
		{ps.TrackTTL < time.Minute, "positions.track_ttl: at least 1m"},
		{ps.FutureTolerance < 0, "positions.future_tolerance: must not be negative"},
		{ps.FrameInterval < 10*time.Millisecond, "positions.frame_interval: at least 10ms"},
		{ps.BatchSize < 1 || ps.BatchWait < 0, "positions: batch_size at least 1 and batch_wait not negative"},
		{ps.Workers < 0 || ps.Workers > 1024, "positions.workers: 0 (two per core) to 1024"},
		{ps.QueueLimit < 1 || ps.QueueLimit > 10_000_000, "positions.queue_limit: 1 to 10000000"},
		// A default (0) never passes it: IngestWorkers runs fewer.
		{ps.Workers > 0 && ps.Workers <= 1024 && int64(ps.Workers)*int64(ps.QueueLimit) > MaxQueueSlots,
			"positions: workers × queue_limit at most 16777216 (each worker's queue is allocated at start)"},
		{ps.RetryAfter < time.Second || ps.RetryAfter > time.Minute, "positions.retry_after: 1s to 1m"},
		{ps.NoteInterval < time.Millisecond || ps.NoteInterval > time.Second, "positions.note_interval: 1ms to 1s"},
	})
}

package server

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"watchfloor/command/auth"
	"watchfloor/command/incident"
	"watchfloor/command/job"
	"watchfloor/command/live"
	"watchfloor/command/store"
	"watchfloor/command/unit"
)

// metrics are the server's own figures, registered once on the registry the
// API serves at /metrics; its methods are what the services are told.
type metrics struct {
	reg                      *prometheus.Registry
	skipKinds                map[string]prometheus.Counter
	moved, late, implausible prometheus.Counter
	shedRequests, shedFixes  prometheus.Counter
	shedRead                 prometheus.Counter
	batchTimes, batchSizes   prometheus.Histogram
	mended                   prometheus.Counter
	created                  *prometheus.CounterVec
	ackTimes, sceneTimes     prometheus.Observer
	jobCount                 *prometheus.CounterVec
	jobPending               prometheus.Gauge
	notifyCount, notifyJobs  *prometheus.CounterVec
	// used and limit are Redis's memory at the last check.
	used, limit atomic.Int64
}

// newMetrics registers the process collectors and the counters of bad
// records, positions, incidents, dispatch steps and jobs on a new registry.
func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry(), skipKinds: map[string]prometheus.Counter{}}
	// The scheduler's latencies (go_sched_latencies_seconds: how long a
	// goroutine waited, runnable, for a core) show a server short of turns.
	m.reg.MustRegister(collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(collectors.MetricsScheduler)), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	skipped := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "watchfloor", Name: "bad_records_skipped_total",
		Help: "Bad records read back (from Redis, or published by another instance) and skipped instead of failing a listing, by kind: last_position, track_fix, position_note.",
	}, []string{"kind"})
	for _, k := range []string{"last_position", "track_fix", "position_note"} {
		m.skipKinds[k] = skipped.WithLabelValues(k)
	}
	positions := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "watchfloor", Name: "positions_stored_total",
		Help: "Positions stored by this instance: moved (the unit moved), late (older than the last) or implausible (a jump too fast).",
	}, []string{"kind"})
	m.moved, m.late, m.implausible = positions.WithLabelValues("moved"), positions.WithLabelValues("late"), positions.WithLabelValues("implausible")
	m.shedRequests = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "watchfloor", Name: "positions_shed_requests_total",
		Help: "Position requests refused with 503 and Retry-After because positions.queue_limit positions were already waiting for Redis."})
	m.shedFixes = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "watchfloor", Name: "positions_shed_total",
		Help: "Positions in the requests refused because the ingest queues were full."})
	m.shedRead = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "watchfloor", Name: "positions_shed_read_requests_total",
		Help: "Of the position requests refused, those refused only once their positions were read and decoded: the queue filled while they were read."})
	m.batchTimes = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "watchfloor", Name: "positions_batch_seconds",
		Help:    "Time an ingest worker took to store a batch of positions: building its pipeline, the round trip and Redis's work, to the acknowledgement or a failure.",
		Buckets: []float64{.0005, .001, .002, .004, .008, .016, .032, .064, .128, .256, .512, 1, 2, 5}})
	m.batchSizes = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "watchfloor", Name: "positions_batch_size",
		Help:    "Positions in each batch an ingest worker wrote to Redis in one pipeline: they grow with load to about positions.batch_size (a request's share is never split, so a batch may pass it).",
		Buckets: []float64{1, 4, 16, 64, 128, 256, 500, 750, 1000, 1500, 2000, 4000}})
	m.mended = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "watchfloor", Name: "positions_mended_total",
		Help: "Last positions stored again by this instance where two instances' writes of a unit crossed in Redis and left the older."})
	m.created = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "watchfloor", Name: "incidents_created_total",
		Help: "Incidents created by this instance, by category and level at creation (drills excluded).",
	}, []string{"category", "level"})
	stepTimes := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "watchfloor", Name: "dispatch_step_seconds",
		Help:    "Time from an order to its acknowledgement (step=ack) and to the unit on scene (step=on_scene).",
		Buckets: []float64{1, 2, 5, 10, 20, 30, 45, 60, 120, 300, 600, 1200, 1800, 3600},
	}, []string{"step"})
	m.ackTimes, m.sceneTimes = stepTimes.WithLabelValues("ack"), stepTimes.WithLabelValues("on_scene")
	m.jobCount = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "watchfloor", Name: "jobs_total",
		Help: "Follow-up jobs by this instance: done, failed (an attempt that failed) and retried (an attempt after a failure or a dead instance).",
	}, []string{"result"})
	m.jobPending = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "watchfloor", Name: "jobs_pending", Help: "Follow-up jobs taken by an instance and not yet done, at the last look.",
	})
	for _, r := range []string{job.Done, job.Failed, job.Retried} {
		m.jobCount.WithLabelValues(r)
	}
	m.reg.MustRegister(skipped, positions, m.shedRequests, m.shedFixes, m.shedRead, m.batchTimes, m.batchSizes, m.mended, m.created, stepTimes, m.jobCount, m.jobPending)
	m.notifyMetrics()
	return m
}

// watch registers the figures read at scrape time: Redis reachable, its
// memory at the last check, the passwords compared, the sessions looked up
// (from the cache or Redis), the positions waiting for storage and the
// sockets' catch-ups.
func (m *metrics) watch(st *store.Store, authn *auth.Service, sessions *auth.SessionCache, ingest *unit.Ingester, hub *live.Hub) {
	m.watchSockets(hub)
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "watchfloor", Name: "positions_queued",
			Help: "Positions waiting for Redis now (refused with 503 past positions.queue_limit)."}, func() float64 { return float64(ingest.Queued()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "watchfloor", Name: "redis_up", Help: "1 when the last health check reached Redis.",
		}, func() float64 {
			if st.Ready() {
				return 1
			}
			return 0
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "watchfloor", Name: "redis_used_memory_bytes",
			Help: "Redis used_memory at the last check."}, func() float64 { return float64(m.used.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "watchfloor", Name: "redis_maxmemory_bytes",
			Help: "Redis maxmemory at the last check (0: no limit)."}, func() float64 { return float64(m.limit.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "watchfloor", Name: "login_password_checks_total",
			Help: "Passwords compared by this instance (login attempts that were not throttled)."}, func() float64 { return float64(authn.Checked.Load()) }),
		sessionLookups("cache", sessions.Hits),
		sessionLookups("redis", sessions.Reads),
	)
}

// sessionLookups counts the sessions looked up (each authenticated
// request, each socket's slide) from the cache or from Redis.
func sessionLookups(from string, n func() int64) prometheus.Collector {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "watchfloor", Name: "session_lookups_total",
		Help:        "Sessions looked up for authenticated requests and open sockets, by where the answer came from (from=cache: within auth.session_cache of a read; from=redis).",
		ConstLabels: prometheus.Labels{"from": from}}, func() float64 { return float64(n()) })
}

// watchSockets registers the sockets' catch-ups from storage (a live event
// that did not come in time) and the notifications subscribed again.
func (m *metrics) watchSockets(hub *live.Hub) {
	const help = "Sockets found behind storage when they checked their stream's seq, and caught up from it: asked by the instance's sweep of its streams' seqs, once a heartbeat (reason=heartbeat: " +
		"a live event that had not come by then), when the notifications were subscribed again after a break (reason=resubscribed), " +
		"when they were first subscribed, for sockets served before (reason=subscribed), " +
		"or, for reason=burst, the times a socket keeping up was sent to catch up because a batch of this instance's tail of the stream " +
		"would have left less than a quarter of its queue free (the tail lagged)."
	caughtUp := func(reason string, n func() int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "watchfloor", Name: "socket_catchups_total", Help: help,
			ConstLabels: prometheus.Labels{"reason": reason}}, func() float64 { return float64(n()) })
	}
	m.reg.MustRegister(
		caughtUp("heartbeat", func() int64 { h, _ := hub.CatchUps(); return h }),
		caughtUp("resubscribed", func() int64 { _, r := hub.CatchUps(); return r }),
		caughtUp("subscribed", hub.CatchUpsAtSubscribe),
		caughtUp("burst", hub.CatchUpsAfterBursts),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "watchfloor", Name: "notify_resubscriptions_total",
			Help: "Times the notifications channel was subscribed again after its connection broke (what was published meanwhile is read from storage)."},
			func() float64 { return float64(hub.Resubscribed()) }),
	)
}

// skip counts a bad record of kind read back and skipped.
func (m *metrics) skip(kind string) {
	if c, ok := m.skipKinds[kind]; ok {
		c.Inc()
	}
}

// counted adds the fixes of each kind an ingest stored.
func (m *metrics) counted(moved, late, implausible int) {
	m.moved.Add(float64(moved))
	m.late.Add(float64(late))
	m.implausible.Add(float64(implausible))
}

// shed counts a request of n positions refused because the queues are full.
func (m *metrics) shed(n int) {
	m.shedRequests.Inc()
	m.shedFixes.Add(float64(n))
}

// shedAfterRead counts a position request refused after its body was read.
func (m *metrics) shedAfterRead() { m.shedRead.Inc() }

// wrote records a batch of n positions that took d to store.
func (m *metrics) wrote(n int, d time.Duration) {
	m.batchTimes.Observe(d.Seconds())
	m.batchSizes.Observe(float64(n))
}

// mend counts n last positions stored again after crossed writes.
func (m *metrics) mend(n int) { m.mended.Add(float64(n)) }

// incidentCreated counts an incident created here, drills excluded.
func (m *metrics) incidentCreated(inc *incident.Incident) {
	if !inc.Drill {
		m.created.WithLabelValues(inc.Category, inc.Level.String()).Inc()
	}
}

// dispatchStep observes the time an order took to be acknowledged (ack)
// or its unit to reach the scene.
func (m *metrics) dispatchStep(step string, d time.Duration) {
	if step == "ack" {
		m.ackTimes.Observe(d.Seconds())
	} else {
		m.sceneTimes.Observe(d.Seconds())
	}
}

// jobDone counts a follow-up job's attempt by result.
func (m *metrics) jobDone(result string) { m.jobCount.WithLabelValues(result).Inc() }

// jobsPending sets the jobs taken and not yet done, at the last look.
func (m *metrics) jobsPending(n int64) { m.jobPending.Set(float64(n)) }

// memory records Redis's used memory and limit at the last check.
func (m *metrics) memory(used, limit int64) {
	m.used.Store(used)
	m.limit.Store(limit)
}

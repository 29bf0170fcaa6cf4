// Package server wires configuration to constructors and owns the
// lifecycle: New builds everything, Start listens and runs the background
// services, Stop tears them down in reverse order under one deadline.
package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"

	"watchfloor/alerts"
	"watchfloor/command/alarm"
	"watchfloor/command/audit"
	"watchfloor/command/auth"
	"watchfloor/command/dispatch"
	"watchfloor/command/effect"
	"watchfloor/command/fault"
	"watchfloor/command/gridcase"
	"watchfloor/command/incident"
	"watchfloor/command/job"
	"watchfloor/command/live"
	"watchfloor/command/plan"
	"watchfloor/command/store"
	"watchfloor/command/timer"
	"watchfloor/command/unit"
	"watchfloor/command/vocab"
	"watchfloor/command/web"
	"watchfloor/config"
	"watchfloor/geo"
	"watchfloor/static"
)

// Options are what a caller may inject besides the configuration.
type Options struct {
	Logger *slog.Logger
	// Now is the clock; tests inject one.
	Now func() time.Time
	// Notice receives start-up notices meant for the person starting the
	// server (the generated demo password); os.Stdout when nil.
	Notice io.Writer
	// NoJobRunner (tests) runs no follow-up jobs in this instance, as if
	// it died right after recording them.
	NoJobRunner bool
}

// Server is one Watchfloor instance.
type Server struct {
	cfg    *config.Config
	log    *slog.Logger
	store  *store.Store
	api    *web.API
	hub    *live.Hub
	ingest *unit.Ingester
	framer *unit.Framer
	timers *timer.Scheduler
	jobs   *job.Runner
	noJobs bool
	// memory watches Redis's memory; retainer keeps the audit trail within
	// its retention.
	memory   *store.MemoryWatch
	retainer *audit.Retainer

	osmandLn  net.Listener
	osmandApp *fiber.App

	ln      net.Listener
	cancel  context.CancelFunc
	group   *errgroup.Group
	serveWG sync.WaitGroup
}

// New builds a server from a validated configuration; it connects to Redis
// and loads the map, but listens on nothing until Start.
func New(ctx context.Context, cfg *config.Config, opts Options) (*Server, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if opts.Notice == nil {
		opts.Notice = os.Stdout
	}
	if cfg.Auth.DemoAccounts && !config.Loopback(cfg.Listen) {
		return nil, fmt.Errorf("refusing to start: demo accounts are enabled and %s listens beyond loopback; set auth.demo_accounts: false and configure accounts", cfg.Listen)
	}
	if err := cfg.CheckMetricsExposure(); err != nil {
		return nil, fmt.Errorf("refusing to start: %w", err)
	}
	gridsJSON, err := os.ReadFile(cfg.Path(cfg.Map.Grids))
	if err != nil {
		return nil, fmt.Errorf("loading grids: %w", err)
	}
	zonesJSON, err := os.ReadFile(cfg.Path(cfg.Map.Zones))
	if err != nil {
		return nil, fmt.Errorf("loading zones: %w", err)
	}
	m, err := geo.NewMap(gridsJSON, zonesJSON)
	if err != nil {
		return nil, fmt.Errorf("loading the map: %w", err)
	}
	places := geo.NewGazetteer(nil)
	if cfg.Map.Gazetteer != "" {
		b, err := os.ReadFile(cfg.Path(cfg.Map.Gazetteer))
		if err != nil {
			return nil, fmt.Errorf("loading the gazetteer: %w", err)
		}
		list, err := geo.ParsePlaces(b, cfg.Map.Gazetteer)
		if err != nil {
			return nil, fmt.Errorf("loading the gazetteer: %w", err)
		}
		places = geo.NewGazetteer(list)
	}
	for _, a := range append(slices.Clone(cfg.Auth.Accounts), cfg.Auth.DemoAreaAccounts...) {
		if a.Area != "" && m.Area(a.Area) == nil {
			return nil, fmt.Errorf("account %s: area %s is not a grid code of the map", a.Username, a.Area)
		}
	}
	for _, area := range cfg.DailyReports.Areas {
		if m.Area(area) == nil {
			return nil, fmt.Errorf("daily_reports.areas: %s is not a grid code of the map", area)
		}
	}
	st, err := store.Open(ctx, store.Options{URL: cfg.Redis.URL, Deployment: cfg.Deployment, StreamMaxLen: cfg.Streams.MaxLen, PingInterval: cfg.Redis.PingInterval, MinAppendFsync: cfg.Redis.AppendFsync, RequireDurability: cfg.Redis.Durability != "warn",
		SentinelAddrs: cfg.Redis.Sentinel.Addrs, SentinelMaster: cfg.Redis.Sentinel.Master,
		WaitReplicas: cfg.Redis.WaitReplicas, WaitTimeout: cfg.Redis.WaitTimeout, Location: cfg.Location, Logger: log})
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	authn, err := auth.New(cfg, st.Sessions(), opts.Now)
	if err != nil {
		st.Close()
		return nil, err
	}
	if authn.DemoPassword != "" {
		fmt.Fprintf(opts.Notice, "demo accounts (admin, leader, deputy, operator, viewer, and one responder per unit named after it) share the password: %s\n(set WATCHFLOOR_DEMO_PASSWORD to choose it)\n", authn.DemoPassword)
	}
	fleet, err := unit.NewFleet(cfg, m)
	if err != nil {
		st.Close()
		return nil, err
	}
	if cfg.Auth.DemoAccounts {
		for _, u := range cfg.Units {
			authn.AddDemo(auth.Account{Username: u.ID, Name: u.Callsign, Role: vocab.Responder, Unit: u.ID})
		}
	}
	skipped := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "watchfloor", Name: "bad_records_skipped_total",
		Help: "Bad records read back (from Redis, or published by another instance) and skipped instead of failing a listing, by kind: last_position, track_fix, position_note.",
	}, []string{"kind"})
	reg.MustRegister(skipped)
	skipKinds := map[string]prometheus.Counter{}
	for _, k := range []string{"last_position", "track_fix", "position_note"} {
		skipKinds[k] = skipped.WithLabelValues(k)
	}
	skip := func(kind string) {
		if c, ok := skipKinds[kind]; ok {
			c.Inc()
		}
	}
	unitStore := st.Units(cfg.Positions.TrackTTL)
	unitStore.Skipped = skip
	unitService := unit.NewService(fleet, unitStore, opts.Now)
	ingest := unit.NewIngester(fleet, unitStore, cfg.Positions, opts.Now, log)
	ingest.Skipped = skip
	if err := ingest.Restore(ctx); err != nil {
		st.Close()
		return nil, err
	}
	positions := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "watchfloor", Name: "positions_stored_total",
		Help: "Positions stored by this instance: moved (the unit moved), late (older than the last) or implausible (a jump too fast).",
	}, []string{"kind"})
	reg.MustRegister(positions)
	moved, late, implausible := positions.WithLabelValues("moved"), positions.WithLabelValues("late"), positions.WithLabelValues("implausible")
	ingest.Counted = func(m, l, i int) {
		moved.Add(float64(m))
		late.Add(float64(l))
		implausible.Add(float64(i))
	}
	grader := alerts.NewGrader(cfg.Categories, cfg.Periods, cfg.Location)
	incidents := incident.NewService(st.Incidents(), grader, m, cfg, opts.Now)
	created := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "watchfloor", Name: "incidents_created_total",
		Help: "Incidents created by this instance, by category and level at creation (drills excluded).",
	}, []string{"category", "level"})
	reg.MustRegister(created)
	incidents.OnCreate = func(inc *incident.Incident) {
		if !inc.Drill {
			created.WithLabelValues(inc.Category, inc.Level.String()).Inc()
		}
	}
	dispatches := dispatch.NewService(st.Dispatches(), incidents, fleet, cfg, opts.Now)
	stepTimes := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "watchfloor", Name: "dispatch_step_seconds",
		Help:    "Time from an order to its acknowledgement (step=ack) and to the unit on scene (step=on_scene).",
		Buckets: []float64{1, 2, 5, 10, 20, 30, 45, 60, 120, 300, 600, 1200, 1800, 3600},
	}, []string{"step"})
	reg.MustRegister(stepTimes)
	ackTimes, sceneTimes := stepTimes.WithLabelValues("ack"), stepTimes.WithLabelValues("on_scene")
	dispatches.Observe = func(step string, d time.Duration) {
		if step == "ack" {
			ackTimes.Observe(d.Seconds())
		} else {
			sceneTimes.Observe(d.Seconds())
		}
	}
	plans := plan.NewService(st.Activations(), incidents, grader, cfg, opts.Now)
	// What an incident change sets off (plans, automatic dispatch, the
	// response a first order starts) is recorded with the change as a job;
	// this instance runs it at once, and any live instance carries out
	// what is left.
	jobCount := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "watchfloor", Name: "jobs_total",
		Help: "Follow-up jobs by this instance: done, failed (an attempt that failed) and retried (an attempt after a failure or a dead instance).",
	}, []string{"result"})
	jobPending := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "watchfloor", Name: "jobs_pending", Help: "Follow-up jobs taken by an instance and not yet done, at the last look.",
	})
	reg.MustRegister(jobCount, jobPending)
	for _, r := range []string{job.Done, job.Failed, job.Retried} {
		jobCount.WithLabelValues(r)
	}
	jobs := &job.Runner{Store: st.Jobs(), Name: consumerName(), Poll: cfg.Jobs.Poll, RetryBase: cfg.Jobs.RetryBase, RetryMax: cfg.Jobs.RetryMax,
		Lease: cfg.Jobs.Lease, AlarmAfter: cfg.Jobs.AlarmAfter, Log: log,
		Counted: func(result string) { jobCount.WithLabelValues(result).Inc() }, PendingNow: func(n int64) { jobPending.Set(float64(n)) }}
	effect.Register(jobs, &effect.Followup{Incidents: incidents, Plans: plans, Dispatch: dispatches}, dispatches)
	runNow := jobs.RunNow
	if opts.NoJobRunner {
		runNow = func(context.Context, []job.Job) {} // recorded, left to other instances
	}
	incidents.RunJobs, dispatches.RunJobs, plans.RunJobs = runNow, runNow, runNow
	jobs.Handle(plan.JobTasks, plans.Deliver)
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	timers := &timer.Scheduler{Store: st.Timers(), Clock: clockFunc(now), Interval: cfg.Dispatch.TimerInterval, Log: log}
	timers.Handle(dispatch.TimerKind, dispatches.Expire)
	timers.Handle(dispatch.ReofferKind, dispatches.Reoffer)
	timers.Handle(incident.TimerDeadlineDue, incidents.DeadlineDue)
	timers.Handle(incident.TimerDeadlineOverdue, incidents.DeadlineOverdue)
	cases := gridcase.NewService(st.Cases(), cfg, m, fleet.Known, opts.Now)
	daily := st.Daily()
	timers.Handle(gridcase.TimerKind, cases.Overdue)
	timers.Handle(gridcase.DailyTimerKind, func(ctx context.Context, date string, _ time.Time) (bool, error) {
		return cases.DailyDue(ctx, daily, date)
	})
	if err := cases.ScheduleDaily(ctx, daily); err != nil {
		st.Close()
		return nil, err
	}
	patrol := &unit.PatrolRecorder{Units: unitService, Days: st, Loc: cfg.Location, Now: now, Target: cfg.Patrol.TargetMinutes, MaxGap: cfg.Patrol.MaxGap}
	timers.Handle(unit.PatrolTimerKind, patrol.Record)
	if err := patrol.Schedule(ctx); err != nil {
		st.Close()
		return nil, err
	}
	// The fleet follows unit statuses stored by any instance, before any
	// socket of this one hears of them.
	hub := live.NewHub(st, log, fleet.Follow)
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "watchfloor", Name: "redis_up", Help: "1 when the last health check reached Redis.",
	}, func() float64 {
		if st.Ready() {
			return 1
		}
		return 0
	}))

	sys := systemAlarms(cfg, st, authn, now, log, reg)
	alarms := alarm.NewService(st.Alarms(), opts.Now)
	incidents.AckAlarm = func(ctx context.Context, who vocab.Actor, id string) {
		if _, err := alarms.Ack(ctx, id, who.Username, who.Role, nil); err != nil && !fault.IsConflict(err) && !fault.IsNotFound(err) {
			log.Warn("acknowledging the alarm of a report sent", "alarm", id, "err", err)
		}
	}

	api, err := web.New(web.Deps{
		Config: cfg, Auth: authn, Incidents: incidents, Hub: hub, Source: st, Map: m, Places: places,
		Units: unitService, Ingest: ingest,
		Dispatch: dispatches, Alarms: alarms, Plans: plans, Audit: st, Cases: cases, Daily: daily, Figures: st,
		Static: static.FS, Ready: st.Ready, Registry: reg, Log: log,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	framer := &unit.Framer{Fleet: fleet, Interval: cfg.Positions.FrameInterval, Publish: func(frame []byte) {
		hub.Publish(vocab.ScreenStream, live.Message{JSON: frame})
	}}
	return &Server{cfg: cfg, log: log, store: st, api: api, hub: hub, ingest: ingest, framer: framer, timers: timers,
		jobs: jobs, noJobs: opts.NoJobRunner, memory: sys.memory, retainer: sys.retainer}, nil
}

// Start listens on the configured address and runs the background services.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.cfg.Listen, err)
	}
	s.ln = ln
	oln, err := net.Listen("tcp", s.cfg.OsmandListen)
	if err != nil {
		ln.Close()
		return fmt.Errorf("listening for OsmAnd devices on %s: %w", s.cfg.OsmandListen, err)
	}
	s.osmandLn = oln
	osmandApp := s.api.NewOsmandApp()
	s.osmandApp = osmandApp
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	g, gctx := errgroup.WithContext(ctx)
	s.group = g
	g.Go(func() error { return s.store.Run(gctx) })
	g.Go(func() error { return s.hub.Tail(gctx, vocab.ScreenStream) })
	g.Go(func() error { return s.hub.Tail(gctx, vocab.LeaderStream) })
	g.Go(func() error { return s.ingest.Run(gctx) })
	g.Go(func() error { return s.ingest.Follow(gctx) })
	g.Go(func() error { return s.framer.Run(gctx) })
	g.Go(func() error { return s.hub.Follow(gctx, s.store) })
	g.Go(func() error { return s.timers.Run(gctx) })
	if !s.noJobs {
		g.Go(func() error { return s.jobs.Run(gctx) })
	}
	g.Go(func() error { return s.api.FollowRevocations(gctx, s.store.Sessions().Revocations) })
	g.Go(func() error { return s.memory.Run(gctx) })
	g.Go(func() error { return s.retainer.Run(gctx) })
	s.serveWG.Add(1)
	go func() {
		defer s.serveWG.Done()
		if err := osmandApp.Listener(oln); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Error("osmand server stopped", "err", err)
		}
	}()
	s.serveWG.Add(1)
	go func() {
		defer s.serveWG.Done()
		if err := s.api.App().Listener(ln); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Error("http server stopped", "err", err)
		}
	}()
	s.log.Info("watchfloor listening", "addr", ln.Addr().String(), "osmand", oln.Addr().String(), "deployment", s.cfg.Deployment)
	return nil
}

// Addr is the address the API listens on (useful with port 0).
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// consumerName names this instance among the job runners: host, process
// and a random part, so a restarted process is a new consumer.
func consumerName() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%x", host, os.Getpid(), b)
}

// system are the watchers of the system itself.
type system struct {
	memory   *store.MemoryWatch
	retainer *audit.Retainer
}

// systemAlarms wires the alarms about the system itself: Redis filling up
// and repeated failed logins, the audit trail's retention, and their
// metrics.
func systemAlarms(cfg *config.Config, st *store.Store, authn *auth.Service, now func() time.Time, log *slog.Logger, reg *prometheus.Registry) system {
	var used, limit atomic.Int64
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "watchfloor", Name: "redis_used_memory_bytes",
			Help: "Redis used_memory at the last check."}, func() float64 { return float64(used.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "watchfloor", Name: "redis_maxmemory_bytes",
			Help: "Redis maxmemory at the last check (0: no limit)."}, func() float64 { return float64(limit.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "watchfloor", Name: "login_password_checks_total",
			Help: "Passwords compared by this instance (login attempts that were not throttled)."}, func() float64 { return float64(authn.Checked.Load()) }),
	)
	authn.OnFailures = func(ctx context.Context, kind, subject string, n int) {
		what := map[string]string{"user": "account name", "addr": "address"}[kind]
		a := &alarm.Alarm{ID: alarm.ID(alarm.LoginFailures, kind+":"+subject), Kind: alarm.LoginFailures, RaisedAt: now().UTC(),
			Title:  subject,
			Detail: fmt.Sprintf("%d failed logins for the %s %s within %s", n, what, subject, cfg.Limits.LoginWindow)}
		if err := st.RaiseSystem(ctx, a); err != nil {
			log.Warn("raising the login failures alarm failed", "err", err)
		}
	}
	return system{
		memory: &store.MemoryWatch{Store: st, Share: cfg.Redis.MemoryAlarm, Interval: cfg.Redis.MemoryCheck, Now: now,
			Observe: func(u, l int64) { used.Store(u); limit.Store(l) }},
		retainer: &audit.Retainer{Store: st, Retention: cfg.Audit.Retention, Interval: cfg.Audit.ExportInterval,
			File: cfg.Path(cfg.Audit.ExportFile), Now: now, Log: log},
	}
}

// clockFunc adapts the injected now to a timer.Clock.
type clockFunc func() time.Time

func (f clockFunc) Now() time.Time { return f() }

// Routes lists the method and path of every route the API registered, for
// the authorisation test to hold against auth.Routes.
func (s *Server) Routes() [][2]string {
	var out [][2]string
	for _, r := range s.api.App().GetRoutes(true) {
		out = append(out, [2]string{r.Method, r.Path})
	}
	return out
}

// OsmandAddr is the address of the OsmAnd listener.
func (s *Server) OsmandAddr() string {
	if s.osmandLn == nil {
		return ""
	}
	return s.osmandLn.Addr().String()
}

// Stop closes websockets with 1001, stops accepting HTTP, drains the
// background services and closes Redis last.
func (s *Server) Stop(ctx context.Context) error {
	var errs []error
	if err := s.api.CloseSockets(ctx); err != nil {
		errs = append(errs, err)
	}
	if s.ln != nil {
		if err := s.api.App().ShutdownWithContext(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stopping http: %w", err))
		}
		if err := s.osmandApp.ShutdownWithContext(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stopping the osmand listener: %w", err))
		}
		// A Stop right after Start can come before the servers took their
		// listeners, when Shutdown has nothing to close: close them here,
		// so that a server starting late returns at once.
		_ = s.ln.Close()
		_ = s.osmandLn.Close()
		s.serveWG.Wait()
	}
	if s.cancel != nil {
		s.cancel()
		if err := s.group.Wait(); err != nil && !errors.Is(err, context.Canceled) {
			errs = append(errs, err)
		}
	}
	if err := s.store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("closing redis: %w", err))
	}
	return errors.Join(errs...)
}

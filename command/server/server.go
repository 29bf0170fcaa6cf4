// Package server wires configuration to constructors and owns the
// lifecycle: New builds everything, Start listens and runs the background
// services, Stop tears them down in reverse order under one deadline.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"

	"watchfloor/alerts"
	"watchfloor/command/alarm"
	"watchfloor/command/auth"
	"watchfloor/command/dispatch"
	"watchfloor/command/gridcase"
	"watchfloor/command/incident"
	"watchfloor/command/live"
	"watchfloor/command/plan"
	"watchfloor/command/store"
	"watchfloor/command/timer"
	"watchfloor/command/unit"
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
			authn.AddDemo(auth.Account{Username: u.ID, Name: u.Callsign, Role: "responder", Unit: u.ID})
		}
	}
	unitStore := st.Units(cfg.Positions.TrackTTL)
	unitService := unit.NewService(fleet, unitStore, opts.Now)
	ingest := unit.NewIngester(fleet, unitStore, cfg.Positions, opts.Now, log)
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
	incidents.AfterChange = func(ctx context.Context, prev, inc *incident.Incident) {
		if prev != nil && prev.Level >= inc.Level {
			return
		}
		// A new incident or a rise: propose the plans it reaches, and send
		// units by the automatic dispatch rules.
		if _, err := plans.Propose(ctx, inc); err != nil {
			log.Warn("proposing plans failed", "incident", inc.ID, "err", err)
		}
		if _, err := dispatches.Auto(ctx, inc); err != nil {
			log.Warn("automatic dispatch failed", "incident", inc.ID, "err", err)
		}
	}
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
	hub := live.NewHub(st, log)
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "watchfloor", Name: "redis_up", Help: "1 when the last health check reached Redis.",
	}, func() float64 {
		if st.Ready() {
			return 1
		}
		return 0
	}))

	api, err := web.New(web.Deps{
		Config: cfg, Auth: authn, Incidents: incidents, Hub: hub, Source: st, Map: m,
		Units: unitService, Ingest: ingest,
		Dispatch: dispatches, Alarms: alarm.NewService(st.Alarms(), opts.Now), Plans: plans, Audit: st, Cases: cases, Daily: daily, Figures: st,
		Static: static.FS, Ready: st.Ready, Registry: reg, Log: log,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	framer := &unit.Framer{Fleet: fleet, Interval: cfg.Positions.FrameInterval, Publish: func(frame []byte) {
		hub.Publish(store.ScreenStream, live.Message{JSON: frame})
	}}
	return &Server{cfg: cfg, log: log, store: st, api: api, hub: hub, ingest: ingest, framer: framer, timers: timers}, nil
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
	g.Go(func() error { return s.hub.Tail(gctx, store.ScreenStream) })
	g.Go(func() error { return s.hub.Tail(gctx, store.LeaderStream) })
	g.Go(func() error { return s.ingest.Run(gctx) })
	g.Go(func() error { return s.ingest.Follow(gctx) })
	g.Go(func() error { return s.framer.Run(gctx) })
	g.Go(func() error { return s.hub.Follow(gctx, s.store) })
	g.Go(func() error { return s.timers.Run(gctx) })
	s.serveWG.Add(1)
	go func() {
		defer s.serveWG.Done()
		if err := osmandApp.Listener(oln); err != nil {
			s.log.Error("osmand server stopped", "err", err)
		}
	}()
	s.serveWG.Add(1)
	go func() {
		defer s.serveWG.Done()
		if err := s.api.App().Listener(ln); err != nil {
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

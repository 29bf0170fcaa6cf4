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
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/sync/errgroup"

	"watchfloor/command/audit"
	"watchfloor/command/auth"
	"watchfloor/command/job"
	"watchfloor/command/live"
	"watchfloor/command/store"
	"watchfloor/command/store/records"
	"watchfloor/command/timer"
	"watchfloor/command/unit"
	"watchfloor/command/warning"
	"watchfloor/command/web"
	"watchfloor/config"
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
	cfg   *config.Config
	log   *slog.Logger
	store *store.Store
	api   *web.API
	// sessions is the session cache, kept in step with revocations.
	sessions *auth.SessionCache
	hub      *live.Hub
	ingest   *unit.Ingester
	framer   *unit.Framer
	timers   *timer.Scheduler
	jobs     *job.Runner
	// notifyRunners read the event streams and deliver notifications.
	notifyRunners []*job.Runner
	// sending are the deliveries the notification runners started at once.
	sending *sync.WaitGroup
	noJobs  bool
	// memory watches Redis's memory; retainer keeps the audit trail within
	// its retention.
	memory   *records.MemoryWatch
	retainer *audit.Retainer
	// warnings is this instance's index of warnings, read again now and
	// then (a warning.* event lost on its way).
	warnings *warning.Index
	// tailFrom is where the shared streams are tailed from (builder.tailFrom).
	tailFrom map[string]uint64

	// ln and osmandLn are the API's and the OsmAnd listeners, once started.
	ln, osmandLn *unusedCloser
	// down is the teardown stack: New pushes closing Redis, Start the
	// background services, the servers and the websockets; Stop drains it.
	down *teardown
}

// New builds a server from a validated configuration; it connects to Redis
// and loads the map, but listens on nothing until Start. Each step registers
// the teardown of what it opened; when a step fails, New drains them in
// reverse and returns the step's error.
func New(ctx context.Context, cfg *config.Config, opts Options) (_ *Server, err error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Notice == nil {
		opts.Notice = os.Stdout
	}
	if err := refuseExposure(cfg); err != nil {
		return nil, err
	}
	b := &builder{cfg: cfg, opts: opts, log: opts.Logger, now: opts.Now, down: &teardown{}}
	if b.now == nil {
		b.now = time.Now
	}
	defer func() {
		if err == nil {
			return
		}
		if derr := b.down.drain(context.Background()); derr != nil {
			err = errors.Join(err, fmt.Errorf("cleaning up after a failed start: %w", derr))
		}
	}()
	for _, step := range []func(context.Context) error{b.loadMap, b.openStore, b.people, b.positions, b.domain, b.schedule, b.notifications, b.web} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	return &Server{cfg: cfg, log: b.log, store: b.st, api: b.api, sessions: b.sessions, hub: b.hub, ingest: b.ingest, framer: b.framer, timers: b.timers,
		jobs: b.jobs, notifyRunners: b.notifyRunners, sending: b.sending, noJobs: opts.NoJobRunner, memory: b.sys.memory, retainer: b.sys.retainer, warnings: b.warningIndex, tailFrom: b.tailFrom, down: b.down}, nil
}

// Start listens on the configured address and runs the background
// services; their stop is pushed on the teardown stack so that Stop ends
// them before it closes Redis.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.cfg.Listen, err)
	}
	oln, err := net.Listen("tcp", s.cfg.OsmandListen)
	if err != nil {
		ln.Close()
		return fmt.Errorf("listening for OsmAnd devices on %s: %w", s.cfg.OsmandListen, err)
	}
	s.ln, s.osmandLn = newUnusedCloser(ln, web.FirstByteTimeout), newUnusedCloser(oln, web.FirstByteTimeout)
	osmandApp := s.api.NewOsmandApp()
	s.runBackground()
	s.serve(s.ln, s.osmandLn, osmandApp)
	s.log.Info("watchfloor listening", "addr", ln.Addr().String(), "osmand", oln.Addr().String(), "deployment", s.cfg.Deployment)
	return nil
}

// runBackground runs the background services under one errgroup and
// registers their stop: cancel them, then wait for every one to return.
func (s *Server) runBackground() {
	ctx, cancel := context.WithCancel(context.Background())
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.store.Run(gctx) })
	for stream, from := range s.tailFrom {
		g.Go(func() error { return s.hub.TailFrom(gctx, stream, from) })
	}
	g.Go(func() error { return s.ingest.Run(gctx) })
	g.Go(func() error { return s.ingest.Follow(gctx) })
	g.Go(func() error { return s.framer.Run(gctx) })
	g.Go(func() error { return s.hub.Follow(gctx, s.store) })
	g.Go(func() error { return s.hub.Sweep(gctx, s.cfg.Streams.Heartbeat) })
	g.Go(func() error { return s.timers.Run(gctx) })
	if !s.noJobs {
		g.Go(func() error { return s.jobs.Run(gctx) })
		for _, r := range s.notifyRunners {
			g.Go(func() error { return r.Run(gctx) })
		}
	}
	g.Go(func() error {
		s.sessions.Follow(gctx, records.NewSessions(s.store).Revocations, s.api.Revoked, s.log)
		return nil
	})
	g.Go(func() error { return s.memory.Run(gctx) })
	g.Go(func() error { return s.retainer.Run(gctx) })
	g.Go(func() error { return s.warnings.Run(gctx, time.Minute) })
	s.down.push(func(context.Context) error {
		cancel()
		err := g.Wait()
		s.sending.Wait() // their context is the runners': cancelled above
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	})
}

// serve runs the HTTP and OsmAnd servers on their listeners and registers,
// in this order, stopping them and closing the websockets, so that the
// websockets close first (with 1001), then HTTP stops accepting.
func (s *Server) serve(ln, oln *unusedCloser, osmandApp *fiber.App) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := osmandApp.Listener(oln); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Error("osmand server stopped", "err", err)
		}
	}()
	go func() {
		defer wg.Done()
		if err := s.api.App().Listener(ln); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Error("http server stopped", "err", err)
		}
	}()
	s.down.push(func(ctx context.Context) error {
		stopClosing := closeUnusedWhile(ln, oln)
		defer stopClosing()
		var errs []error
		if err := s.api.App().ShutdownWithContext(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stopping http: %w", err))
		}
		if err := osmandApp.ShutdownWithContext(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stopping the osmand listener: %w", err))
		}
		// A Stop right after Start can come before the servers took their
		// listeners, when Shutdown has nothing to close: close them here,
		// so that a server starting late returns at once.
		_ = ln.Close()
		_ = oln.Close()
		wg.Wait()
		return errors.Join(errs...)
	})
	s.down.push(s.api.CloseSockets)
}

// Addr is the address the API listens on (useful with port 0).
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

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
// background services and closes Redis last: the teardown stack in reverse,
// under ctx, with every error joined. A second Stop does nothing.
func (s *Server) Stop(ctx context.Context) error {
	return s.down.drain(ctx)
}

package server

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"watchfloor/alerts"
	"watchfloor/command/account"
	"watchfloor/command/alarm"
	"watchfloor/command/audit"
	"watchfloor/command/auth"
	"watchfloor/command/dispatch"
	"watchfloor/command/duty"
	"watchfloor/command/effect"
	"watchfloor/command/fault"
	"watchfloor/command/gridcase"
	"watchfloor/command/incident"
	"watchfloor/command/inforeport"
	"watchfloor/command/job"
	"watchfloor/command/live"
	"watchfloor/command/notify"
	"watchfloor/command/plan"
	"watchfloor/command/store"
	"watchfloor/command/store/records"
	"watchfloor/command/store/views"
	"watchfloor/command/timer"
	"watchfloor/command/unit"
	"watchfloor/command/unit/registry"
	"watchfloor/command/vocab"
	"watchfloor/command/warning"
	"watchfloor/command/web"
	"watchfloor/config"
	"watchfloor/geo"
	"watchfloor/static"
)

// builder holds what New has built so far, step by step; down undoes it.
type builder struct {
	cfg  *config.Config
	opts Options
	log  *slog.Logger
	// now is opts.Now, or time.Now when none was injected.
	now  func() time.Time
	down *teardown
	met  *metrics

	geo    *geo.Map
	places *geo.Gazetteer
	st     *store.Store
	// tailFrom is the seq of each shared stream read before any state its
	// events keep (fleet, registry, warnings) was loaded: tailed from there.
	tailFrom map[string]uint64
	authn    *auth.Service
	// sessions is the session cache over the sessions in Redis.
	sessions   *auth.SessionCache
	accounts   *account.Service
	fleet      *unit.Fleet
	registry   *registry.Registry
	units      *unit.Service
	ingest     *unit.Ingester
	incidents  *incident.Service
	reports    *inforeport.Service
	dispatches *dispatch.Service
	plans      *plan.Service
	jobs       *job.Runner
	timers     *timer.Scheduler
	cases      *gridcase.Service
	daily      *views.Daily
	hub        *live.Hub
	alarms     *alarm.Service
	duty       *duty.Service
	// warnings issue and change warnings (预警); warningIndex is this
	// instance's index of them (warning.Finder), kept from the screen stream.
	warnings     *warning.Service
	warningIndex *warning.Index
	sys          system
	api          *web.API
	framer       *unit.Framer
	// notify sends notifications; notifyRunners read its event streams
	// and deliver its outbox.
	notify        *notify.Service
	notifyRunners []*job.Runner
	// sending are the deliveries started at once, waited for at stop.
	sending *sync.WaitGroup
}

// refuseExposure refuses a configuration that would expose the demo
// accounts or the metrics beyond what is safe.
func refuseExposure(cfg *config.Config) error {
	if cfg.Auth.DemoAccounts && !config.Loopback(cfg.Listen) {
		return fmt.Errorf("refusing to start: demo accounts are enabled and %s listens beyond loopback; set auth.demo_accounts: false and configure accounts", cfg.Listen)
	}
	if err := cfg.CheckMetricsExposure(); err != nil {
		return fmt.Errorf("refusing to start: %w", err)
	}
	return nil
}

// loadMap reads the grids, zones and gazetteer and checks that every area
// the configuration names is a grid of the map.
func (b *builder) loadMap(context.Context) error {
	cfg := b.cfg
	gridsJSON, err := os.ReadFile(cfg.Path(cfg.Map.Grids))
	if err != nil {
		return fmt.Errorf("loading grids: %w", err)
	}
	zonesJSON, err := os.ReadFile(cfg.Path(cfg.Map.Zones))
	if err != nil {
		return fmt.Errorf("loading zones: %w", err)
	}
	if b.geo, err = geo.NewMap(gridsJSON, zonesJSON); err != nil {
		return fmt.Errorf("loading the map: %w", err)
	}
	b.places = geo.NewGazetteer(nil)
	if cfg.Map.Gazetteer != "" {
		data, err := os.ReadFile(cfg.Path(cfg.Map.Gazetteer))
		if err != nil {
			return fmt.Errorf("loading the gazetteer: %w", err)
		}
		list, err := geo.ParsePlaces(data, cfg.Map.Gazetteer)
		if err != nil {
			return fmt.Errorf("loading the gazetteer: %w", err)
		}
		b.places = geo.NewGazetteer(list)
	}
	for _, a := range append(slices.Clone(cfg.Auth.Accounts), cfg.Auth.DemoAreaAccounts...) {
		if a.Area != "" && b.geo.Area(a.Area) == nil {
			return fmt.Errorf("account %s: area %s is not a grid code of the map", a.Username, a.Area)
		}
	}
	for _, area := range cfg.DailyReports.Areas {
		if b.geo.Area(area) == nil {
			return fmt.Errorf("daily_reports.areas: %s is not a grid code of the map", area)
		}
	}
	return nil
}

// openStore connects to Redis and registers its close, the last teardown.
func (b *builder) openStore(ctx context.Context) error {
	cfg := b.cfg
	st, err := store.Open(ctx, store.Options{URL: cfg.Redis.URL, Pipelines: cfg.Positions.IngestWorkers(), Deployment: cfg.Deployment, StreamMaxLen: cfg.Streams.MaxLen, UnitStreamMaxLen: cfg.Streams.UnitMaxLen, PingInterval: cfg.Redis.PingInterval, MinAppendFsync: cfg.Redis.AppendFsync, RequireDurability: cfg.Redis.Durability != "warn",
		SentinelAddrs: cfg.Redis.Sentinel.Addrs, SentinelMaster: cfg.Redis.Sentinel.Master,
		WaitReplicas: cfg.Redis.WaitReplicas, WaitTimeout: cfg.Redis.WaitTimeout, Location: cfg.Location, Logger: b.log})
	if err != nil {
		return err
	}
	b.st = st
	b.down.push(func(context.Context) error {
		if err := st.Close(); err != nil {
			return fmt.Errorf("closing redis: %w", err)
		}
		return nil
	})
	b.met = newMetrics()
	b.tailFrom = map[string]uint64{}
	for _, stream := range []string{vocab.ScreenStream, vocab.LeaderStream} {
		if b.tailFrom[stream], err = st.Seq(ctx, stream); err != nil {
			return fmt.Errorf("reading where the %s stream stands: %w", stream, err)
		}
	}
	return nil
}

// people builds the fleet, the accounts (seeding those of the
// configuration that do not exist yet, and telling the person starting the
// server the demo password) and authentication.
func (b *builder) people(ctx context.Context) error {
	var err error
	if b.fleet, err = unit.NewFleet(b.cfg.UnitTypes, b.cfg.Units, b.geo); err != nil {
		return err
	}
	sessions := records.NewSessions(b.st)
	// Sessions from before accounts kept theirs must end with them too.
	if err := sessions.IndexOldSessions(ctx); err != nil {
		return err
	}
	// The cache ages by the system's clock, not the injected one: a test's
	// frozen clock would keep what it read for ever.
	b.sessions = auth.NewSessionCache(sessions, b.cfg.Auth.SessionCache, nil)
	b.accounts = account.New(views.NewAccounts(b.st), account.Rules{Area: func(code string) bool { return b.geo.Area(code) != nil },
		Unit: b.fleet.Known, BcryptCost: b.cfg.Auth.BcryptCost}, b.sessions, b.opts.Now)
	seeds, demoPassword, err := account.Seeds(b.cfg.Auth, b.cfg.Units)
	if err != nil {
		return err
	}
	created, err := b.accounts.SeedAll(ctx, seeds)
	if err != nil {
		return err
	}
	if !b.cfg.Auth.DemoAccounts {
		retired, err := b.accounts.RetireDemo(ctx)
		if err != nil {
			return err
		}
		if len(retired) > 0 {
			fmt.Fprintf(b.opts.Notice, "demo accounts are off: disabled %d demo accounts still on the demo password\n", len(retired))
		}
	}
	if demoPassword != "" && len(created) > 0 {
		fmt.Fprintf(b.opts.Notice, "demo accounts (admin, leader, deputy, operator, viewer, and one responder per unit named after it) share the password: %s\n(set WATCHFLOOR_DEMO_PASSWORD to choose it)\n", demoPassword)
	} else if demoPassword != "" {
		fmt.Fprintf(b.opts.Notice, "demo accounts exist from an earlier start and keep their passwords (accounts are seeded once)\n")
	}
	b.authn, err = auth.New(b.cfg.Auth, b.cfg.Limits, b.sessions, b.accounts.Directory(), b.opts.Now, loginAlarm(b.cfg, records.NewSystem(b.st), b.now, b.log))
	return err
}

// positions builds the unit service and the ingester, and restores the
// fleet's last positions from Redis.
func (b *builder) positions(ctx context.Context) error {
	unitStore := views.NewUnits(b.st, b.cfg.Positions.TrackTTL, b.met.skip)
	b.units = unit.NewService(b.fleet, unitStore, b.opts.Now)
	if err := b.seedRegistry(ctx, unitStore); err != nil {
		return err
	}
	b.ingest = unit.NewIngester(b.fleet, unitStore, b.cfg.Positions, b.opts.Now, b.log, unit.IngestHooks{Counted: b.met.counted, Skipped: b.met.skip, Shed: b.met.shed, ShedRead: b.met.shedAfterRead, Mended: b.met.mend, Wrote: b.met.wrote})
	return b.ingest.Restore(ctx)
}

// domain builds incidents, dispatch, plans and the follow-up job runner.
// What an incident change sets off (plans, automatic dispatch, the response
// a first order starts) is recorded with the change as a job; this instance
// runs it at once, and any live instance carries out what is left.
func (b *builder) domain(ctx context.Context) error {
	cfg, st := b.cfg, b.st
	if err := b.warningsOf(ctx); err != nil {
		return err
	}
	grader := alerts.NewGrader(cfg.Categories, cfg.Periods, cfg.Location)
	b.jobs = &job.Runner{Store: records.NewJobs(st), Name: consumerName(), Poll: cfg.Jobs.Poll, RetryBase: cfg.Jobs.RetryBase, RetryMax: cfg.Jobs.RetryMax,
		Lease: cfg.Jobs.Lease, AlarmAfter: cfg.Jobs.AlarmAfter, Log: b.log, Counted: b.met.jobDone, PendingNow: b.met.jobsPending}
	runNow := b.jobs.RunNow
	if b.opts.NoJobRunner {
		runNow = func(context.Context, []job.Job) {} // recorded, left to other instances
	}
	b.duty = duty.NewService(views.NewDuty(st), dutyPeople{b.accounts}, dutyUnits{b.fleet},
		duty.NewOpenItems(views.NewIncidents(st), views.NewDispatches(st), views.NewCases(st), views.NewAlarms(st)), cfg.Location, b.opts.Now)
	b.incidents = incident.NewService(views.NewIncidents(st), grader, b.geo, incident.Options{Location: cfg.Location, Deadlines: cfg.Deadlines,
		DeadlineWarning: cfg.DeadlineWarning, Duplicates: cfg.Duplicates}, b.opts.Now, incident.Hooks{Created: b.met.incidentCreated, RunJobs: runNow, Approvers: b.duty, Log: b.log,
		Warnings: b.warningIndex})
	b.alarms = alarm.NewService(views.NewAlarms(st), b.opts.Now)
	b.reports = inforeport.New(b.incidents, inforeport.Options{Centre: cfg.Deployment, Location: cfg.Location, Deadlines: cfg.Deadlines,
		Recipients: cfg.ReportRecipients, Categories: cfg.Categories, Plans: cfg.Plans}, b.opts.Now, ackAlarm(b.alarms, b.log))
	b.dispatches = dispatch.NewService(views.NewDispatches(st), b.incidents, b.fleet,
		dispatch.Options{Dispatch: cfg.Dispatch, Categories: cfg.Categories, Location: cfg.Location}, b.opts.Now, dispatch.Deps{Observe: b.met.dispatchStep, RunJobs: runNow})
	b.plans = plan.NewService(views.NewActivations(st), b.incidents, grader, plan.Options{Plans: cfg.Plans, Members: b.fleet.InTeams, Location: cfg.Location, Log: b.log,
		Warnings: b.warningIndex}, b.opts.Now, runNow, b.duty)
	effect.Register(b.jobs, &effect.Followup{Incidents: b.incidents, Plans: b.plans, Dispatch: b.dispatches})
	for kind, h := range b.plans.Handlers() {
		b.jobs.Handle(kind, h)
	}
	return nil
}

// schedule builds the durable timers with their handlers, and schedules the
// daily reports and the patrol record.
func (b *builder) schedule(ctx context.Context) error {
	cfg, st := b.cfg, b.st
	timers := &timer.Scheduler{Store: views.NewTimers(st), Clock: clockFunc(b.now), Interval: cfg.Dispatch.TimerInterval, Log: b.log}
	b.timers = timers
	timers.Handle(dispatch.TimerKind, b.dispatches.Expire)
	timers.Handle(dispatch.ReofferKind, b.dispatches.Reoffer)
	timers.Handle(dispatch.AssemblyKind, b.dispatches.Assembly)
	timers.Handle(incident.TimerDeadlineDue, b.incidents.DeadlineDue)
	timers.Handle(incident.TimerDeadlineOverdue, b.incidents.DeadlineOverdue)
	timers.Handle(warning.ExpiryKind, b.warnings.Expire)
	cases := gridcase.NewService(views.NewCases(st), gridcase.Options{CaseKinds: cfg.CaseKinds, DailyReports: cfg.DailyReports,
		Categories: cfg.Categories, Unit: b.unitNow, Location: cfg.Location, Approvers: b.duty}, b.geo, b.fleet.Known, b.opts.Now)
	daily := views.NewDaily(st)
	b.cases, b.daily = cases, daily
	timers.Handle(gridcase.TimerKind, cases.Overdue)
	timers.Handle(gridcase.SupervisionKind, cases.SupervisionDue)
	timers.Handle(gridcase.DailyTimerKind, func(ctx context.Context, date string, _ time.Time) (bool, error) {
		return cases.DailyDue(ctx, daily, date)
	})
	if err := cases.ScheduleDaily(ctx, daily); err != nil {
		return err
	}
	patrol := &unit.PatrolRecorder{Units: b.units, Days: records.NewFigures(st), Loc: cfg.Location, Now: b.now, Target: cfg.Patrol.TargetMinutes, MaxGap: cfg.Patrol.MaxGap}
	timers.Handle(unit.PatrolTimerKind, patrol.Record)
	return patrol.Schedule(ctx)
}

// web builds the live hub, the alarms, the HTTP API and the framer that
// sends the fleet's positions to the screens.
func (b *builder) web(context.Context) error {
	st, log := b.st, b.log
	// The fleet follows unit statuses and the registry's changes stored by
	// any instance, before any socket of this one hears of them.
	b.hub = live.NewHub(st, log, live.Observer{Types: []string{vocab.UnitStatus}, Fn: b.fleet.Follow},
		live.Observer{Types: []string{vocab.UnitChanged}, Fn: b.registry.Follow},
		live.Observer{Types: b.warningIndex.Types(), Fn: b.warningIndex.Follow})
	b.hub.Now = b.now
	b.met.watch(st, b.authn, b.sessions, b.ingest, b.hub)
	b.sys = systemAlarms(b.cfg, st, b.now, log, b.met)
	alarms := b.alarms
	api, err := web.New(web.Deps{
		Config: b.cfg, Auth: b.authn, Accounts: b.accounts, Incidents: b.incidents, Reports: b.reports, Hub: b.hub, Source: st, Map: b.geo, Places: b.places,
		Units: b.units, Ingest: b.ingest, UnitRegistry: b.registry,
		Dispatch: b.dispatches, Alarms: alarms, Plans: b.plans, Audit: records.NewTrail(st), Notify: b.notify, Warnings: b.warnings, Cases: b.cases, Daily: b.daily, Duty: b.duty, Figures: records.NewFigures(st),
		Static: static.FS, Ready: st.Ready, Registry: b.met.reg, Log: log, Now: b.now,
	})
	if err != nil {
		return err
	}
	b.api = api
	hub := b.hub
	b.framer = &unit.Framer{Fleet: b.fleet, Interval: b.cfg.Positions.FrameInterval, Publish: func(frame []byte) {
		hub.Publish(vocab.ScreenStream, live.Message{JSON: frame})
	}}
	return nil
}

// warningsOf builds the warnings and this instance's index of them, filled
// with the warnings stored active (then kept by the screen stream's
// warning.* events, whichever instance stored them).
func (b *builder) warningsOf(ctx context.Context) error {
	st := views.NewWarnings(b.st)
	b.warningIndex = warning.NewIndex(b.geo, st, b.opts.Now)
	b.warnings = warning.NewService(st, b.geo, warning.Options{Plans: b.cfg.Plans, Members: b.fleet.InTeams, Location: b.cfg.Location,
		Index: b.warningIndex}, b.opts.Now)
	return b.warningIndex.Restore(ctx)
}

// seedRegistry builds the unit registry over st and seeds it with the
// configured units (a unit stored already is never overwritten), which
// fills the fleet with every unit in Redis.
func (b *builder) seedRegistry(ctx context.Context, st registry.Store) error {
	b.registry = registry.New(b.fleet, st, b.opts.Now, b.log)
	return b.registry.Seed(ctx, b.cfg.Units)
}

// dutyLeader is the duty roster as notifications ask it: the leader on
// duty at a time, with the phone the messages name.
type dutyLeader struct{ roster *duty.Service }

func (d dutyLeader) OnDuty(ctx context.Context, at time.Time) (username, phone string, ok bool) {
	p, err := d.roster.Leader(ctx, at)
	if err != nil || p == nil {
		return "", "", false
	}
	return p.Username, p.Phone, true
}

// unitNow is a unit in service as grid cases ask for it: its type and home
// grid now (the registry's, so a unit created or retired at run time counts
// at once).
func (b *builder) unitNow(id string) (config.Unit, bool) {
	v, ok := b.fleet.Get(id, false)
	if !ok || v.Retired {
		return config.Unit{}, false
	}
	return config.Unit{ID: v.ID, Callsign: v.Callsign, Type: v.Type, Team: v.Team, HomeGrid: v.HomeGrid}, true
}

// dutyPeople looks the roster's people up among the accounts (in Redis, so
// an account created or edited on any instance is found at once).
type dutyPeople struct{ accounts *account.Service }

func (p dutyPeople) Person(ctx context.Context, username string) (duty.Person, bool, error) {
	a, err := p.accounts.Get(ctx, username)
	if fault.IsNotFound(err) {
		return duty.Person{}, false, nil
	}
	if err != nil {
		return duty.Person{}, false, fmt.Errorf("looking up %s for the roster: %w", username, err)
	}
	return duty.Person{Username: a.Username, Name: a.Name, Role: a.Role, Phone: a.Phone, Disabled: a.Disabled}, true, nil
}

// dutyUnits looks the roster's stand-by units up in the fleet.
type dutyUnits struct{ fleet *unit.Fleet }

func (u dutyUnits) Callsign(id string) (string, bool) {
	v, ok := u.fleet.Get(id, false)
	return v.Callsign, ok
}

// consumerName names this instance among the job runners: host, process
// and a random part, so a restarted process is a new consumer.
func consumerName() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%x", host, os.Getpid(), b)
}

// clockFunc adapts the injected now to a timer.Clock.
type clockFunc func() time.Time

func (f clockFunc) Now() time.Time { return f() }

// system are the watchers of the system itself.
type system struct {
	memory   *records.MemoryWatch
	retainer *audit.Retainer
}

// ackAlarm acknowledges an alarm for who (the overdue alarm of a report
// then sent); one already acknowledged or gone is left as it is, and a
// failure is logged and leaves the alarm for a person.
func ackAlarm(alarms *alarm.Service, log *slog.Logger) func(ctx context.Context, who vocab.Actor, id string) {
	return func(ctx context.Context, who vocab.Actor, id string) {
		if _, err := alarms.Ack(ctx, id, who.Username, who.Role, nil); err != nil && !fault.IsConflict(err) && !fault.IsNotFound(err) {
			log.Warn("acknowledging the alarm of a report sent", "alarm", id, "err", err)
		}
	}
}

// loginAlarm raises the alarm of repeated failed logins, about the system
// itself; a failure to raise it is logged.
func loginAlarm(cfg *config.Config, sys *records.System, now func() time.Time, log *slog.Logger) func(ctx context.Context, kind, subject string, n int) {
	return func(ctx context.Context, kind, subject string, n int) {
		what := map[string]string{"user": "account name", "addr": "address"}[kind]
		a := &alarm.Alarm{ID: alarm.ID(alarm.LoginFailures, kind+":"+subject), Kind: alarm.LoginFailures, RaisedAt: now().UTC(),
			Title:  subject,
			Detail: fmt.Sprintf("%d failed logins for the %s %s within %s", n, what, subject, cfg.Limits.LoginWindow)}
		if err := sys.RaiseSystem(ctx, a); err != nil {
			log.Warn("raising the login failures alarm failed", "err", err)
		}
	}
}

// systemAlarms wires the watchers of the system itself: Redis filling up,
// and the audit trail's retention.
func systemAlarms(cfg *config.Config, st *store.Store, now func() time.Time, log *slog.Logger, met *metrics) system {
	return system{
		memory: &records.MemoryWatch{System: records.NewSystem(st), Share: cfg.Redis.MemoryAlarm, Interval: cfg.Redis.MemoryCheck, Now: now,
			Observe: met.memory},
		retainer: &audit.Retainer{Store: records.NewTrail(st), Retention: cfg.Audit.Retention, Interval: cfg.Audit.ExportInterval,
			File: cfg.Path(cfg.Audit.ExportFile), Now: now, Log: log},
	}
}

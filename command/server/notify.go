package server

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"watchfloor/command/job"
	"watchfloor/command/notify"
	"watchfloor/command/store/records"
	"watchfloor/command/vocab"
)

// notifications builds the notification service and its runners: one per
// event stream it reads (screen: alarms; leader: plans awaiting approval
// and approved), and one delivering the outbox. Both kinds are durable
// consumer groups, so an event read is turned into messages at least once,
// and a message is delivered by one instance at a time, retried with
// backoff. Nothing runs on a request's path. b.duty is the duty roster
// (nil: no leader on duty is known).
func (b *builder) notifications(ctx context.Context) error {
	cfg, st := b.cfg.Notifications, b.st
	runner := func(s job.Store) *job.Runner {
		return &job.Runner{Store: s, Name: b.jobs.Name, Poll: cfg.Poll, RetryBase: cfg.RetryBase, RetryMax: cfg.RetryMax,
			Lease: cfg.Lease, AlarmAfter: cfg.AlarmAfter, Log: b.log}
	}
	outboxJobs := records.NewOutboxJobs(st)
	outbox := runner(outboxJobs)
	outbox.Counted = b.met.notifyJob
	// A failing channel raises one notify.failing alarm a day (the
	// service's), not a job.failing alarm per message.
	outbox.AlarmAfter = math.MaxInt32
	// Each delivery runs at once on its own goroutine: a receiver that
	// hangs (until notifications.timeout) holds up no other message.
	b.sending = &sync.WaitGroup{}
	runNow := func(ctx context.Context, jobs []job.Job) {
		for _, j := range jobs {
			b.sending.Go(func() { outbox.RunNow(ctx, []job.Job{j}) })
		}
	}
	b.notify = notify.New(cfg, b.cfg.Location, records.NewOutbox(st), notify.NewTransport(cfg.Timeout), b.opts.Now, notify.Hooks{
		RunJobs: runNow, Kick: outbox.Kick, Counted: b.met.notified, OnDuty: dutyLeader{b.duty}, Raise: outboxJobs.RaiseOnce, Log: b.log,
		Drill: func(ctx context.Context, id string) (bool, error) {
			inc, err := b.incidents.Load(ctx, id)
			if err != nil {
				return false, err
			}
			return inc.Drill, nil
		}})
	outbox.Handle(notify.JobDeliver, b.notify.Deliver)
	b.notifyRunners = []*job.Runner{outbox}
	for _, stream := range []string{vocab.ScreenStream, vocab.LeaderStream} {
		// The group starts at the stream's end: made now, before anything
		// is served, so no event of this run is missed.
		store := records.NewFeed(st, stream)
		if err := store.Group(ctx); err != nil {
			return fmt.Errorf("reading %s events for notifications: %w", stream, err)
		}
		feed := runner(store)
		feed.Handle(notify.JobEvent, b.notify.EventOn(stream))
		b.notifyRunners = append(b.notifyRunners, feed)
	}
	return nil
}

// notifyMetrics registers the notifications' counters.
func (m *metrics) notifyMetrics() {
	m.notifyCount = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "watchfloor", Name: "notifications_total",
		Help: "Notifications by channel and state: queued (recorded in the outbox by this instance), sent, failed (given up after notifications.max_attempts).",
	}, []string{"channel", "state"})
	m.notifyJobs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "watchfloor", Name: "notification_attempts_total",
		Help: "Delivery attempts by this instance: done, failed (an attempt that failed and will be retried) and retried.",
	}, []string{"result"})
	m.reg.MustRegister(m.notifyCount, m.notifyJobs)
}

// notified counts a notification of channel reaching state.
func (m *metrics) notified(channel, state string) {
	m.notifyCount.WithLabelValues(channel, state).Inc()
}

// notifyJob counts a delivery attempt by result.
func (m *metrics) notifyJob(result string) { m.notifyJobs.WithLabelValues(result).Inc() }

// Package notify reaches people outside the browser: group robots (WeCom,
// DingTalk, Feishu), a signed webhook, e-mail and SMS. Rules in the
// configuration turn stored events (a level I/II incident, a plan awaiting
// approval, an overdue report…) into messages, one per channel (and phone,
// for SMS), recorded in an outbox; each message is delivered at least once
// by a durable job, retried with backoff, under an id the receiver sees, so
// a repeat can be told apart. Nothing here runs on a request's path.
package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"watchfloor/command/alarm"
	"watchfloor/command/job"
	"watchfloor/command/vocab"
	"watchfloor/config"
)

// Job kinds: an event read from a stream (turned into messages) and one
// message's delivery.
const (
	JobEvent   = "notify.event"
	JobDeliver = "notify.deliver"
)

// AlarmKind is the alarm raised when a channel keeps failing: once per
// channel and local day, after notifications.alarm_after failed attempts
// of one message (not one alarm per message).
const AlarmKind = "notify.failing"

// States of a message in the outbox.
const (
	Queued = "queued"
	Sent   = "sent"
	Failed = "failed"
)

// Message is one notification to one channel.
type Message struct {
	// ID is the key the receiver sees (header X-Watchfloor-Message, the
	// body's id, the e-mail's Message-ID): one event and channel (and phone,
	// for SMS) make one id, so a repeat is recorded once and a receiver can
	// drop a resend.
	ID      string `json:"id"`
	Event   string `json:"event"`
	Channel string `json:"channel"`
	Title   string `json:"title"`
	Text    string `json:"text"`
	Link    string `json:"link,omitempty"`
	// Phones are extra recipients (the leader on duty): texted by SMS,
	// mentioned by group robots.
	Phones []string `json:"phones,omitempty"`
	// Phone is the one phone an SMS message texts (its id ends /{n}, the
	// phone's place among the message's phones: not the number, which would
	// show unmasked wherever ids do): each phone has its own message,
	// attempts and state (Split). Empty for other channels, and in an SMS
	// message queued by a version that texted every phone at each attempt
	// (Deliver splits it).
	Phone      string    `json:"phone,omitempty"`
	IncidentID string    `json:"incident_id,omitempty"`
	At         time.Time `json:"at"`
}

// Delivery is a message with its state in the outbox.
type Delivery struct {
	Message
	State    string `json:"state"`
	Attempts int    `json:"attempts"`
	// Error is the cause of the last failed attempt.
	Error     string     `json:"error,omitempty"`
	QueuedAt  time.Time  `json:"queued_at"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// ErrBusy is returned by Begin's callers when another instance holds the
// message's delivery lease.
var ErrBusy = errors.New("the message is being delivered elsewhere")

// Outbox keeps messages and their state.
type Outbox interface {
	// Enqueue records each message not recorded before (by id) as queued,
	// with its delivery job, and returns the jobs of those recorded now.
	Enqueue(ctx context.Context, msgs []Message, at time.Time) ([]job.Job, error)
	// Begin takes a queued message for one attempt, counts it and holds a
	// lease on it for lease; ok is false when it is no longer queued (sent
	// or failed) or another instance holds the lease.
	Begin(ctx context.Context, id string, lease time.Duration, at time.Time) (d Delivery, ok bool, err error)
	// Finish records the attempt's outcome (Sent, Queued with its cause,
	// or Failed with it) and frees the lease.
	Finish(ctx context.Context, id, state, cause string, at time.Time) error
	// List returns up to limit messages, newest first, of state (all when "").
	List(ctx context.Context, state string, limit int) ([]Delivery, error)
	// Load returns one message; a missing one is fault.ErrNotFound.
	Load(ctx context.Context, id string) (Delivery, error)
	// Requeue puts a failed message back to queued with a new delivery job.
	Requeue(ctx context.Context, id string, at time.Time) (job.Job, error)
}

// Sender delivers one message to one channel.
type Sender interface {
	Send(ctx context.Context, ch *config.NotifyChannel, m Message) error
}

// OnDuty tells who the leader on duty is at a time (the duty roster).
type OnDuty interface {
	OnDuty(ctx context.Context, at time.Time) (username, phone string, ok bool)
}

// Hooks are what the service tells or asks of the rest (all optional).
type Hooks struct {
	// RunJobs runs delivery jobs just recorded by a background handler.
	RunJobs func(ctx context.Context, jobs []job.Job)
	// Kick wakes the delivery runner (after a request recorded a message:
	// the request never waits for a delivery).
	Kick func()
	// Counted is told of each message queued, sent or failed, per channel.
	Counted func(channel, state string)
	// OnDuty is the duty roster; nil knows no leader on duty.
	OnDuty OnDuty
	// Drill tells whether an incident is a drill (plans' events do not
	// say); nil takes every incident for real.
	Drill func(ctx context.Context, incidentID string) (bool, error)
	// Raise raises an alarm unless one with its id was raised before.
	Raise func(ctx context.Context, a *alarm.Alarm) error
	Log   *slog.Logger
}

// Service turns events into messages and delivers them.
type Service struct {
	cfg   config.Notifications
	loc   *time.Location
	out   Outbox
	send  Sender
	hooks Hooks
	now   func() time.Time
}

// New builds the service; loc is the time zone messages show times in.
func New(cfg config.Notifications, loc *time.Location, out Outbox, send Sender, now func() time.Time, hooks Hooks) *Service {
	if now == nil {
		now = time.Now
	}
	if loc == nil {
		loc = time.UTC
	}
	if hooks.Log == nil {
		hooks.Log = slog.Default()
	}
	return &Service{cfg: cfg, loc: loc, out: out, send: send, hooks: hooks, now: now}
}

func (s *Service) count(channel, state string) {
	if s.hooks.Counted != nil {
		s.hooks.Counted(channel, state)
	}
}

// EventOn is the handler of the events read from stream: each kind of
// event is taken from one stream only (an activation is written to the
// screens' and the leaders' streams alike), so that it is turned into
// messages once, and the other events are dropped by their type alone.
func (s *Service) EventOn(stream string) func(context.Context, job.Job) error {
	kinds := streamKinds[stream]
	return func(ctx context.Context, j job.Job) error {
		var head struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(j.Data, &head) != nil || !slices.Contains(kinds, head.Type) {
			return nil
		}
		return s.Event(ctx, j)
	}
}

// streamKinds are the events each stream's feed turns into messages.
var streamKinds = map[string][]string{
	vocab.ScreenStream: {vocab.AlarmRaised, vocab.WarningIssued, vocab.WarningUpdated},
	vocab.LeaderStream: {vocab.ActivationProposed, vocab.ActivationApproved},
}

// Event is the job handler of an event read from a stream: the messages
// its rules make are recorded in the outbox (once, however often the event
// is read) and their deliveries started.
func (s *Service) Event(ctx context.Context, j job.Job) error {
	msgs := s.Messages(ctx, j.Data)
	if len(msgs) == 0 {
		return nil
	}
	return s.enqueue(ctx, msgs, true)
}

// enqueue records msgs and starts their deliveries: at once when called
// in the background, else by waking the runner.
func (s *Service) enqueue(ctx context.Context, msgs []Message, background bool) error {
	jobs, err := s.out.Enqueue(ctx, msgs, s.now())
	if err != nil {
		return fmt.Errorf("queueing notifications: %w", err)
	}
	for _, j := range jobs {
		s.count(channelOf(msgs, j.Key), Queued)
	}
	s.start(ctx, jobs, background)
	return nil
}

func (s *Service) start(ctx context.Context, jobs []job.Job, background bool) {
	switch {
	case len(jobs) == 0:
	case background && s.hooks.RunJobs != nil:
		s.hooks.RunJobs(ctx, jobs)
	case s.hooks.Kick != nil:
		s.hooks.Kick()
	}
}

func channelOf(msgs []Message, id string) string {
	for _, m := range msgs {
		if m.ID == id {
			return m.Channel
		}
	}
	return ""
}

// Deliver is the job handler of one message's delivery: a message sent or
// failed for good is left alone; an attempt that fails is recorded with its
// cause and retried (the error), until notifications.max_attempts mark it
// failed.
func (s *Service) Deliver(ctx context.Context, j job.Job) error {
	d, ok, err := s.out.Begin(ctx, j.Key, s.cfg.Lease, s.now())
	if err != nil {
		return fmt.Errorf("taking notification %s: %w", j.Key, err)
	}
	if !ok {
		if d.State == Queued {
			return ErrBusy // another instance is at it: look again later
		}
		return nil
	}
	ch := s.cfg.Channel(d.Channel)
	var cause error
	switch {
	case ch == nil:
		cause = fmt.Errorf("channel %q is no longer configured", d.Channel)
	case ch.Disabled:
		cause = fmt.Errorf("channel %q is disabled", d.Channel)
	case ch.Kind == config.ChannelSMS && d.Phone == "":
		return s.split(ctx, ch, d)
	default:
		sendCtx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		cause = s.send.Send(sendCtx, ch, d.Message)
		cancel()
	}
	if cause == nil {
		s.count(d.Channel, Sent)
		return s.finish(ctx, d.ID, Sent, "")
	}
	// A receiver's refusal for good (a 4xx but 408, 425 and 429) would be
	// the same at every attempt: failed at once, for an administrator.
	final := d.Attempts >= s.cfg.MaxAttempts || ch == nil || errors.Is(cause, ErrRefused)
	if d.Attempts == s.cfg.AlarmAfter || final && d.Attempts < s.cfg.AlarmAfter {
		s.alarm(ctx, d, cause)
	}
	if final {
		s.count(d.Channel, Failed)
		return s.finish(ctx, d.ID, Failed, cause.Error())
	}
	if err := s.finish(ctx, d.ID, Queued, cause.Error()); err != nil {
		return err
	}
	return fmt.Errorf("delivering notification %s to %s (attempt %d): %w", d.ID, d.Channel, d.Attempts, cause)
}

// alarm raises the channel's notify.failing alarm of the day; a failure to
// raise it is logged (the outbox still shows the cause).
func (s *Service) alarm(ctx context.Context, d Delivery, cause error) {
	if s.hooks.Raise == nil {
		return
	}
	now := s.now()
	a := &alarm.Alarm{ID: alarm.ID(AlarmKind, d.Channel+"/"+now.In(s.loc).Format("2006-01-02")), Kind: AlarmKind, Title: d.Channel,
		IncidentID: d.IncidentID, RaisedAt: now.UTC(),
		Detail: fmt.Sprintf("notifications to %s keep failing (%d attempts of %s; last: %v); they are retried, see the administration page", d.Channel, d.Attempts, d.ID, cause)}
	if err := s.hooks.Raise(ctx, a); err != nil {
		s.hooks.Log.Warn("raising the alarm of a failing notification channel failed", "channel", d.Channel, "err", err)
	}
}

// Split returns the messages that deliver m to ch: for an SMS gateway one
// per phone (the channel's, then m's: phones), id {m.ID}/{n} for the n-th
// (from 1), each with its own attempts, state and id at the gateway, so
// that a phone already texted is never texted again when another fails;
// m itself for other channels, for a message already of one phone, and
// when there is no phone to text.
//
// The id names the phone by its place, not its number: ids are shown in
// the outbox, the retry's answer, the audit trail, the logs and the
// screens' alarm, where phones are masked. A message's id is stored with
// it, so its retries keep it (the gateway's de-duplication holds). Places
// are read when the event is turned into messages: an event read again
// (the feed delivers at least once) after the channel's phones were
// reordered in between would find places taken by other phones: one phone
// could miss the event's text, another get it twice.
//
// A message's phone is in its Phone, never read back from its id: a
// message split by a test build that ended ids with the number
// (/13800000001) is delivered all the same.
func Split(ch *config.NotifyChannel, m Message) []Message {
	if ch.Kind != config.ChannelSMS || m.Phone != "" {
		return []Message{m}
	}
	ps := phones(ch, m)
	if len(ps) == 0 {
		return []Message{m}
	}
	out := make([]Message, len(ps))
	for i, p := range ps {
		one := m
		one.ID, one.Phone, one.Phones = m.ID+"/"+strconv.Itoa(i+1), p, nil
		out[i] = one
	}
	return out
}

// split delivers an SMS message that names no phone, as an earlier
// version queued them (one message texting every phone at each attempt):
// it is handed on to one message per phone (Split), queued now, and
// recorded sent; with no phone at all it is recorded sent, nothing sent.
// It is not counted sent (Hooks.Counted, the metrics): nothing was sent
// for it; its messages per phone are counted as any.
func (s *Service) split(ctx context.Context, ch *config.NotifyChannel, d Delivery) error {
	msgs := Split(ch, d.Message)
	if len(msgs) > 1 || msgs[0].ID != d.ID {
		if err := s.enqueue(ctx, msgs, true); err != nil {
			if ferr := s.finish(ctx, d.ID, Queued, err.Error()); ferr != nil {
				return errors.Join(err, ferr)
			}
			return fmt.Errorf("splitting notification %s: %w", d.ID, err)
		}
		s.hooks.Log.Info("an SMS message of an earlier version is sent as one message per phone", "id", d.ID, "messages", len(msgs))
	}
	return s.finish(ctx, d.ID, Sent, "")
}

func (s *Service) finish(ctx context.Context, id, state, cause string) error {
	if err := s.out.Finish(ctx, id, state, cause, s.now()); err != nil {
		return fmt.Errorf("recording notification %s %s: %w", id, state, err)
	}
	return nil
}

// List returns the outbox's messages of state ("" for all), newest first,
// phones masked.
func (s *Service) List(ctx context.Context, state string, limit int) ([]Delivery, error) {
	ds, err := s.out.List(ctx, state, limit)
	if err != nil {
		return nil, fmt.Errorf("listing notifications: %w", err)
	}
	for i := range ds {
		ds[i].Phones = maskAll(ds[i].Phones)
		ds[i].Phone = mask(ds[i].Phone)
	}
	return ds, nil
}

// Retry puts a failed message back in the queue and starts its delivery.
func (s *Service) Retry(ctx context.Context, id string) (Delivery, error) {
	j, err := s.out.Requeue(ctx, id, s.now())
	if err != nil {
		return Delivery{}, fmt.Errorf("retrying notification %s: %w", id, err)
	}
	d, err := s.out.Load(ctx, id)
	if err != nil {
		return Delivery{}, fmt.Errorf("retrying notification %s: %w", id, err)
	}
	s.count(d.Channel, Queued)
	s.start(ctx, []job.Job{j}, false)
	d.Phones, d.Phone = maskAll(d.Phones), mask(d.Phone)
	return d, nil
}

// Test queues a test message to one channel, by who (one per phone for an
// SMS gateway, as Split makes them); it goes through the outbox like any other.
func (s *Service) Test(ctx context.Context, channel, who string) ([]Message, error) {
	now := s.now()
	m := Message{ID: fmt.Sprintf("test:%s:%d@%s", who, now.UnixMilli(), channel), Event: "test", Channel: channel,
		Title: "测试通知", Text: fmt.Sprintf("这是指挥平台的测试通知(%s 于 %s 发送)。", who, now.In(s.loc).Format("2006-01-02 15:04")), At: now}
	msgs := []Message{m}
	if ch := s.cfg.Channel(channel); ch != nil {
		msgs = Split(ch, m)
	}
	return msgs, s.enqueue(ctx, msgs, false)
}

// Channels returns the configured channels.
func (s *Service) Channels() []config.NotifyChannel { return s.cfg.Channels }

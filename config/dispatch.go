package config

import (
	"time"

	"watchfloor/alerts"
)

// Dispatch configures orders to units.
type Dispatch struct {
	// AckTimeout: an order not acknowledged in time expires, is raised on
	// the screens and is offered to the next nearest suitable unit.
	AckTimeout time.Duration `yaml:"ack_timeout"`
	// AssemblyDeadline (集结时限): an order whose unit is not on scene this
	// long after it was sent raises order.assembly_overdue; 0 is off.
	AssemblyDeadline time.Duration `yaml:"assembly_deadline"`
	// TimerInterval is how often due timers are looked for.
	TimerInterval time.Duration `yaml:"timer_interval"`
	// Rules send units by themselves when an incident is created or rises.
	Rules []DispatchRule `yaml:"rules"`
}

// Jobs tunes the runner of durable follow-up jobs.
type Jobs struct {
	// Poll is how often each instance looks for new jobs and for jobs to
	// retry (the instance that records a job also runs it at once).
	Poll time.Duration `yaml:"poll"`
	// RetryBase is the wait before a failed job is tried again; it doubles
	// with each attempt up to RetryMax, and a job never stops being retried.
	RetryBase time.Duration `yaml:"retry_base"`
	RetryMax  time.Duration `yaml:"retry_max"`
	// Lease is how long a job taken by one instance is left to it before
	// another instance takes it over (the first one died).
	Lease time.Duration `yaml:"lease"`
	// AlarmAfter failed attempts raise a job.failing alarm naming the
	// incident; the job is still retried.
	AlarmAfter int `yaml:"alarm_after"`
}

// DispatchRule sends the nearest Units suitable units to an incident of
// one of Categories reaching one of Levels.
type DispatchRule struct {
	ID         string         `yaml:"id"`
	Categories []string       `yaml:"categories"`
	Levels     []alerts.Level `yaml:"levels"`
	Units      int            `yaml:"units"`
}

// validate checks dispatch.*: the ack timeout, the timer interval and the rules.
func (d Dispatch) validate(in scope) []error {
	p := broken([]bound{
		{d.AckTimeout < time.Second, "dispatch.ack_timeout: at least 1s"},
		{d.AssemblyDeadline != 0 && (d.AssemblyDeadline < time.Second || d.AssemblyDeadline > 24*time.Hour), "dispatch.assembly_deadline: 0 (off) or between 1s and 24h"},
		{d.TimerInterval < 10*time.Millisecond || d.TimerInterval > time.Minute, "dispatch.timer_interval: between 10ms and 1m"},
	})
	return append(p, unique("dispatch.rules", d.Rules, func(r DispatchRule) string { return r.ID },
		func(r DispatchRule, at string) []error { return r.validate(at, in) })...)
}

// validate checks the dispatch rule at path at, but for its id.
func (r DispatchRule) validate(at string, in scope) []error {
	var p problems
	if len(r.Categories) == 0 || len(r.Levels) == 0 {
		p.add("%s: name categories and levels", at)
	}
	for _, cat := range r.Categories {
		if !in.categories[cat] {
			p.add("%s.categories: %q is not a configured category", at, cat)
		}
	}
	if r.Units < 1 || r.Units > 20 {
		p.add("%s.units: from 1 to 20", at)
	}
	return p
}

// validate checks jobs.*.
func (j Jobs) validate(scope) []error {
	return broken([]bound{{j.Poll < 10*time.Millisecond || j.Poll > time.Minute || j.RetryBase < 10*time.Millisecond ||
		j.RetryMax < j.RetryBase || j.Lease < j.RetryBase || j.AlarmAfter < 1,
		"jobs: poll between 10ms and 1m, retry_base at least 10ms, retry_max and lease at least retry_base, alarm_after at least 1"}})
}

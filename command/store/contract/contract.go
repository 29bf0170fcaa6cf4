// Package contract is the behaviour every storage of Watchfloor must show,
// as tests: the Redis store and the memory store run the same suite, so
// the memory twin the domain's unit tests run on cannot drift from the
// store production runs on. Each test opens fresh, empty stores.
package contract

import (
	"context"
	"testing"
	"time"

	"watchfloor/command/account"
	"watchfloor/command/alarm"
	"watchfloor/command/audit"
	"watchfloor/command/auth"
	"watchfloor/command/change"
	"watchfloor/command/dispatch"
	"watchfloor/command/duty"
	"watchfloor/command/gridcase"
	"watchfloor/command/incident"
	"watchfloor/command/job"
	"watchfloor/command/live"
	note "watchfloor/command/notify"
	"watchfloor/command/plan"
	"watchfloor/command/stats"
	"watchfloor/command/timer"
	"watchfloor/command/warning"
)

// MaxLen is the stream cap the stores under test must be opened with.
const MaxLen = 10

// Applier carries out a change atomically.
type Applier interface {
	Apply(ctx context.Context, c *change.Change) (change.Result, error)
}

// Figures reads and sets the day figures.
type Figures interface {
	Days(ctx context.Context, from, to time.Time) ([]stats.Day, error)
	SetDay(ctx context.Context, date string, fields map[string]int64) error
}

// Stores are the parts of one storage the suite holds to the contract,
// all over the same state.
type Stores struct {
	Changes  Applier
	Source   live.Source
	Notifier live.Notifier
	Timers   timer.Store
	Jobs     job.Store
	Audit    audit.Store
	Figures  Figures
	// Alarms reads documents of kind alarm back.
	Alarms      alarm.Store
	Incidents   incident.Store
	Dispatches  dispatch.Store
	Activations plan.Store
	Cases       gridcase.Store
	Daily       gridcase.DailyStore
	Duty        duty.Store
	// Timeline reads an incident's timeline (the list incident.timeline).
	Timeline func(ctx context.Context, incidentID string) ([]incident.Entry, error)
	Sessions auth.SessionStore
	// Accounts reads accounts back (kind account, the map accounts.units).
	Accounts  account.Store
	Positions Positions
	// Revocations follows the sessions deleted (as Sessions does in both).
	Revocations func(ctx context.Context, fn func(hash string), up func()) error
	// Outbox keeps notifications.
	Outbox note.Outbox
	// Warnings reads warnings (kind warning) back.
	Warnings warning.Store
	// Elapse lets d pass for the storage's idempotency records and job
	// leases (a manual clock moves; a real server is waited for).
	Elapse func(d time.Duration)
}

// Open makes fresh, empty stores for one test.
type Open func(t *testing.T) Stores

// Run runs the whole contract against the stores open makes.
func Run(t *testing.T, open Open) {
	for _, c := range []struct {
		name string
		run  func(*testing.T, Open)
	}{
		{"ApplyWrites", applyWrites},
		{"ApplyIdempotent", applyIdempotent},
		{"ApplyGuards", applyGuards},
		{"ApplyTrimsLists", applyTrimsLists},
		{"ApplyCounts", applyCounts},
		{"EventEnvelope", eventEnvelope},
		{"EventSeqPerStream", eventSeqPerStream},
		{"StreamCapped", streamCapped},
		{"StreamTail", streamTail},
		{"Notify", notify},
		{"Timers", timers},
		{"TimerLease", timerLease},
		{"JobsRecordedAndRead", jobsRecordedAndRead},
		{"JobsClaimAfterIdle", jobsClaimAfterIdle},
		{"JobsDoneAndFailed", jobsDoneAndFailed},
		{"JobsTrimKeepsPending", jobsTrimKeepsPending},
		{"Audit", auditTrail},
		{"Figures", figures},
		{"Sessions", sessions},
		{"Tickets", tickets},
		{"LoginAttempts", loginAttempts},
		{"Positions", positions},
		{"MendPositions", mendPositions},
		{"UnitRegistryReads", unitRegistryReads},
		{"IncidentReads", incidentReads},
		{"IncidentsNear", incidentsNear},
		{"IncidentsDue", incidentsDue},
		{"AlarmReads", alarmReads},
		{"OrderReads", orderReads},
		{"ActivationReads", activationReads},
		{"SharedTasks", sharedTasks},
		{"CaseReads", caseReads},
		{"CasesCreated", casesCreated},
		{"DailyReads", dailyReads},
		// Accounts (issue 19, part 1).
		{"AccountReads", accountReads},
		{"AccountSessionsEnd", accountSessionsEnd},
		// Duty roster and handovers (issue 19, parts 3 and 4).
		{"DutyReads", dutyReads},
		// Notifications' outbox (issue 20, part 3).
		{"Outbox", outbox},
		// Warnings (issue 20, part 1).
		{"WarningReads", warningReads},
	} {
		t.Run(c.name, func(t *testing.T) { c.run(t, open) })
	}
}

package store_test

import (
	"testing"
	"time"

	"watchfloor/command/store"
	"watchfloor/command/store/contract"
	"watchfloor/command/store/records"
	"watchfloor/command/store/storetest"
	"watchfloor/command/store/views"
)

// TestContract holds the Redis store to the storage contract the memory
// store is held to as well.
func TestContract(t *testing.T) {
	contract.Run(t, func(t *testing.T) contract.Stores {
		st := storetest.Open(t, store.Options{StreamMaxLen: contract.MaxLen})
		sessions := records.NewSessions(st)
		return contract.Stores{Changes: st, Source: st, Notifier: st, Timers: views.NewTimers(st), Jobs: records.NewJobs(st), Audit: records.NewTrail(st),
			Figures: records.NewFigures(st), Alarms: views.NewAlarms(st), Incidents: views.NewIncidents(st), Dispatches: views.NewDispatches(st),
			Activations: views.NewActivations(st), Cases: views.NewCases(st), Daily: views.NewDaily(st), Duty: views.NewDuty(st), Sessions: sessions, Accounts: views.NewAccounts(st),
			Positions: views.NewUnits(st, time.Hour, nil), Revocations: sessions.Revocations, Outbox: records.NewOutbox(st), Warnings: views.NewWarnings(st),
			// Redis keeps its own time: let it pass.
			Elapse: time.Sleep}
	})
}

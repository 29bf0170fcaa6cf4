package store_test

import (
	"context"
	"testing"
	"time"

	"watchfloor/command/store"
	"watchfloor/command/store/contract"
	"watchfloor/command/store/storetest"
)

// TestContract holds the Redis store to the storage contract the memory
// store is held to as well.
func TestContract(t *testing.T) {
	contract.Run(t, func(t *testing.T) contract.Stores {
		r := storetest.Start(t)
		st, err := store.Open(context.Background(), store.Options{URL: r.URL(), Deployment: "test", StreamMaxLen: contract.MaxLen})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return contract.Stores{Changes: st, Source: st, Notifier: st, Timers: st.Timers(), Jobs: st.Jobs(), Audit: st,
			Figures: st, Alarms: st.Alarms(), Incidents: st.Incidents(), Dispatches: st.Dispatches(), Activations: st.Activations(), Cases: st.Cases(), Daily: st.Daily(), Sessions: st.Sessions(), Positions: st.Units(time.Hour), Revocations: st.Sessions().Revocations,
			// Redis keeps its own time: let it pass.
			Elapse: time.Sleep}
	})
}

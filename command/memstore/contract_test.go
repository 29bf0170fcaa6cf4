package memstore_test

import (
	"sync"
	"testing"
	"time"

	"watchfloor/command/memstore"
	"watchfloor/command/memstore/memoutbox"
	"watchfloor/command/memstore/memsession"
	"watchfloor/command/store/contract"
)

// offsetClock is the system clock moved on by what the test let elapse.
type offsetClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *offsetClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.off) }

func (c *offsetClock) elapse(d time.Duration) { c.mu.Lock(); c.off += d; c.mu.Unlock() }

// TestContract holds the memory store to the storage contract the Redis
// store is held to as well.
func TestContract(t *testing.T) {
	contract.Run(t, func(t *testing.T) contract.Stores {
		clock := &offsetClock{}
		st := memstore.New(memstore.Options{Clock: clock, MaxLen: contract.MaxLen})
		sessions := memsession.New(clock)
		return contract.Stores{Changes: st, Source: st, Notifier: st, Timers: st.Timers(), Jobs: st.Jobs(), Audit: st,
			Figures: st, Alarms: st.Alarms(), Incidents: st.Incidents(), Dispatches: st.Dispatches(), Activations: st.Activations(), Cases: st.Cases(), Daily: st.Daily(), Duty: st.Duty(), Sessions: sessions, Accounts: st.Accounts(), Positions: st.Units(time.Hour), Revocations: sessions.Revocations, Outbox: memoutbox.New(), Warnings: st.Warnings(),
			Elapse: clock.elapse}
	})
}

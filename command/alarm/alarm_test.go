package alarm_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"watchfloor/command/alarm"
	"watchfloor/command/fault"
	"watchfloor/command/vocab"
)

// alarms is an alarm.Store in memory: acknowledging one already
// acknowledged is a conflict, as the stores' guard makes it.
type alarms struct {
	byID  map[string]*alarm.Alarm
	roles map[string]vocab.Role
	limit int
}

func (m *alarms) List(_ context.Context, open bool, limit int) ([]*alarm.Alarm, error) {
	m.limit = limit
	var out []*alarm.Alarm
	for _, a := range m.byID {
		if !open || a.AckedAt == nil {
			out = append(out, a)
		}
	}
	return out, nil
}

func (m *alarms) Load(_ context.Context, id string) (*alarm.Alarm, error) {
	a, ok := m.byID[id]
	if !ok {
		return nil, fmt.Errorf("alarm %s: %w", id, fault.ErrNotFound)
	}
	c := *a
	return &c, nil
}

func (m *alarms) Ack(_ context.Context, a *alarm.Alarm, role vocab.Role) error {
	if m.byID[a.ID].AckedAt != nil {
		return &fault.Conflict{Detail: "alarm " + a.ID + " was already acknowledged"}
	}
	m.byID[a.ID], m.roles[a.ID] = a, role
	return nil
}

func TestAck(t *testing.T) {
	now := time.Date(2026, 12, 4, 1, 30, 0, 0, time.UTC)
	earlier := now.Add(-time.Minute)
	for _, tc := range []struct {
		name    string
		alarm   alarm.Alarm
		visible func(string) bool
		check   func(t *testing.T, got *alarm.Alarm, err error)
	}{
		{"ackOpen", alarm.Alarm{ID: "a-1", Kind: alarm.SeriousIncident}, nil, func(t *testing.T, got *alarm.Alarm, err error) {
			if err != nil || got.AckedBy != "op" || got.AckedAt == nil || !got.AckedAt.Equal(now) {
				t.Fatalf("Ack = %+v, %v; want acknowledged by op at %s", got, err, now)
			}
		}},
		{"ackAgain409", alarm.Alarm{ID: "a-1", AckedBy: "leader", AckedAt: &earlier}, nil, func(t *testing.T, got *alarm.Alarm, err error) {
			if want := "alarm a-1 was already acknowledged by leader"; !fault.IsConflict(err) || err.Error() != want {
				t.Fatalf("Ack = %+v, %v; want the conflict %q", got, err, want)
			}
		}},
		{"otherArea404", alarm.Alarm{ID: "a-1", Area: "c2"}, func(area string) bool { return area == "c1" }, func(t *testing.T, got *alarm.Alarm, err error) {
			if !fault.IsNotFound(err) {
				t.Fatalf("Ack = %+v, %v; want not found", got, err)
			}
		}},
		{"ownArea", alarm.Alarm{ID: "a-1", Area: "c1"}, func(area string) bool { return area == "c1" }, func(t *testing.T, got *alarm.Alarm, err error) {
			if err != nil || got.AckedBy != "op" {
				t.Fatalf("Ack = %+v, %v; want acknowledged", got, err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := tc.alarm
			st := &alarms{byID: map[string]*alarm.Alarm{a.ID: &a}, roles: map[string]vocab.Role{}}
			svc := alarm.NewService(st, func() time.Time { return now })
			got, err := svc.Ack(context.Background(), "a-1", "op", vocab.Operator, tc.visible)
			tc.check(t, got, err)
			if err == nil && st.roles["a-1"] != vocab.Operator {
				t.Errorf("stored with role %q, want operator", st.roles["a-1"])
			}
		})
	}
	t.Run("missing404", func(t *testing.T) {
		svc := alarm.NewService(&alarms{byID: map[string]*alarm.Alarm{}}, nil)
		if _, err := svc.Ack(context.Background(), "nope", "op", vocab.Operator, nil); !fault.IsNotFound(err) {
			t.Fatalf("Ack of a missing alarm = %v, want not found", err)
		}
	})
}

func TestListReadsAtMost500(t *testing.T) {
	st := &alarms{byID: map[string]*alarm.Alarm{"a-1": {ID: "a-1"}}}
	got, err := alarm.NewService(st, nil).List(context.Background(), true)
	if err != nil || len(got) != 1 || st.limit != 500 {
		t.Fatalf("List = %v, %v with limit %d; want the one open alarm, limit 500", got, err, st.limit)
	}
}

func TestSystemAlarms(t *testing.T) {
	for kind, want := range map[string]bool{alarm.RedisMemory: true, alarm.LoginFailures: true, alarm.JobFailing: false,
		alarm.SeriousIncident: false, alarm.OrderExpired: false, alarm.DeadlineOverdue: false} {
		if got := (&alarm.Alarm{Kind: kind}).System(); got != want {
			t.Errorf("System() of %s = %t, want %t", kind, got, want)
		}
	}
}

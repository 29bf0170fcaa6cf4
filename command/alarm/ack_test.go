package alarm_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"watchfloor/command/alarm"
	"watchfloor/command/audit"
	"watchfloor/command/change"
	"watchfloor/command/fault"
	"watchfloor/command/memstore"
	"watchfloor/command/vocab"
)

var t0 = time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)

// raised stores the alarms as raised by changes and returns the service.
func raised(t *testing.T, as ...*alarm.Alarm) (*alarm.Service, *memstore.Store) {
	t.Helper()
	st := memstore.New(memstore.Options{})
	for _, a := range as {
		c := &change.Change{At: a.RaisedAt}
		c.Raise(a)
		if _, err := st.Apply(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	return alarm.NewService(st.Alarms(), func() time.Time { return t0.Add(time.Hour) }), st
}

func ids(as []*alarm.Alarm) string {
	var out []string
	for _, a := range as {
		out = append(out, a.ID)
	}
	return strings.Join(out, ",")
}

// TestListNewestFirst: open alarms and all alarms, newest first.
func TestListNewestFirst(t *testing.T) {
	svc, _ := raised(t,
		&alarm.Alarm{ID: "a", Kind: alarm.SeriousIncident, RaisedAt: t0},
		&alarm.Alarm{ID: "b", Kind: alarm.OrderExpired, RaisedAt: t0.Add(2 * time.Minute)},
		&alarm.Alarm{ID: "c", Kind: alarm.DeadlineOverdue, RaisedAt: t0.Add(time.Minute)})
	ctx := context.Background()
	if _, err := svc.Ack(ctx, "b", "alice", vocab.Operator, nil); err != nil {
		t.Fatal(err)
	}
	for open, want := range map[bool]string{true: "c,a", false: "b,c,a"} {
		as, err := svc.List(ctx, open)
		if err != nil || ids(as) != want {
			t.Errorf("list open=%v: %s %v, want %s", open, ids(as), err, want)
		}
	}
}

// TestAckStoresEventAuditAndTimeline: an alarm is acknowledged once, by whom and when, with its
// event on the screens (limited to its area), its audit record and a line
// in its incident's timeline; a second acknowledgement is a conflict
// naming who was first.
func TestAckStoresEventAuditAndTimeline(t *testing.T) {
	svc, st := raised(t, &alarm.Alarm{ID: "a", Kind: alarm.SeriousIncident, IncidentID: "INC-1", Area: "4403", RaisedAt: t0})
	ctx := context.Background()
	a, err := svc.Ack(ctx, "a", "alice", vocab.Leader, nil)
	if err != nil || a.AckedBy != "alice" || a.AckedAt == nil || !a.AckedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("ack: %+v %v", a, err)
	}
	stored, err := st.Alarms().Load(ctx, "a")
	if err != nil || stored.AckedBy != "alice" {
		t.Fatalf("stored: %+v %v", stored, err)
	}
	msgs, _, _ := st.Range(ctx, vocab.ScreenStream, 1, 10)
	if len(msgs) != 2 || !strings.Contains(string(msgs[1].JSON), `"type":"alarm.acked","area":"4403"`) {
		t.Fatalf("screen events: %d, last %s", len(msgs), msgs[len(msgs)-1].JSON)
	}
	recs, _ := st.Audit(ctx, audit.Query{Action: vocab.AlarmAcked})
	if len(recs) != 1 || recs[0].Who != "alice" || recs[0].Object != "a" || recs[0].IncidentID != "INC-1" {
		t.Fatalf("audit: %+v", recs)
	}
	tl, _ := st.Incidents().Timeline(ctx, "INC-1")
	if len(tl) != 1 || tl[0].Type != vocab.AlarmAcked || tl[0].By != "alice" {
		t.Fatalf("timeline: %+v", tl)
	}
	_, err = svc.Ack(ctx, "a", "bob", vocab.Operator, nil)
	if !fault.IsConflict(err) || !strings.Contains(err.Error(), "alice") {
		t.Fatalf("second ack: %v", err)
	}
}

// TestAckRace: of two acknowledgements at once, exactly one wins.
func TestAckRace(t *testing.T) {
	svc, st := raised(t, &alarm.Alarm{ID: "a", Kind: alarm.OrderExpired, RaisedAt: t0})
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { _, errs[i] = svc.Ack(context.Background(), "a", "op", vocab.Operator, nil) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !fault.IsConflict(err):
			t.Fatalf("ack: %v", err)
		}
	}
	if seq, _ := st.Seq(context.Background(), vocab.ScreenStream); won != 1 || seq != 2 {
		t.Fatalf("%d acknowledgements won, screen seq %d", won, seq)
	}
}

// TestAckVisibilityByArea: an alarm of an area the caller may not see is not
// found, as on reading; an alarm of no area, which every caller sees, is
// acknowledged only by a caller of the whole city (visible("") true).
func TestAckVisibilityByArea(t *testing.T) {
	city := func(string) bool { return true }
	limited := func(a string) bool { return a == "4403" }
	for _, c := range []struct {
		name, area string
		visible    func(string) bool
		want       string // "" acknowledged, or "not found", "forbidden"
	}{
		{"ownArea", "4403", limited, ""},
		{"otherArea", "4404", limited, "not found"},
		{"noAreaByALimitedCaller", "", limited, "forbidden"},
		{"noAreaByTheCity", "", city, ""},
		{"unlimited", "4404", nil, ""},
		{"noAreaUnlimited", "", nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			svc, _ := raised(t, &alarm.Alarm{ID: "a", Kind: alarm.DeadlineOverdue, Area: c.area, RaisedAt: t0})
			_, err := svc.Ack(context.Background(), "a", "alice", vocab.Operator, c.visible)
			got := ""
			switch {
			case fault.IsNotFound(err):
				got = "not found"
			case errors.Is(err, fault.ErrForbidden):
				got = "forbidden"
			case err != nil:
				got = err.Error()
			}
			if got != c.want {
				t.Fatalf("ack: %q, want %q", got, c.want)
			}
		})
	}
	svc, _ := raised(t)
	if _, err := svc.Ack(context.Background(), "none", "alice", vocab.Operator, nil); !fault.IsNotFound(err) {
		t.Fatalf("ack of no alarm: %v", err)
	}
}

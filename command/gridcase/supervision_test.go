package gridcase_test

import (
	"strings"
	"testing"
	"time"

	"watchfloor/command/alarm"
	"watchfloor/command/gridcase"
	"watchfloor/command/timer"
)

// TestSupervisionDate: listing a case to a 督办 date sets its timer, a new
// date moves it, rejecting or closing the case cancels it; when the date
// passes with the case open, one supervision.overdue alarm is raised
// (however often the timer fires), the case remembers it and its timeline
// says so.
func TestSupervisionDate(t *testing.T) {
	rfc := func(d time.Duration) string { return at.Add(d).Format(time.RFC3339) }
	stamp := func(d time.Duration) string { return at.Add(d).UTC().Format("20060102T150405Z") }
	cases := []struct {
		name    string
		then    func(f *caseFloor, id string) error
		advance time.Duration
		alarm   string // the date in the alarm's id, "" for none
	}{
		{"open past its date", func(*caseFloor, string) error { return nil }, 3*time.Hour + time.Minute, stamp(3 * time.Hour)},
		{"before its date", func(*caseFloor, string) error { return nil }, 2 * time.Hour, ""},
		{"rejected", func(f *caseFloor, id string) error {
			_, err := f.act(operator, id, gridcase.Action{Action: "reject", Reason: "duplicate"})
			return err
		}, 4 * time.Hour, ""},
		{"moved to a later date", func(f *caseFloor, id string) error {
			_, err := f.act(leaderC, id, gridcase.Action{Action: "supervise", DueAt: rfc(5 * time.Hour), Reason: "extended"})
			return err
		}, 4 * time.Hour, ""},
		{"moved, then past the new date", func(f *caseFloor, id string) error {
			_, err := f.act(leaderC, id, gridcase.Action{Action: "supervise", DueAt: rfc(5 * time.Hour), Reason: "extended"})
			return err
		}, 5*time.Hour + time.Minute, stamp(5 * time.Hour)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newCaseFloor(t)
			f.timer.Handle(gridcase.SupervisionKind, f.svc.SupervisionDue)
			cs := f.report("litter", west)
			if _, err := f.act(leaderC, cs.ID, gridcase.Action{Action: "supervise", DueAt: rfc(3 * time.Hour), Reason: "群众反映强烈"}); err != nil {
				t.Fatal(err)
			}
			member := timer.Member(gridcase.SupervisionKind, cs.ID)
			if due, ok := f.st.Timers().When(member); !ok || !due.Equal(at.Add(3*time.Hour)) {
				t.Fatalf("supervision timer: %v %v", due, ok)
			}
			if err := c.then(f, cs.ID); err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(c.advance)
			f.timer.Poll(bg)
			f.timer.Poll(bg)
			if _, err := f.svc.SupervisionDue(bg, cs.ID, f.clock.Now()); err != nil { // another instance, late
				t.Fatal(err)
			}
			all, _ := f.st.Alarms().List(bg, false, 100)
			var ids []string
			for _, a := range all {
				if a.Kind == alarm.SupervisionOverdue {
					ids = append(ids, a.ID)
					if !strings.Contains(a.Detail, cs.ID) || a.Area != "g1" {
						t.Errorf("alarm %+v", a)
					}
				}
			}
			stored, _ := f.st.Cases().Load(bg, cs.ID)
			if c.alarm == "" {
				if len(ids) != 0 || stored.Supervision != nil && stored.Supervision.OverdueAt != nil {
					t.Fatalf("alarms %v, supervision %+v", ids, stored.Supervision)
				}
				return
			}
			if len(ids) != 1 || !strings.HasSuffix(ids[0], c.alarm) || stored.Supervision.OverdueAt == nil {
				t.Fatalf("alarms %v, want one for %s; supervision %+v", ids, c.alarm, stored.Supervision)
			}
			tl, _ := f.st.Cases().Timeline(bg, cs.ID)
			n := 0
			for _, e := range tl {
				if e.Action == "supervision_overdue" {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%d supervision_overdue entries", n)
			}
			if _, ok := f.st.Timers().When(member); ok {
				t.Fatal("the supervision timer outlived its alarm")
			}
		})
	}
}

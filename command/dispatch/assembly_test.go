package dispatch_test

import (
	"testing"
	"time"

	"watchfloor/command/alarm"
	"watchfloor/command/dispatch"
	"watchfloor/command/timer"
)

// TestAssemblyDeadline: an order sent with dispatch.assembly_deadline set
// carries an assembly timer; reaching the scene or ending the order
// cancels it; when it comes due with the unit still on its way it raises
// one order.assembly_overdue alarm naming the unit and the incident, and
// firing again raises nothing more.
func TestAssemblyDeadline(t *testing.T) {
	cases := []struct {
		name  string
		do    func(f *floor, id string) error
		alarm bool
	}{
		{"offered", func(*floor, string) error { return nil }, true},
		{"acked", func(f *floor, id string) error {
			_, err := f.svc.Ack(bg, responder("car-01"), "car-01", id)
			return err
		}, true},
		{"en route", func(f *floor, id string) error {
			if _, err := f.svc.Ack(bg, responder("car-01"), "car-01", id); err != nil {
				return err
			}
			_, err := f.svc.Step(bg, responder("car-01"), "car-01", id, dispatch.EnRoute)
			return err
		}, true},
		{"on scene", func(f *floor, id string) error {
			for _, st := range []string{dispatch.EnRoute, dispatch.OnScene} {
				if st == dispatch.EnRoute {
					if _, err := f.svc.Ack(bg, responder("car-01"), "car-01", id); err != nil {
						return err
					}
				}
				if _, err := f.svc.Step(bg, responder("car-01"), "car-01", id, st); err != nil {
					return err
				}
			}
			return nil
		}, false},
		{"cancelled", func(f *floor, id string) error { _, err := f.svc.Cancel(bg, operator, id, "not needed"); return err }, false},
		{"redirected", func(f *floor, id string) error {
			_, _, err := f.svc.Redirect(bg, operator, id, "car-02", "closer")
			return err
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFloor(t)
			f.cfg.Dispatch.AckTimeout = time.Hour
			f.cfg.Dispatch.AssemblyDeadline = 30 * time.Minute
			f.svc = f.service(f.fleet)
			f.timer.Handle(dispatch.AssemblyKind, f.svc.Assembly)
			id := f.sent("car-01")
			member := timer.Member(dispatch.AssemblyKind, id)
			if due, ok := f.st.Timers().When(member); !ok || !due.Equal(at.Add(30*time.Minute)) {
				t.Fatalf("assembly timer: %v %v", due, ok)
			}
			if err := c.do(f, id); err != nil {
				t.Fatal(err)
			}
			if _, ok := f.st.Timers().When(member); ok != c.alarm {
				t.Fatalf("assembly timer kept: %v, want %v", ok, c.alarm)
			}
			f.clock.Advance(31 * time.Minute)
			f.timer.Poll(bg)
			f.timer.Poll(bg)
			if _, err := f.svc.Assembly(bg, id, at.Add(30*time.Minute)); err != nil { // a second instance firing late
				t.Fatal(err)
			}
			var raised []*alarm.Alarm
			all, _ := f.st.Alarms().List(bg, true, 100)
			for _, a := range all {
				if a.Kind == alarm.AssemblyOverdue && a.DispatchID == id {
					raised = append(raised, a)
				}
			}
			if !c.alarm {
				if len(raised) != 0 {
					t.Fatalf("alarms: %+v", raised[0])
				}
				return
			}
			if len(raised) != 1 || raised[0].UnitID != "car-01" || raised[0].IncidentID != "INC-1" || raised[0].DispatchID != id {
				t.Fatalf("alarms: %d %+v", len(raised), raised)
			}
			n := 0
			for _, e := range f.events("screen") {
				if e == "alarm.raised" {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%d alarm.raised events", n)
			}
		})
	}
}

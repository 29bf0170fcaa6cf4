package stats_test

import (
	"reflect"
	"testing"
	"time"

	"watchfloor/alerts"
	"watchfloor/command/alarm"
	"watchfloor/command/dispatch"
	"watchfloor/command/gridcase"
	"watchfloor/command/incident"
	"watchfloor/command/stats"
	"watchfloor/command/vocab"
	"watchfloor/geo"
)

// TestCounts holds stats.Counts to every day counter the store wrote
// before the domain decided its changes: incidents by category, level,
// source, hour, weekday and grid, closings; orders and their ack and
// on-scene seconds; alarms raised and acknowledged; cases, closings,
// overdue cases and mediations per community. Drills and the system's own
// alarms never count.
func TestCounts(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	// 2026-12-04 01:30 UTC is a Friday, 09:30 in Shanghai.
	created := time.Date(2026, 12, 4, 1, 30, 0, 0, time.UTC)
	later := created.Add(10 * time.Minute)
	grid := &geo.GridRef{Code: "c1", Path: []geo.Ref{{Code: "d1", Level: geo.District}, {Code: "s1", Level: geo.Street}, {Code: "c1", Level: geo.Community}}}
	open := &incident.Incident{ID: "i-1", Status: incident.StatusOpen}
	summary := func(status string, drill bool) *incident.Summary {
		return &incident.Summary{ID: "i-1", Category: "fire", Level: alerts.LevelIII, Source: "119", Grid: grid, Status: status,
			Drill: drill, CreatedAt: created, UpdatedAt: later}
	}
	order := func(status string, drill bool) *dispatch.Dispatch {
		acked, scene := created.Add(45*time.Second), created.Add(9*time.Minute+30*time.Second)
		return &dispatch.Dispatch{ID: "d-1", Status: status, CreatedAt: created, AckedAt: &acked, OnSceneAt: &scene, Drill: drill}
	}
	raised := func(kind string, drill bool) *alarm.Alarm {
		return &alarm.Alarm{ID: "a-1", Kind: kind, RaisedAt: created, Drill: drill}
	}
	acked := func(kind, by string) *alarm.Alarm {
		a := raised(kind, false)
		a.AckedBy, a.AckedAt = by, &later
		return a
	}
	gcase := func(status string, overdue bool, mediation string) *gridcase.Case {
		return &gridcase.Case{ID: "c-1", Kind: "dispute", Status: status, Overdue: overdue, Mediation: mediation, Grid: grid,
			CreatedAt: created, UpdatedAt: later}
	}
	steps := func(at time.Time, fields ...string) []stats.Step {
		out := make([]stats.Step, len(fields))
		for i, f := range fields {
			out[i] = stats.Step{At: at, Field: f}
		}
		return out
	}
	screen := func(typ string, data, prev any) vocab.Event {
		return vocab.Event{Stream: vocab.ScreenStream, Type: typ, Data: data, Prev: prev}
	}
	for _, tc := range []struct {
		name string
		ev   vocab.Event
		want []stats.Step
	}{
		{"incidentCreated", screen(vocab.IncidentCreated, summary(incident.StatusOpen, false), nil),
			steps(created, "inc", "inc:cat:fire", "inc:lvl:III", "inc:src:119", "inc:hour:9", "inc:how:5:9", "inc:hlvl:III:9",
				"inc:grid:d1", "inc:grid:s1", "inc:grid:c1")},
		{"incidentCreatedTypedNilPrev", screen(vocab.IncidentCreated, summary(incident.StatusOpen, false), (*incident.Incident)(nil)),
			steps(created, "inc", "inc:cat:fire", "inc:lvl:III", "inc:src:119", "inc:hour:9", "inc:how:5:9", "inc:hlvl:III:9",
				"inc:grid:d1", "inc:grid:s1", "inc:grid:c1")},
		{"incidentDrillCreated", screen(vocab.IncidentCreated, summary(incident.StatusOpen, true), nil), nil},
		{"incidentUpdated", screen(vocab.IncidentUpdated, summary(incident.StatusResponding, false), open), nil},
		{"incidentClosed", screen(vocab.IncidentUpdated, summary(incident.StatusClosed, false), open), steps(later, "inc:closed")},
		{"incidentClosedAgain", screen(vocab.IncidentUpdated, summary(incident.StatusClosed, false),
			&incident.Incident{ID: "i-1", Status: incident.StatusClosed}), nil},
		{"incidentDrillClosed", screen(vocab.IncidentUpdated, summary(incident.StatusClosed, true), open), nil},

		{"orderCreated", screen(vocab.DispatchCreated, dispatch.Event{DispatchID: "d-1", Dispatch: order(dispatch.Offered, false)}, nil),
			steps(created, "disp")},
		{"orderCreatedPointer", screen(vocab.DispatchCreated, &dispatch.Event{DispatchID: "d-1", Dispatch: order(dispatch.Offered, false)}, ""),
			steps(created, "disp")},
		{"orderDrillCreated", screen(vocab.DispatchCreated, dispatch.Event{Dispatch: order(dispatch.Offered, true)}, nil), nil},
		{"orderAcked", screen(vocab.DispatchUpdated, dispatch.Event{Dispatch: order(dispatch.Acked, false)}, dispatch.Offered),
			[]stats.Step{{At: created, List: "ack", Seconds: 45}}},
		{"orderAckedPrevOrder", screen(vocab.DispatchUpdated, dispatch.Event{Dispatch: order(dispatch.Acked, false)}, order(dispatch.Offered, false)),
			[]stats.Step{{At: created, List: "ack", Seconds: 45}}},
		{"orderOnScene", screen(vocab.DispatchUpdated, dispatch.Event{Dispatch: order(dispatch.OnScene, false)}, dispatch.EnRoute),
			[]stats.Step{{At: created, List: "scene", Seconds: 570}}},
		{"orderOnSceneAgain", screen(vocab.DispatchUpdated, dispatch.Event{Dispatch: order(dispatch.OnScene, false)}, dispatch.OnScene), nil},
		{"orderEnRoute", screen(vocab.DispatchUpdated, dispatch.Event{Dispatch: order(dispatch.EnRoute, false)}, dispatch.Acked), nil},
		{"orderDrillAcked", screen(vocab.DispatchUpdated, dispatch.Event{Dispatch: order(dispatch.Acked, true)}, dispatch.Offered), nil},

		{"alarmRaised", screen(vocab.AlarmRaised, raised(alarm.SeriousIncident, false), nil), steps(created, "alarm", "alarm:incident.serious")},
		{"alarmDrillRaised", screen(vocab.AlarmRaised, raised(alarm.OrderExpired, true), nil), nil},
		{"systemAlarmRaised", screen(vocab.AlarmRaised, raised(alarm.RedisMemory, false), nil), nil},
		{"loginAlarmRaised", screen(vocab.AlarmRaised, raised(alarm.LoginFailures, false), nil), nil},
		{"alarmAcked", screen(vocab.AlarmAcked, acked(alarm.DeadlineOverdue, "operator"), nil), steps(later, "alarm:acked")},
		{"systemAlarmAckedByPerson", screen(vocab.AlarmAcked, acked(alarm.LoginFailures, "admin"), nil), steps(later, "alarm:acked")},
		{"systemAlarmCleared", screen(vocab.AlarmAcked, acked(alarm.RedisMemory, "system"), nil), nil},

		{"caseCreated", screen(vocab.CaseCreated, gcase("reported", false, ""), nil), steps(created, "case", "case:kind:dispute")},
		{"caseClosed", screen(vocab.CaseUpdated, gcase(gridcase.Closed, false, ""), gcase("handling", false, "")), steps(later, "case:closed")},
		{"caseOverdue", screen(vocab.CaseUpdated, gcase("handling", true, ""), gcase("handling", false, "")), steps(later, "case:overdue")},
		{"caseMediated", screen(vocab.CaseUpdated, gcase("handling", false, "success"), gcase("handling", false, "")),
			steps(later, "med:success", "med:success:c1")},
		{"caseClosedMediated", screen(vocab.CaseUpdated, gcase(gridcase.Closed, false, "failed"), gcase("handling", false, "")),
			steps(later, "case:closed", "med:failed", "med:failed:c1")},
		{"caseMediatedAgain", screen(vocab.CaseUpdated, gcase("handling", false, "success"), gcase("handling", false, "success")), nil},
		{"caseDrill", screen(vocab.CaseCreated, func() *gridcase.Case { c := gcase("reported", false, ""); c.Drill = true; return c }(), nil), nil},

		{"unitStatus", screen(vocab.UnitStatus, vocab.UnitStatusData{UnitID: "u-1", Status: "available"}, nil), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := stats.Counts(tc.ev, shanghai); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Counts = %+v\nwant     %+v", got, tc.want)
			}
		})
	}
}

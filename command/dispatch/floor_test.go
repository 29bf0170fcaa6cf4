package dispatch_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"watchfloor/alerts"
	"watchfloor/command/audit"
	"watchfloor/command/change"
	"watchfloor/command/dispatch"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/memstore"
	"watchfloor/command/timer"
	"watchfloor/command/unit"
	"watchfloor/command/vocab"
	"watchfloor/config"
	"watchfloor/geo"
)

// floor is the dispatch service over the memory store, as one instance of
// the command floor runs it: units placed east of the incident, 100 m
// apart in the order named, a clock the test moves and a timer scheduler.
type floor struct {
	t     *testing.T
	st    *memstore.Store
	clock *timer.Manual
	cfg   *config.Config
	svc   *dispatch.Service
	fleet *unit.Fleet
	timer *timer.Scheduler
}

// scene is where the floor's incidents happen.
var scene = vocab.Location{Lon: 114.05, Lat: 22.55}

func newFloor(t *testing.T, rules ...config.DispatchRule) *floor {
	t.Helper()
	cfg := config.Defaults()
	cfg.Location = time.UTC
	cfg.Dispatch.AckTimeout = time.Minute
	cfg.Dispatch.Rules = rules
	cfg.Categories = []alerts.Category{{ID: "fire", UnitTypes: []string{"fire", "car"}}, {ID: "flood", UnitTypes: []string{"car"}}}
	cfg.Units = []config.Unit{{ID: "fire-01", Type: "fire"}, {ID: "car-01", Type: "car"}, {ID: "foot-01", Type: "foot"}, {ID: "car-02", Type: "car"}, {ID: "car-03", Type: "car"}}
	for i := range cfg.Units {
		cfg.Units[i].Callsign = strings.ToUpper(cfg.Units[i].ID)
	}
	f := &floor{t: t, clock: timer.NewManual(at), cfg: cfg}
	f.st = memstore.New(memstore.Options{Clock: f.clock})
	f.fleet = f.newFleet()
	f.svc = f.service(f.fleet)
	f.timer = &timer.Scheduler{Store: f.st.Timers(), Clock: f.clock, Interval: time.Second, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	f.timer.Handle(dispatch.TimerKind, f.svc.Expire)
	f.timer.Handle(dispatch.ReofferKind, f.svc.Reoffer)
	return f
}

// newFleet is a fleet restored from the store, as an instance starts;
// the first call places the units.
func (f *floor) newFleet() *unit.Fleet {
	f.t.Helper()
	m, err := geo.NewMap([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"d1","name":"D1","level":"district"},
		"geometry":{"type":"Polygon","coordinates":[[[114,22.5],[114.1,22.5],[114.1,22.6],[114,22.6],[114,22.5]]]}}]}`),
		[]byte(`{"type":"FeatureCollection","features":[]}`))
	if err != nil {
		f.t.Fatal(err)
	}
	fleet, err := unit.NewFleet(f.cfg.UnitTypes, f.cfg.Units, m)
	if err != nil {
		f.t.Fatal(err)
	}
	units := f.st.Units(time.Hour)
	if pos, _, _ := units.LoadState(context.Background()); len(pos) == 0 {
		var fixes []unit.Fix
		for i, u := range f.cfg.Units {
			fixes = append(fixes, unit.Fix{UnitID: u.ID, Moved: true, Position: unit.Unknown(scene.Lon+0.001*float64(i+1), scene.Lat, at)})
		}
		if err := units.WritePositions(context.Background(), fixes); err != nil {
			f.t.Fatal(err)
		}
	}
	if err := unit.NewIngester(fleet, units, f.cfg.Positions, f.clock.Now, nil, unit.IngestHooks{}).Restore(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	return fleet
}

func (f *floor) service(fleet *unit.Fleet) *dispatch.Service {
	opts := dispatch.Options{Dispatch: f.cfg.Dispatch, Categories: f.cfg.Categories, Location: f.cfg.Location}
	return dispatch.NewService(f.st.Dispatches(), f.st.Incidents(), fleet, opts, f.clock.Now, dispatch.Deps{})
}

// incident stores an open incident at the scene.
func (f *floor) incident(id, category string, level alerts.Level) *incident.Incident {
	f.t.Helper()
	loc := scene
	inc := &incident.Incident{ID: id, Category: category, Level: level, Status: incident.StatusOpen, Location: &loc, CreatedAt: at, UpdatedAt: at}
	if _, err := f.st.Apply(context.Background(), &change.Change{At: at, Docs: []change.Doc{{Kind: change.KindIncident, ID: id, Value: inc}}}); err != nil {
		f.t.Fatal(err)
	}
	return inc
}

// sent stores a level III fire incident INC-1 and sends unitID to it; it
// returns the order's id.
func (f *floor) sent(unitID string) string {
	f.t.Helper()
	f.incident("INC-1", "fire", alerts.LevelIII)
	ds, err := f.svc.Create(bg, operator, "INC-1", []string{unitID}, "go")
	if err != nil {
		f.t.Fatal(err)
	}
	return ds[0].ID
}

// order returns the stored order.
func (f *floor) order(id string) *dispatch.Dispatch {
	f.t.Helper()
	d, err := f.st.Dispatches().Load(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

// events returns the types of the events of a stream, in order.
func (f *floor) events(stream string) []string {
	f.t.Helper()
	msgs, _, _ := f.st.Range(context.Background(), stream, 1, 1000)
	var out []string
	for _, m := range msgs {
		var env vocab.Envelope
		if err := json.Unmarshal(m.JSON, &env); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, env.Type)
	}
	return out
}

func unitsOf(ds []*dispatch.Dispatch) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.UnitID
	}
	return out
}

var (
	responder = func(unitID string) vocab.Actor { return vocab.Actor{Username: unitID, Role: vocab.Responder} }
	bg        = context.Background()
)

// TestOrderLifecycle: an order goes offered → acked → en route → on scene
// → cleared; the unit's status, its timer, the events on the screens and
// on the unit's stream, the incident's timeline and the audit trail follow
// each step.
func TestOrderLifecycle(t *testing.T) {
	f := newFloor(t)
	id := f.sent("car-01")
	if due, ok := f.st.Timers().When(timer.Member(dispatch.TimerKind, id)); !ok || !due.Equal(at.Add(time.Minute)) {
		t.Fatalf("ack timer: %v %v", due, ok)
	}
	steps := []struct {
		do         func() (*dispatch.Dispatch, error)
		status     string
		unitStatus string
	}{
		{func() (*dispatch.Dispatch, error) { return f.svc.Ack(bg, responder("car-01"), "car-01", id) }, dispatch.Acked, unit.Dispatched},
		{func() (*dispatch.Dispatch, error) {
			return f.svc.Step(bg, responder("car-01"), "car-01", id, dispatch.EnRoute)
		}, dispatch.EnRoute, unit.EnRoute},
		{func() (*dispatch.Dispatch, error) {
			return f.svc.Step(bg, responder("car-01"), "car-01", id, dispatch.OnScene)
		}, dispatch.OnScene, unit.OnScene},
		{func() (*dispatch.Dispatch, error) {
			return f.svc.Step(bg, responder("car-01"), "car-01", id, dispatch.Cleared)
		}, dispatch.Cleared, unit.Available},
	}
	for _, s := range steps {
		f.clock.Advance(10 * time.Second)
		if d, err := s.do(); err != nil || d.Status != s.status {
			t.Fatalf("to %s: %+v %v", s.status, d, err)
		}
		if got := f.order(id).Status; got != s.status {
			t.Fatalf("stored %s, want %s", got, s.status)
		}
		if got := f.st.Field(change.KindUnitStatus, "", "car-01"); got != s.unitStatus || f.fleet.Status("car-01") != s.unitStatus {
			t.Fatalf("after %s the unit is %q (fleet %q), want %s", s.status, got, f.fleet.Status("car-01"), s.unitStatus)
		}
	}
	if _, ok := f.st.Timers().When(timer.Member(dispatch.TimerKind, id)); ok {
		t.Fatal("the ack timer outlived the acknowledgement")
	}
	if active, _ := f.st.Dispatches().ActiveByUnit(bg, "car-01"); len(active) != 0 {
		t.Fatalf("active after clearing: %v", active)
	}
	want := []string{vocab.DispatchCreated, vocab.UnitStatus, vocab.DispatchUpdated, vocab.DispatchUpdated, vocab.UnitStatus,
		vocab.DispatchUpdated, vocab.UnitStatus, vocab.DispatchUpdated, vocab.UnitStatus}
	if got := f.events(vocab.UnitStream("car-01")); !slices.Equal(got, want) {
		t.Fatalf("the unit's stream: %v\nwant %v", got, want)
	}
	tl, _ := f.st.Incidents().Timeline(bg, "INC-1")
	var types []string
	for _, e := range tl {
		types = append(types, e.Type)
	}
	if !slices.Equal(types, []string{"dispatch.created", "dispatch.acked", "dispatch.en_route", "dispatch.on_scene", "dispatch.cleared"}) {
		t.Fatalf("timeline %v", types)
	}
	if recs, _ := f.st.Audit(bg, audit.Query{Object: id}); len(recs) != 5 {
		t.Fatalf("audit records of the order: %d", len(recs))
	}
}

// TestResponderAnswers: what a responder may answer to an order in each
// status, and what the answer leaves.
func TestResponderAnswers(t *testing.T) {
	for _, c := range []struct {
		name     string
		setup    []string // statuses to walk through first (Ack, Step…)
		answer   string   // acked, or a step
		unitID   string
		want     string // the order's status after, or the kind of error
		contains string
	}{
		{"ack", nil, dispatch.Acked, "car-01", dispatch.Acked, ""},
		{"ackAgain", []string{dispatch.Acked}, dispatch.Acked, "car-01", dispatch.Acked, ""},
		{"ackAfterSteps", []string{dispatch.Acked, dispatch.EnRoute}, dispatch.Acked, "car-01", dispatch.EnRoute, ""},
		{"ackOfCancelled", []string{dispatch.Cancelled}, dispatch.Acked, "car-01", "conflict", "was cancelled: no longer needed"},
		{"ackOfOther", nil, dispatch.Acked, "car-02", "not_found", ": not found"},
		{"stepOfOther", []string{dispatch.Acked}, dispatch.EnRoute, "car-02", "not_found", ": not found"},
		{"skipAck", nil, dispatch.EnRoute, "car-01", "conflict", "the next step is acked"},
		{"skipEnRoute", []string{dispatch.Acked}, dispatch.OnScene, "car-01", "conflict", "the next step is en_route"},
		{"repeatStep", []string{dispatch.Acked, dispatch.EnRoute}, dispatch.EnRoute, "car-01", dispatch.EnRoute, ""},
		{"stepOfCancelled", []string{dispatch.Cancelled}, dispatch.EnRoute, "car-01", "conflict", "is cancelled"},
		{"stepBack", []string{dispatch.Acked}, dispatch.Offered, "car-01", "invalid", "must be en_route"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFloor(t)
			id := f.sent("car-01")
			answer := func(status, unitID string) (*dispatch.Dispatch, error) {
				switch status {
				case dispatch.Acked:
					return f.svc.Ack(bg, responder(unitID), unitID, id)
				case dispatch.Cancelled:
					return f.svc.Cancel(bg, operator, id, "no longer needed")
				}
				return f.svc.Step(bg, responder(unitID), unitID, id, status)
			}
			for _, s := range c.setup {
				if _, err := answer(s, "car-01"); err != nil {
					t.Fatal(err)
				}
			}
			d, err := answer(c.answer, c.unitID)
			got := ""
			switch {
			case err == nil:
				got = d.Status
			case fault.IsConflict(err):
				got = "conflict"
			case errors.Is(err, fault.ErrForbidden):
				got = "forbidden"
			case fault.IsNotFound(err):
				got = "not_found"
			default:
				got = "invalid"
			}
			if got != c.want || err != nil && !strings.Contains(err.Error(), c.contains) {
				t.Fatalf("answer %s: %s (%v), want %s %q", c.answer, got, err, c.want, c.contains)
			}
		})
	}
}

// TestAnotherUnitsOrderNotFound: a responder's answer to another unit's
// order fails as one to an order that does not exist, in the same words
// but for the id, so that its answers do not tell which order ids exist.
func TestAnotherUnitsOrderNotFound(t *testing.T) {
	f := newFloor(t)
	id := f.sent("car-01")
	const unknown = "D-19990101-0001"
	for _, tc := range []struct {
		name   string
		answer func(id string) error
	}{
		{"ack", func(id string) error { _, err := f.svc.Ack(bg, responder("car-02"), "car-02", id); return err }},
		{"step", func(id string) error {
			_, err := f.svc.Step(bg, responder("car-02"), "car-02", id, dispatch.EnRoute)
			return err
		}},
	} {
		other, none := tc.answer(id), tc.answer(unknown)
		if !fault.IsNotFound(other) || !fault.IsNotFound(none) || other.Error() != strings.ReplaceAll(none.Error(), unknown, id) {
			t.Errorf("%s of another unit's order: %v; of an unknown order: %v; want both not found, in the same words", tc.name, other, none)
		}
	}
}

// TestExpiryOffersTheNextUnit: an order not acknowledged in time expires
// (its unit available again, an alarm raised) and is offered to the next
// nearest suitable unit not yet tried, once; a late acknowledgement is
// refused.
func TestExpiryOffersTheNextUnit(t *testing.T) {
	f := newFloor(t)
	expired := f.sent("car-01")
	f.clock.Advance(59 * time.Second)
	f.timer.Poll(bg)
	if f.order(expired).Status != dispatch.Offered {
		t.Fatal("expired before its time")
	}
	f.clock.Advance(time.Second)
	f.timer.Poll(bg) // expires it and schedules the re-offer
	f.timer.Poll(bg) // re-offers it
	f.timer.Poll(bg)
	if d := f.order(expired); d.Status != dispatch.Expired || f.fleet.Status("car-01") != unit.Available {
		t.Fatalf("expired order %s, unit %s", d.Status, f.fleet.Status("car-01"))
	}
	a, err := f.st.Alarms().Load(bg, "dispatch.expired:"+expired)
	if err != nil || a.IncidentID != "INC-1" || a.UnitID != "car-01" {
		t.Fatalf("alarm %+v %v", a, err)
	}
	all, _ := f.st.Dispatches().ByIncident(bg, "INC-1")
	// fire-01 is nearer but tried units aside, the fire category takes
	// fire and car units: the nearest untried is fire-01.
	if len(all) != 2 || all[1].UnitID != "fire-01" || all[1].Replaces != expired || all[1].Attempt != 2 {
		t.Fatalf("orders after expiry: %+v", all)
	}
	if _, err := f.svc.Ack(bg, responder("car-01"), "car-01", expired); !fault.IsConflict(err) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("late ack: %v", err)
	}
}

// TestAutoRules: which rules send units, how many, and of which types;
// running the rules again sends nobody more.
func TestAutoRules(t *testing.T) {
	rules := []config.DispatchRule{
		{ID: "fire-serious", Categories: []string{"fire"}, Levels: []alerts.Level{alerts.LevelI, alerts.LevelII}, Units: 2},
		{ID: "flood-any", Categories: []string{"flood"}, Levels: []alerts.Level{alerts.LevelI, alerts.LevelII, alerts.LevelIII, alerts.LevelIV}, Units: 1},
	}
	for _, c := range []struct {
		name     string
		category string
		level    alerts.Level
		want     []string
	}{
		{"fireLevelII", "fire", alerts.LevelII, []string{"fire-01", "car-01"}},
		{"fireLevelIII", "fire", alerts.LevelIII, nil},
		{"floodLevelIV", "flood", alerts.LevelIV, []string{"car-01"}},
		{"other", "crowd", alerts.LevelI, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFloor(t, rules...)
			inc := f.incident("INC-1", c.category, c.level)
			for range 2 {
				if _, err := f.svc.Auto(bg, inc); err != nil {
					t.Fatal(err)
				}
			}
			all, _ := f.st.Dispatches().ByIncident(bg, "INC-1")
			if got := unitsOf(all); !slices.Equal(got, c.want) {
				t.Fatalf("sent %v, want %v", got, c.want)
			}
		})
	}
}

// TestAutoOncePerRuleAcrossInstances: two instances running the same rule
// for the same incident at once send its units once.
func TestAutoOncePerRuleAcrossInstances(t *testing.T) {
	f := newFloor(t, config.DispatchRule{ID: "fire-serious", Categories: []string{"fire"}, Levels: []alerts.Level{alerts.LevelII}, Units: 2})
	inc := f.incident("INC-1", "fire", alerts.LevelII)
	other := f.service(f.newFleet())
	errs := make(chan error, 2)
	for _, svc := range []*dispatch.Service{f.svc, other} {
		go func() { _, err := svc.Auto(bg, inc); errs <- err }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	all, _ := f.st.Dispatches().ByIncident(bg, "INC-1")
	if len(all) != 2 || f.st.Field(change.KindAutoRule, "INC-1", "fire-serious") == "" {
		t.Fatalf("orders %v", unitsOf(all))
	}
}

// TestCancelFreesTheUnit: a cancelled order frees its unit and its timer;
// cancelling it again is a conflict.
func TestCancelFreesTheUnit(t *testing.T) {
	f := newFloor(t)
	id := f.sent("car-02")
	// Told to the responder: a reason that shows nothing, or too long to
	// read, is refused naming reason.
	for _, reason := range []string{"  ", "\u200b", "\u202e\u200b", strings.Repeat("派", dispatch.MaxReason+1)} {
		var bad *fault.Invalid
		if _, err := f.svc.Cancel(bg, operator, id, reason); !errors.As(err, &bad) || bad.Errors[0].Field != "reason" {
			t.Fatalf("cancelled with the reason %.20q: %v", reason, err)
		}
	}
	if d, err := f.svc.Cancel(bg, operator, id, "\u202ewrong unit\u200b"); err != nil || d.Status != dispatch.Cancelled || d.CancelReason != "wrong unit" {
		t.Fatalf("cancel: %+v %v", d, err)
	}
	if f.fleet.Status("car-02") != unit.Available || f.st.Field(change.KindUnitStatus, "", "car-02") != unit.Available {
		t.Fatal("the unit was not freed")
	}
	if _, ok := f.st.Timers().When(timer.Member(dispatch.TimerKind, id)); ok {
		t.Fatal("the timer of a cancelled order was kept")
	}
	if _, err := f.svc.Cancel(bg, operator, id, "again"); !fault.IsConflict(err) {
		t.Fatalf("second cancel: %v", err)
	}
	if _, err := f.svc.Create(bg, operator, "INC-1", []string{"car-02"}, ""); err != nil {
		t.Fatalf("the freed unit cannot be sent again: %v", err)
	}
}

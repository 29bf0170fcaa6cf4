package dispatch_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"watchfloor/command/change"
	"watchfloor/command/dispatch"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/job"
	"watchfloor/command/unit"
	"watchfloor/command/vocab"
	"watchfloor/config"
)

// orders keeps orders in a map and records the changes applied; fail,
// when set, is the error the next Apply returns.
type orders struct {
	docs    map[string]*dispatch.Dispatch
	applied []*change.Change
	fail    error
	n       int64
}

func (o *orders) NextID(context.Context, string) (int64, error)    { o.n++; return o.n, nil }
func (o *orders) Replayed(context.Context, string) (string, error) { return "", nil }
func (o *orders) Load(_ context.Context, id string) (*dispatch.Dispatch, error) {
	d, ok := o.docs[id]
	if !ok {
		return nil, fault.ErrNotFound
	}
	c := *d
	return &c, nil
}
func (o *orders) ByIncident(context.Context, string) ([]*dispatch.Dispatch, error)   { return nil, nil }
func (o *orders) ActiveByUnit(context.Context, string) ([]*dispatch.Dispatch, error) { return nil, nil }
func (o *orders) Active(context.Context) ([]*dispatch.Dispatch, error)               { return nil, nil }
func (o *orders) Apply(_ context.Context, c *change.Change) (change.Result, error) {
	if o.fail != nil {
		return change.Result{}, o.fail
	}
	o.applied = append(o.applied, c)
	for _, d := range c.Docs {
		if v, ok := d.Value.(*dispatch.Dispatch); ok {
			o.docs[v.ID] = v
		}
	}
	return change.Result{}, nil
}

// incidents answers with one open incident.
type incidents struct{}

func (incidents) Load(_ context.Context, id string) (*incident.Incident, error) {
	return &incident.Incident{ID: id, Status: incident.StatusOpen}, nil
}

type harness struct {
	svc   *dispatch.Service
	st    *orders
	fleet *unit.Fleet
	jobs  []job.Job
	steps []string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	cfg := config.Defaults()
	cfg.Location = time.UTC
	cfg.Units = []config.Unit{{ID: "car-01", Callsign: "Car 1"}, {ID: "car-02", Callsign: "Car 2"}}
	fleet, err := unit.NewFleet(cfg.UnitTypes, cfg.Units, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{st: &orders{docs: map[string]*dispatch.Dispatch{}}, fleet: fleet}
	now := func() time.Time { return at }
	h.svc = dispatch.NewService(h.st, incidents{}, fleet, dispatch.Options{Dispatch: cfg.Dispatch, Categories: cfg.Categories, Location: cfg.Location}, now, dispatch.Deps{
		Observe: func(step string, _ time.Duration) { h.steps = append(h.steps, step) },
		RunJobs: func(_ context.Context, js []job.Job) { h.jobs = append(h.jobs, js...) },
	})
	return h
}

var operator = vocab.Actor{Username: "op", Role: vocab.Operator}

// Sending units is one change; the units are dispatched once it is
// applied, and the first order for an open incident hands the runner the
// follow-up that starts the response.
func TestCreateAppliesOneChangeAndRunsTheResponse(t *testing.T) {
	h := newHarness(t)
	ds, err := h.svc.Create(context.Background(), operator, "INC-1", []string{"car-01", "car-02"}, "go")
	if err != nil || len(ds) != 2 {
		t.Fatalf("create: %v %v", ds, err)
	}
	if len(h.st.applied) != 1 || len(h.st.applied[0].Docs) != 2 {
		t.Fatalf("changes applied: %d", len(h.st.applied))
	}
	if h.fleet.Status("car-01") != unit.Dispatched || h.fleet.Status("car-02") != unit.Dispatched {
		t.Fatal("units not dispatched")
	}
	if len(h.jobs) != 1 || h.jobs[0].Kind != dispatch.JobRespond || h.jobs[0].IncidentID != "INC-1" {
		t.Fatalf("jobs run: %+v", h.jobs)
	}
}

// A unit already busy is refused before anything is written; a conflict
// from the store leaves the fleet as it was.
func TestCreateRefusals(t *testing.T) {
	h := newHarness(t)
	h.fleet.SetStatus("car-02", unit.OnScene)
	_, err := h.svc.Create(context.Background(), operator, "INC-1", []string{"car-02"}, "")
	if !fault.IsConflict(err) || !strings.Contains(err.Error(), "not available") || len(h.st.applied) != 0 {
		t.Fatalf("busy unit: %v, %d applied", err, len(h.st.applied))
	}
	h.st.fail = &fault.Conflict{Detail: "unit car-01 is no longer available"}
	if _, err := h.svc.Create(context.Background(), operator, "INC-1", []string{"car-01"}, ""); !fault.IsConflict(err) {
		t.Fatalf("store conflict: %v", err)
	}
	if h.fleet.Status("car-01") != unit.Available || len(h.jobs) != 0 {
		t.Fatalf("after a conflict: %s, jobs %v", h.fleet.Status("car-01"), h.jobs)
	}
}

// A request naming too many units is refused in one error, not one for
// each entry it names (an answer far larger than the request); a note is
// cleaned of what would reorder or hide its text.
func TestCreateInput(t *testing.T) {
	h := newHarness(t)
	many := make([]string, 5000)
	for i := range many {
		many[i] = fmt.Sprintf("nope-%d", i)
	}
	var bad *fault.Invalid
	if _, err := h.svc.Create(context.Background(), operator, "INC-1", many, ""); !errors.As(err, &bad) || len(bad.Errors) != 1 || bad.Errors[0].Field != "unit_ids" {
		t.Fatalf("5000 unknown units: %.300v", err)
	}
	ds, err := h.svc.Create(context.Background(), operator, "INC-1", []string{"car-01"}, "\u202e速到\u200b现场 ")
	if err != nil || ds[0].Note != "速到现场" {
		t.Fatalf("note %q: %v", ds[0].Note, err)
	}
}

// Acknowledging is guarded by the order's status and tells the metrics how
// long it took; a repeat changes nothing.
func TestAckObservesOnce(t *testing.T) {
	h := newHarness(t)
	ds, err := h.svc.Create(context.Background(), operator, "INC-1", []string{"car-01"}, "")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := h.svc.Ack(context.Background(), vocab.Actor{Username: "car-01", Role: vocab.Responder}, "car-01", ds[0].ID); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(h.steps, []string{"ack"}) || len(h.st.applied) != 2 || h.st.applied[1].Guards[0].Allowed[0] != dispatch.Offered {
		t.Fatalf("steps %v, %d applied", h.steps, len(h.st.applied))
	}
}

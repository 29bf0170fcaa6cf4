package effect

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"watchfloor/alerts"
	"watchfloor/command/dispatch"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/job"
	"watchfloor/command/plan"
	"watchfloor/command/vocab"
)

type fakes struct {
	inc            *incident.Incident
	proposeErr     error
	autoErr        error
	proposed, auto int
	setErr         error
	set            []string
	withdrawErr    error
	withdrawn      []string
}

func (f *fakes) Load(_ context.Context, id string) (*incident.Incident, error) {
	if f.inc == nil || f.inc.ID != id {
		return nil, fault.ErrNotFound
	}
	return f.inc, nil
}
func (f *fakes) Propose(context.Context, *incident.Incident) ([]*plan.Activation, error) {
	f.proposed++
	return nil, f.proposeErr
}
func (f *fakes) Withdraw(_ context.Context, inc *incident.Incident) ([]*plan.Activation, error) {
	f.withdrawn = append(f.withdrawn, inc.ID+":"+inc.Status)
	return nil, f.withdrawErr
}
func (f *fakes) Auto(context.Context, *incident.Incident) ([]*dispatch.Dispatch, error) {
	f.auto++
	return nil, f.autoErr
}

func changed(id string) job.Job {
	data, _ := json.Marshal(incident.Changed{IncidentID: id, Level: alerts.LevelII})
	return job.Job{ID: "1-0", Kind: incident.JobChanged, Key: id + "@II", IncidentID: id, Data: data}
}

func TestEffectProposesThenDispatches(t *testing.T) {
	f := &fakes{inc: &incident.Incident{ID: "INC-1", Status: incident.StatusOpen, Level: alerts.LevelII}}
	e := &Followup{Incidents: f, Plans: f, Dispatch: f}
	if err := e.Changed(context.Background(), changed("INC-1")); err != nil || f.proposed != 1 || f.auto != 1 {
		t.Fatalf("err %v, proposed %d, auto %d", err, f.proposed, f.auto)
	}
}

// A failing step does not stop the other, and its error is returned (so
// the job is retried), never swallowed.
func TestEffectReturnsEveryError(t *testing.T) {
	f := &fakes{inc: &incident.Incident{ID: "INC-1", Status: incident.StatusOpen}, proposeErr: errors.New("plans down"), autoErr: errors.New("dispatch down")}
	e := &Followup{Incidents: f, Plans: f, Dispatch: f}
	err := e.Changed(context.Background(), changed("INC-1"))
	if err == nil || !strings.Contains(err.Error(), "plans down") || !strings.Contains(err.Error(), "dispatch down") || f.auto != 1 {
		t.Fatalf("err %v, auto %d", err, f.auto)
	}
}

// Nothing to do for a closed or missing incident; bad data is an error.
func TestEffectMootOrBad(t *testing.T) {
	f := &fakes{inc: &incident.Incident{ID: "INC-1", Status: incident.StatusClosed}}
	e := &Followup{Incidents: f, Plans: f, Dispatch: f}
	if err := e.Changed(context.Background(), changed("INC-1")); err != nil || f.proposed+f.auto != 0 {
		t.Fatalf("closed: %v %d %d", err, f.proposed, f.auto)
	}
	if err := e.Changed(context.Background(), changed("INC-2")); err != nil {
		t.Fatalf("missing: %v", err)
	}
	if err := e.Changed(context.Background(), job.Job{ID: "1-0", Data: []byte("{")}); err == nil {
		t.Fatal("bad data accepted")
	}
}

// SetStatus records the statuses set, or fails with setErr.
func (f *fakes) SetStatus(_ context.Context, who vocab.Actor, id, status, _ string) (*incident.Incident, error) {
	if f.setErr != nil {
		return nil, f.setErr
	}
	f.set = append(f.set, who.Username+":"+id+":"+status)
	return f.inc, nil
}

func respondJob(id string) job.Job {
	return job.Job{ID: "1-0", Kind: dispatch.JobRespond, Key: id, IncidentID: id}
}

// The first order starts the response of an open incident, once: an
// incident already responding, closed or gone needs nothing.
func TestRespondSetsOpenIncidentResponding(t *testing.T) {
	cases := []struct {
		name   string
		status string
		id     string
		want   []string
	}{
		{"open", incident.StatusOpen, "INC-1", []string{"system:INC-1:" + incident.StatusResponding}},
		{"responding", incident.StatusResponding, "INC-1", nil},
		{"closed", incident.StatusClosed, "INC-1", nil},
		{"missing", incident.StatusOpen, "INC-2", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fakes{inc: &incident.Incident{ID: "INC-1", Status: c.status}}
			e := &Followup{Incidents: f, Plans: f, Dispatch: f}
			if err := e.Respond(context.Background(), respondJob(c.id)); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(f.set, c.want) {
				t.Fatalf("statuses set %v, want %v", f.set, c.want)
			}
		})
	}
}

// A conflict means the incident moved on meanwhile (nothing to do); any
// other failure is returned so the job is retried, never swallowed.
func TestRespondReturnsFailures(t *testing.T) {
	f := &fakes{inc: &incident.Incident{ID: "INC-1", Status: incident.StatusOpen}, setErr: &fault.Conflict{Detail: "moved"}}
	e := &Followup{Incidents: f, Plans: f, Dispatch: f}
	if err := e.Respond(context.Background(), respondJob("INC-1")); err != nil {
		t.Fatalf("conflict: %v", err)
	}
	f.setErr = errors.New("redis down")
	if err := e.Respond(context.Background(), respondJob("INC-1")); err == nil || !strings.Contains(err.Error(), "redis down") {
		t.Fatalf("failure: %v", err)
	}
}

func closedJob(id string, held *incident.Incident) job.Job {
	data, _ := json.Marshal(incident.Changed{IncidentID: id, Level: alerts.LevelII})
	j := job.Job{ID: "1-0", Kind: incident.JobClosed, Key: id + "@closed@3", IncidentID: id, Data: data}
	if held != nil {
		j.Local = &incident.Held{Incident: held}
	}
	return j
}

// A close withdraws the plans still proposed, of the incident as this
// instance saved it or as it stands now; an incident reopened meanwhile or
// gone keeps them; a failure is returned so the job is retried; bad data
// is an error.
func TestClosedWithdrawsProposals(t *testing.T) {
	closed := &incident.Incident{ID: "INC-1", Status: incident.StatusClosed, Version: 3}
	reopened := &incident.Incident{ID: "INC-1", Status: incident.StatusResponding, Version: 4}
	cases := []struct {
		name   string
		stored *incident.Incident
		held   *incident.Incident
		id     string
		want   []string
	}{
		{"held", reopened, closed, "INC-1", []string{"INC-1:closed"}},
		{"read", closed, nil, "INC-1", []string{"INC-1:closed"}},
		{"reopened", reopened, nil, "INC-1", nil},
		{"gone", closed, nil, "INC-2", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fakes{inc: c.stored}
			e := &Followup{Incidents: f, Plans: f, Dispatch: f}
			if err := e.Closed(context.Background(), closedJob(c.id, c.held)); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(f.withdrawn, c.want) || f.proposed+f.auto != 0 {
				t.Fatalf("withdrawn %v, want %v (proposed %d, auto %d)", f.withdrawn, c.want, f.proposed, f.auto)
			}
		})
	}
	f := &fakes{inc: closed, withdrawErr: errors.New("plans down")}
	e := &Followup{Incidents: f, Plans: f, Dispatch: f}
	if err := e.Closed(context.Background(), closedJob("INC-1", nil)); err == nil || !strings.Contains(err.Error(), "plans down") {
		t.Fatalf("failure: %v", err)
	}
	if err := e.Closed(context.Background(), job.Job{ID: "1-0", Kind: incident.JobClosed, Data: []byte("{")}); err == nil {
		t.Fatal("bad data accepted")
	}
}

// Package effect is what an incident change sets off, in one place: when an
// incident is created or its level rises, the plans it reaches are proposed
// and the automatic dispatch rules send their units (whose first order
// starts the response, a follow-up of its own); when it is closed, the plans
// still proposed for it are withdrawn. It runs as the handler of
// the incident.changed job recorded with the change, so it happens at least
// once whichever instance is alive. The first order for an open incident
// records a follow-up too, which sets the incident responding (Respond).
// Every step is idempotent, so it may run more than once.
package effect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"watchfloor/command/dispatch"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/job"
	"watchfloor/command/plan"
	"watchfloor/command/vocab"
)

// Incidents is what the follow-up needs of incidents: to read one, and to
// set its status when its first order starts the response.
type Incidents interface {
	Load(ctx context.Context, id string) (*incident.Incident, error)
	SetStatus(ctx context.Context, who vocab.Actor, id, status, reason string) (*incident.Incident, error)
}

// Plans proposes plans (once per incident, plan and level), and withdraws
// those still proposed when their incident closes.
type Plans interface {
	Propose(ctx context.Context, inc *incident.Incident) ([]*plan.Activation, error)
	Withdraw(ctx context.Context, inc *incident.Incident) ([]*plan.Activation, error)
}

// Dispatch sends units by rule (once per incident and rule).
type Dispatch interface {
	Auto(ctx context.Context, inc *incident.Incident) ([]*dispatch.Dispatch, error)
}

// Followup carries out the follow-up of an incident change.
type Followup struct {
	Incidents Incidents
	Plans     Plans
	Dispatch  Dispatch
}

// Register registers the handlers of the follow-up jobs with r: the
// incident change and the response started by a first order.
func Register(r *job.Runner, f *Followup) {
	r.Handle(incident.JobChanged, f.Changed)
	r.Handle(incident.JobClosed, f.Closed)
	r.Handle(dispatch.JobRespond, f.Respond)
}

// Changed is the handler of incident.changed: it acts on the incident as
// it stands now, or as this instance has just saved it when run at once
// (a later change is covered by its own job). Both steps
// run even when the first fails, and every error is returned, so the job
// is retried until both are done.
func (f *Followup) Changed(ctx context.Context, j job.Job) error {
	inc, held, err := f.incident(ctx, j)
	if err != nil || inc == nil || inc.Status == incident.StatusClosed {
		return err
	}
	var errs []error
	if _, err := f.Plans.Propose(ctx, inc); err != nil {
		errs = append(errs, fmt.Errorf("proposing plans for %s: %w", inc.ID, err))
	}
	sent, err := f.Dispatch.Auto(ctx, inc)
	if err != nil {
		errs = append(errs, fmt.Errorf("automatic dispatch for %s: %w", inc.ID, err))
	}
	if held != nil && len(sent) > 0 {
		held.Moved = true
	}
	return errors.Join(errs...)
}

// incident is the incident of job j (its data an incident.Changed) as
// this instance has just saved it (held, when j runs where it was
// recorded), or as it stands now; nil when it is gone.
func (f *Followup) incident(ctx context.Context, j job.Job) (*incident.Incident, *incident.Held, error) {
	var d incident.Changed
	if err := json.Unmarshal(j.Data, &d); err != nil || d.IncidentID == "" {
		return nil, nil, fmt.Errorf("job %s: bad data %q: %v", j.ID, j.Data, err)
	}
	held, _ := j.Local.(*incident.Held)
	if held != nil && held.Incident != nil && held.Incident.ID == d.IncidentID {
		return held.Incident, held, nil // just saved by this instance: no need to read it back
	}
	inc, err := f.Incidents.Load(ctx, d.IncidentID)
	if fault.IsNotFound(err) {
		return nil, held, nil
	}
	return inc, held, err
}

// Closed is the handler of incident.closed: the plans still proposed for
// the incident are withdrawn while it is still closed (a reopened incident
// keeps them). Withdraw is idempotent, so the job may run more than once.
func (f *Followup) Closed(ctx context.Context, j job.Job) error {
	inc, _, err := f.incident(ctx, j)
	if err != nil || inc == nil || inc.Status != incident.StatusClosed {
		return err
	}
	if _, err := f.Plans.Withdraw(ctx, inc); err != nil {
		return fmt.Errorf("withdrawing the plans proposed for %s: %w", inc.ID, err)
	}
	return nil
}

// system is who moves an incident when its first order starts the response.
var system = vocab.Actor{Username: "system", Role: vocab.System}

// Respond is the handler of dispatch.JobRespond: an incident still open
// moves to responding (接警 → 启动). It is idempotent: an incident already
// moved on, meanwhile or before, or gone, needs nothing; any other error is
// returned, so the job is retried.
func (f *Followup) Respond(ctx context.Context, j job.Job) error {
	inc, err := f.Incidents.Load(ctx, j.IncidentID)
	if fault.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("loading incident %s to start its response: %w", j.IncidentID, err)
	}
	if inc.Status != incident.StatusOpen {
		return nil
	}
	_, err = f.Incidents.SetStatus(ctx, system, inc.ID, incident.StatusResponding, "")
	if fault.IsConflict(err) {
		return nil // moved on meanwhile
	}
	if err != nil {
		return fmt.Errorf("starting the response to %s: %w", inc.ID, err)
	}
	return nil
}

package gridcase

import (
	"context"
	"fmt"
	"slices"
	"time"

	"watchfloor/alerts"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/vocab"
)

// RaiseInput is what raising a case into an incident asks for.
type RaiseInput struct {
	Category    string  `json:"category"`
	Title       string  `json:"title"`
	Level       *string `json:"level"`
	Description *string `json:"description"`
}

// Incidents is what raising a case needs of the incident service.
type Incidents interface {
	Create(ctx context.Context, who vocab.Actor, in *incident.Input, idem *vocab.Idempotency) (*incident.Incident, bool, error)
	Get(ctx context.Context, id string) (*incident.Incident, []incident.Entry, error)
	SetLevel(ctx context.Context, who vocab.Actor, id string, level alerts.Level, reason string) (*incident.Incident, error)
}

// Raise turns a case that grew (many people gathering, say) into an
// incident made from its facts and place, graded and followed up as any
// new incident, and links the two both ways. It is idempotent: a case
// already raised answers its incident (created false). The incident is
// created under an idempotency key of the case, so a raise interrupted
// between the incident and the link is completed by the next one.
func (s *Service) Raise(ctx context.Context, who Actor, id string, r *RaiseInput, incs Incidents, ttl time.Duration) (*incident.Incident, bool, error) {
	c, err := s.load(ctx, who, id)
	if err != nil {
		return nil, false, err
	}
	if c.IncidentID != "" {
		inc, _, err := incs.Get(ctx, c.IncidentID)
		return inc, false, err
	}
	bad := &fault.Invalid{}
	if !slices.ContainsFunc(s.opts.Categories, func(cat alerts.Category) bool { return cat.ID == r.Category }) {
		bad.Add("category", "unknown incident category %q", r.Category)
	}
	title := incident.CleanText(r.Title, false)
	if !incident.Visible(title) || len([]rune(title)) > 200 {
		bad.Add("title", "required: visible characters, at most 200")
	}
	desc := c.Description
	if r.Description != nil {
		desc = incident.CleanText(*r.Description, true)
		if len([]rune(desc)) > 4000 {
			bad.Add("description", "at most 4000 characters")
		}
	}
	var level alerts.Level
	if r.Level != nil {
		l, err := alerts.ParseLevel(*r.Level)
		switch {
		case err != nil:
			bad.Add("level", "must be I, II, III or IV")
		case who.Role != vocab.Leader && who.Role != vocab.Admin:
			bad.Add("level", "only a leader sets the level: leave it out to take the level the rules give")
		default:
			level = l
		}
	}
	if err := bad.Err(); err != nil {
		return nil, false, err
	}
	source, drill, people := "grid_officer", c.Drill, c.People
	loc := c.Location
	in := &incident.Input{Category: &r.Category, Title: &title, Description: &desc, Location: &loc, Source: &source,
		Reporter: c.Reporter, PeopleInvolved: &people, Drill: &drill, CaseID: c.ID}
	if c.Result != "" {
		in.MeasuresTaken = &c.Result
	}
	actor := vocab.Actor{Username: who.Username, Role: who.Role}
	idem := &vocab.Idempotency{Key: "case-raise:" + c.ID, Fingerprint: "case:" + c.ID, TTL: ttl}
	inc, replayed, err := incs.Create(ctx, actor, in, idem)
	if err != nil {
		return nil, false, fmt.Errorf("raising case %s: %w", id, err)
	}
	linked, err := s.link(ctx, who, id, inc.ID)
	if err != nil {
		return nil, false, err
	}
	if linked != inc.ID { // another raise won the race: answer its incident
		inc, _, err = incs.Get(ctx, linked)
		return inc, false, err
	}
	// The level a leader asked for is set after the create; a retry (which
	// replays the create) sets it when an earlier attempt could not, unless
	// a person has decided the level since.
	if level != 0 && level != inc.Level && inc.LevelDecision == nil {
		set, err := incs.SetLevel(ctx, actor, inc.ID, level, "raised from case "+c.ID)
		if err != nil {
			return nil, false, fmt.Errorf("raising case %s: setting level %s: %w", id, level, err)
		}
		inc = set
	}
	return inc, !replayed, nil
}

// link records the incident a case was raised into, with a timeline entry;
// it returns the incident the case is linked to, which may be an earlier one.
func (s *Service) link(ctx context.Context, who Actor, id, incidentID string) (string, error) {
	for attempt := 0; ; attempt++ {
		prev, err := s.store.Load(ctx, id)
		if err != nil {
			return "", err
		}
		if prev.IncidentID != "" {
			return prev.IncidentID, nil
		}
		c := *prev
		now := s.now().UTC()
		c.IncidentID, c.UpdatedAt, c.Version = incidentID, now, prev.Version+1
		_, err = s.save(ctx, &Write{Case: &c, Prev: prev, Event: "case.updated",
			Entries: []Entry{{At: now, Action: "raise", By: who.Username, Role: who.Role, Status: c.Status, Detail: map[string]any{"incident_id": incidentID}}}})
		if fault.IsConflict(err) && attempt < 5 {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("linking case %s to incident %s: %w", id, incidentID, err)
		}
		return incidentID, nil
	}
}

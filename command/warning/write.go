package warning

import (
	"context"
	"slices"
	"strconv"
	"time"

	"watchfloor/command/audit"
	"watchfloor/command/change"
	"watchfloor/command/timer"
	"watchfloor/command/vocab"
	"watchfloor/config"
)

// write is one atomic change of a warning.
type write struct {
	w, prev *Warning
	event   string
	// expiry schedules (or moves) the expiry timer; cancel drops it.
	expiry *time.Time
	cancel bool
	idem   *vocab.Idempotency
}

// StandByEvent is the data of warning.standby on a unit's stream: the unit
// is on call (or no longer) for a plan's group because of a warning.
type StandByEvent struct {
	Warning   Summary     `json:"warning"`
	PlanID    string      `json:"plan_id"`
	PlanName  config.Text `json:"plan_name"`
	GroupID   string      `json:"group_id"`
	GroupName config.Text `json:"group_name"`
	OnCall    bool        `json:"on_call"`
}

// Summary is a warning as a unit on stand-by is told of it: what a phone
// shows, without the polygon, the history or the stand-by of every unit.
// Its fields are the Warning's, under the same names.
type Summary struct {
	ID       string      `json:"id"`
	Type     string      `json:"type"`
	Colour   Colour      `json:"colour"`
	Title    string      `json:"title"`
	StartsAt time.Time   `json:"starts_at"`
	EndsAt   time.Time   `json:"ends_at"`
	Status   string      `json:"status"`
	Version  int64       `json:"version"`
	Drill    bool        `json:"drill,omitempty"`
	Area     AreaSummary `json:"area"`
}

// AreaSummary is an area's kind and the names it covers.
type AreaSummary struct {
	Kind  string `json:"kind"`
	Names []Name `json:"names,omitempty"`
}

// Summarize is w's summary.
func (w *Warning) Summarize() Summary {
	return Summary{ID: w.ID, Type: w.Type, Colour: w.Colour, Title: w.Title, StartsAt: w.StartsAt, EndsAt: w.EndsAt,
		Status: w.Status, Version: w.Version, Drill: w.Drill, Area: AreaSummary{Kind: w.Area.Kind, Names: w.Area.Names}}
}

// change is what wr changes: the warning guarded by its version (and, when
// issued, by its request's idempotency key), its audit record, its event to
// the screens and leaders, each unit's stand-by beginning or ending on the
// unit's stream, and its expiry timer.
func (wr *write) change() *change.Change {
	w := wr.w
	ch := &change.Change{At: w.UpdatedAt}
	want := ""
	var prev any
	var before []StandBy
	if wr.prev != nil {
		want, prev, before = strconv.FormatInt(wr.prev.Version, 10), wr.prev, wr.prev.StandBy
	}
	ch.Guards = []change.Guard{{Kind: Kind, ID: w.ID, Field: "ver", Allowed: []string{want}, Why: "warning " + w.ID + " changed meanwhile"}}
	if wr.idem != nil {
		ch.Idem = change.IdemOf(wr.idem, w.ID)
	}
	ch.Docs = []change.Doc{{Kind: Kind, ID: w.ID, Value: w, Prev: prev,
		Fields: map[string]string{"ver": strconv.FormatInt(w.Version, 10), "status": w.Status}}}
	step := w.History[len(w.History)-1]
	ch.Audit = []audit.Record{{At: step.At, Who: step.By, Role: step.Role, Action: "warning." + step.Action, Object: w.ID, Reason: step.Reason,
		Detail: map[string]any{"colour": w.Colour, "from": step.From, "to": step.To, "version": w.Version}}}
	ch.Emit(wr.event, w, vocab.ScreenStream, vocab.LeaderStream)
	sum := w.Summarize()
	for _, c := range calls(before, w.StandBy) {
		ch.Events = append(ch.Events, vocab.Event{Stream: vocab.UnitStream(c.unit), Type: vocab.WarningStandBy, Notify: true,
			Data: StandByEvent{Warning: sum, PlanID: c.plan.PlanID, PlanName: c.plan.PlanName, GroupID: c.group.ID, GroupName: c.group.Name, OnCall: c.on}})
	}
	if wr.expiry != nil {
		ch.Timers = append(ch.Timers, change.Timer{Member: timer.Member(ExpiryKind, w.ID), Due: *wr.expiry})
	}
	if wr.cancel {
		ch.Cancel(timer.Member(ExpiryKind, w.ID))
	}
	return ch
}

// save carries out wr and tells the index; dup is what the first request
// stored under wr's idempotency key when this one is a repeat.
func (s *Service) save(ctx context.Context, wr *write) (dup string, err error) {
	res, err := s.store.Apply(ctx, wr.change())
	if err != nil {
		return "", err
	}
	if res.Duplicate == "" && s.opts.Index != nil {
		s.opts.Index.Put(wr.w)
	}
	return res.Duplicate, nil
}

// call is one unit's stand-by for a plan's group beginning (on) or ending.
type call struct {
	unit  string
	plan  StandBy
	group Group
	on    bool
}

// calls are the units whose stand-by begins (in now, not in before) or
// ends (in before, not in now), per plan and group.
func calls(before, now []StandBy) []call {
	var out []call
	diff := func(a, b []StandBy, on bool) {
		in := onCall(b)
		for _, sb := range a {
			for _, g := range sb.Groups {
				for _, u := range g.Units {
					if _, ok := in[member{sb.PlanID, g.ID, u}]; !ok {
						out = append(out, call{unit: u, plan: sb, group: g, on: on})
					}
				}
			}
		}
	}
	diff(now, before, true)
	diff(before, now, false)
	return out
}

// member is a unit in a plan's group.
type member struct{ plan, group, unit string }

// onCall is the set of units on stand-by in sbs, by plan and group: a set,
// so that comparing a group of thousands before and after stays linear.
func onCall(sbs []StandBy) map[member]struct{} {
	n := 0
	for _, sb := range sbs {
		for _, g := range sb.Groups {
			n += len(g.Units)
		}
	}
	in := make(map[member]struct{}, n)
	for _, sb := range sbs {
		for _, g := range sb.Groups {
			for _, u := range g.Units {
				in[member{sb.PlanID, g.ID, u}] = struct{}{}
			}
		}
	}
	return in
}

// standBy are the plans a warning of typ at colour puts on stand-by: those
// on stand-by already keep their entry (and since); the others join now
// with their groups' units.
func (s *Service) standBy(typ string, colour Colour, prev []StandBy, now time.Time) []StandBy {
	out := []StandBy{}
	for _, p := range s.opts.Plans {
		if !Triggers(p, typ, colour) {
			continue
		}
		kept := false
		for _, sb := range prev {
			if sb.PlanID == p.ID {
				out, kept = append(out, sb), true
			}
		}
		if kept {
			continue
		}
		sb := StandBy{PlanID: p.ID, PlanName: p.Name, Since: now, Groups: []Group{}}
		for _, g := range p.Groups {
			sb.Groups = append(sb.Groups, Group{ID: g.ID, Name: g.Name, Units: GroupUnits(g, s.opts.Members)})
		}
		out = append(out, sb)
	}
	return out
}

// Triggers reports whether plan p is put on stand-by by a warning of typ
// at colour: one of its triggers names typ at colour or below.
func Triggers(p config.Plan, typ string, colour Colour) bool {
	for _, t := range p.Warnings {
		if slices.Contains(t.Types, typ) && colour.Rank() >= Colour(t.MinColour).Rank() && Colour(t.MinColour).Valid() {
			return true
		}
	}
	return false
}

// GroupUnits are the units of a plan's working group g, those named then
// the members of its teams (members may be nil), each once; never nil.
func GroupUnits(g config.Group, members func(teams []string) []string) []string {
	var teams []string
	if members != nil && len(g.Teams) > 0 {
		teams = members(g.Teams)
	}
	units := make([]string, 0, len(g.Units)+len(teams))
	seen := make(map[string]struct{}, len(g.Units)+len(teams))
	for _, list := range [][]string{g.Units, teams} {
		for _, u := range list {
			if _, dup := seen[u]; !dup {
				seen[u] = struct{}{}
				units = append(units, u)
			}
		}
	}
	return units
}

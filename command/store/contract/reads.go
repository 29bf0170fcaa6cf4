package contract

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"watchfloor/alerts"
	"watchfloor/command/alarm"
	"watchfloor/command/change"
	"watchfloor/command/incident"
	"watchfloor/command/vocab"
	"watchfloor/geo"
)

// incidentIDs joins the ids of incidents.
func incidentIDs(incs []*incident.Incident) string {
	ids := make([]string, len(incs))
	for i, inc := range incs {
		ids[i] = inc.ID
	}
	return strings.Join(ids, ",")
}

// incidentReads: incidents written as documents are loaded by id and
// listed by status, level, category, grid and time of their last change,
// newest first; a change of status moves one between the lists.
func incidentReads(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	grid := func(codes ...string) *geo.GridRef {
		g := &geo.GridRef{Code: codes[len(codes)-1]}
		for _, c := range codes {
			g.Path = append(g.Path, geo.Ref{Code: c})
		}
		return g
	}
	mk := func(id, status, category string, level alerts.Level, g *geo.GridRef, at time.Duration) *incident.Incident {
		return &incident.Incident{ID: id, Status: status, Category: category, Level: level, Grid: g, CreatedAt: t0, UpdatedAt: t0.Add(at)}
	}
	incs := []*incident.Incident{
		mk("I-1", incident.StatusOpen, "fire", alerts.LevelII, grid("44", "4403"), 0),
		mk("I-2", incident.StatusOpen, "flood", alerts.LevelIV, grid("44", "4404"), time.Minute),
		mk("I-3", incident.StatusResponding, "fire", alerts.LevelIV, grid("44", "4403"), 2*time.Minute),
		mk("I-4", incident.StatusOpen, "fire", alerts.LevelII, nil, 2*time.Minute),
	}
	c := &change.Change{At: t0}
	for _, inc := range incs {
		c.Docs = append(c.Docs, change.Doc{Kind: change.KindIncident, ID: inc.ID, Value: inc, Fields: map[string]string{"ver": "1"}})
	}
	apply(t, st, c)
	prev := *incs[0]
	moved := prev
	moved.Status, moved.UpdatedAt = incident.StatusClosed, t0.Add(3*time.Minute)
	apply(t, st, &change.Change{At: t0, Docs: []change.Doc{{Kind: change.KindIncident, ID: "I-1", Value: &moved, Prev: &prev, Fields: map[string]string{"ver": "2"}}}})
	for _, c := range []struct {
		name string
		q    incident.Query
		want string
	}{
		{"all", incident.Query{Limit: 10}, "I-1,I-4,I-3,I-2"},
		{"limit", incident.Query{Limit: 2}, "I-1,I-4"},
		{"open", incident.Query{Status: incident.StatusOpen, Limit: 10}, "I-4,I-2"},
		{"closed", incident.Query{Status: incident.StatusClosed, Limit: 10}, "I-1"},
		{"fire", incident.Query{Category: "fire", Limit: 10}, "I-1,I-4,I-3"},
		{"levelIV", incident.Query{Level: alerts.LevelIV, Limit: 10}, "I-3,I-2"},
		{"grid", incident.Query{Grid: "4403", Limit: 10}, "I-1,I-3"},
		{"parentGrid", incident.Query{Grid: "44", Status: incident.StatusOpen, Limit: 10}, "I-2"},
		{"since", incident.Query{Since: t0.Add(2 * time.Minute), Limit: 10}, "I-1,I-4,I-3"},
	} {
		got, err := st.Incidents.List(ctx, c.q)
		if err != nil || incidentIDs(got) != c.want {
			t.Errorf("%s: %s %v, want %s", c.name, incidentIDs(got), err, c.want)
		}
	}
	if got, err := st.Incidents.Load(ctx, "I-1"); err != nil || got.Status != incident.StatusClosed || got.Grid.Code != "4403" {
		t.Fatalf("load: %+v %v", got, err)
	}
	// The incidents not closed, most serious first, then latest changed,
	// then highest id; the total counts them all.
	ranked := func(name string, limit int, want string, wantTotal int) {
		t.Helper()
		got, total, err := st.Incidents.Open(ctx, limit)
		if err != nil || incidentIDs(got) != want || total != wantTotal {
			t.Errorf("open %s: %s of %d %v, want %s of %d", name, incidentIDs(got), total, err, want, wantTotal)
		}
	}
	ranked("all", 10, "I-4,I-3,I-2", 3)
	ranked("limit", 2, "I-4,I-3", 3)
	ranked("none", 0, "", 3)
	moveIncident(t, st, "I-2", func(inc *incident.Incident) { inc.Level = alerts.LevelI }) // raised, not changed later
	ranked("raised", 10, "I-2,I-4,I-3", 3)
	moveIncident(t, st, "I-4", func(inc *incident.Incident) { inc.Status, inc.UpdatedAt = incident.StatusClosed, t0.Add(4*time.Minute) })
	ranked("closed", 10, "I-2,I-3", 2)
	moveIncident(t, st, "I-4", func(inc *incident.Incident) { inc.Status = incident.StatusRecovery }) // reopened
	ranked("reopened", 10, "I-2,I-4,I-3", 3)
}

// incidentsDue: the incidents not closed with a reporting deadline pending
// or overdue, the earliest such deadline first (to the millisecond, then
// the id), as many as asked, with how many; they follow each deadline
// sent or added, each close and reopening.
func incidentsDue(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	if _, _, err := st.Incidents.Due(ctx, 10); err != nil { // kept from here on as incidents change
		t.Fatal(err)
	}
	dl := func(kind, status string, due time.Duration) incident.Deadline {
		return incident.Deadline{ID: kind, Kind: kind, Status: status, DueAt: t0.Add(due)}
	}
	mk := func(id, status string, ds ...incident.Deadline) *incident.Incident {
		return &incident.Incident{ID: id, Status: status, Category: "fire", Level: alerts.LevelIV, CreatedAt: t0, UpdatedAt: t0, Deadlines: ds}
	}
	c := &change.Change{At: t0}
	for _, inc := range []*incident.Incident{
		mk("D-1", incident.StatusOpen, dl("report_higher", "pending", time.Hour), dl("detailed_report", "sent", 10*time.Minute)),
		mk("D-2", incident.StatusResponding, dl("report_higher", "overdue", 30*time.Minute+400*time.Microsecond)),
		mk("D-3", incident.StatusOpen),
		mk("D-4", incident.StatusOpen, dl("report_higher", "pending", 30*time.Minute)),
		mk("D-5", incident.StatusClosed, dl("report_higher", "pending", 5*time.Minute)),
		mk("D-6", incident.StatusRecovery, dl("report_higher", "sent", time.Minute)),
	} {
		c.Docs = append(c.Docs, change.Doc{Kind: change.KindIncident, ID: inc.ID, Value: inc, Fields: map[string]string{"ver": "1"}})
	}
	apply(t, st, c)
	due := func(name string, limit int, want string, wantTotal int) {
		t.Helper()
		got, total, err := st.Incidents.Due(ctx, limit)
		if err != nil || incidentIDs(got) != want || total != wantTotal {
			t.Errorf("due %s: %s of %d %v, want %s of %d", name, incidentIDs(got), total, err, want, wantTotal)
		}
	}
	due("all", 10, "D-2,D-4,D-1", 3)
	due("limit", 1, "D-2", 3)
	due("none", 0, "", 3)
	moveIncident(t, st, "D-1", func(inc *incident.Incident) {
		inc.Deadlines = []incident.Deadline{dl("report_higher", "sent", time.Hour)}
	})
	due("sent", 10, "D-2,D-4", 2)
	moveIncident(t, st, "D-4", func(inc *incident.Incident) { inc.Status = incident.StatusClosed })
	due("closed", 10, "D-2", 1)
	moveIncident(t, st, "D-4", func(inc *incident.Incident) {
		inc.Status = incident.StatusRecovery
		inc.Deadlines = append(inc.Deadlines, dl("report_district", "pending", time.Minute)) // reopened, raised
	})
	due("reopened and raised", 10, "D-4,D-2", 2)
}

// alarmReads: alarms raised are listed newest first, open ones until
// they are acknowledged.
func alarmReads(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	c := &change.Change{At: t0}
	for i, id := range []string{"a", "b", "c"} {
		c.Raise(&alarm.Alarm{ID: id, Kind: alarm.OrderExpired, RaisedAt: t0.Add(time.Duration(i) * time.Minute)})
	}
	apply(t, st, c)
	a, err := st.Alarms.Load(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Hour)
	a.AckedBy, a.AckedAt = "alice", &at
	if err := st.Alarms.Ack(ctx, a, vocab.Operator); err != nil {
		t.Fatal(err)
	}
	if err := st.Alarms.Ack(ctx, a, vocab.Operator); err == nil {
		t.Fatal("a second acknowledgement went through")
	}
	for _, c := range []struct {
		open  bool
		limit int
		want  string
	}{{true, 10, "c,a"}, {false, 10, "c,b,a"}, {false, 2, "c,b"}} {
		as, err := st.Alarms.List(ctx, c.open, c.limit)
		ids := make([]string, len(as))
		for i, a := range as {
			ids[i] = a.ID
		}
		if err != nil || strings.Join(ids, ",") != c.want {
			t.Errorf("list open=%v limit %d: %v %v, want %s", c.open, c.limit, ids, err, c.want)
		}
	}
}

// incidentsNear: the incidents not closed of one category within a radius
// of a point, nearest first; a change of category, location or status moves
// an incident in or out.
func incidentsNear(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	at := func(dLon float64) *vocab.Location { return &vocab.Location{Lon: 114.06 + dLon, Lat: 22.54} } // 0.001° ≈ 103 m there
	mk := func(id, category string, l *vocab.Location) *incident.Incident {
		return &incident.Incident{ID: id, Status: incident.StatusOpen, Category: category, Level: alerts.LevelIV, Location: l, CreatedAt: t0, UpdatedAt: t0}
	}
	c := &change.Change{At: t0}
	for _, inc := range []*incident.Incident{mk("N-1", "fire", at(0.002)), mk("N-2", "fire", at(0)), mk("N-3", "fire", at(0.004)),
		mk("N-4", "flood", at(0)), mk("N-5", "fire", nil), mk("N-6", "fire", at(0.001))} {
		c.Docs = append(c.Docs, change.Doc{Kind: change.KindIncident, ID: inc.ID, Value: inc, Fields: map[string]string{"ver": "1"}})
	}
	apply(t, st, c)
	centre := orb.Point{114.06, 22.54}
	near := func(name, category string, radius float64, want string) {
		t.Helper()
		got, err := st.Incidents.Near(ctx, category, centre, radius)
		if err != nil || incidentIDs(got) != want {
			t.Errorf("near %s: %s %v, want %s", name, incidentIDs(got), err, want)
		}
	}
	near("300 m", "fire", 300, "N-2,N-6,N-1")
	near("another category", "flood", 300, "N-4")
	near("none", "traffic", 300, "")
	moveIncident(t, st, "N-2", func(inc *incident.Incident) { inc.Status = incident.StatusClosed })
	moveIncident(t, st, "N-6", func(inc *incident.Incident) { inc.Category = "flood" })
	moveIncident(t, st, "N-3", func(inc *incident.Incident) { inc.Location = at(0.0005) })
	moveIncident(t, st, "N-5", func(inc *incident.Incident) { inc.Location = at(-0.0015); inc.Status = incident.StatusResponding })
	near("after the changes", "fire", 300, "N-3,N-5,N-1")
	near("the category moved to", "flood", 300, "N-4,N-6")
	moveIncident(t, st, "N-2", func(inc *incident.Incident) { inc.Status = incident.StatusRecovery }) // reopened
	moveIncident(t, st, "N-1", func(inc *incident.Incident) { inc.Location = nil })
	near("reopened, and a location taken away", "fire", 300, "N-2,N-3,N-5")
	// Beyond 85° of latitude no search finds an incident.
	polar := mk("N-7", "fire", &vocab.Location{Lon: 10, Lat: 89})
	apply(t, st, &change.Change{At: t0, Docs: []change.Doc{{Kind: change.KindIncident, ID: polar.ID, Value: polar, Fields: map[string]string{"ver": "1"}}}})
	if got, err := st.Incidents.Near(ctx, "fire", orb.Point{10, 89}, 1000); err != nil || len(got) != 0 {
		t.Errorf("near the pole: %s %v", incidentIDs(got), err)
	}
}

// moveIncident stores incident id as edit leaves it, with the one before
// as its Prev (as the incident service writes a change).
func moveIncident(t *testing.T, st Stores, id string, edit func(*incident.Incident)) {
	t.Helper()
	prev, err := st.Incidents.Load(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	next := *prev
	edit(&next)
	apply(t, st, &change.Change{At: t0, Docs: []change.Doc{{Kind: change.KindIncident, ID: id, Value: &next, Prev: prev, Fields: map[string]string{"ver": "2"}}}})
}

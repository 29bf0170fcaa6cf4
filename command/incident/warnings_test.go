package incident_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"watchfloor/command/incident"
	"watchfloor/command/memstore"
	"watchfloor/command/vocab"
	"watchfloor/command/warning"
)

// finder is a warning index with one red rainstorm warning covering one
// grid, in force from a time (and with drill, a drill's warning there
// too); it records the times it was asked at.
type finder struct {
	covers func(orb.Point) bool
	from   time.Time
	drill  bool
	asked  []time.Time
}

func (f *finder) Covering(p orb.Point, t time.Time) []warning.Ref {
	f.asked = append(f.asked, t)
	if !f.covers(p) || t.Before(f.from) {
		return nil
	}
	out := []warning.Ref{{ID: "W-20260701-0001", Type: warning.Rainstorm, Colour: warning.Red, Title: "暴雨红色预警"}}
	if f.drill {
		out = append(out, warning.Ref{ID: "W-20260701-0002", Type: warning.Flood, Colour: warning.Blue, Title: "演练", Drill: true})
	}
	return out
}

func (f *finder) Load(context.Context, string) (*warning.Warning, error) { return nil, nil }

// An incident recorded inside a warning in force carries it; one outside,
// or recorded before it is in force, or with no index, carries none; a
// location correction moves it in and out.
func TestIncidentsCarryWarnings(t *testing.T) {
	grader, m := incident.SampleRules(t)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 7, 1, 4, 0, 0, 0, time.UTC)
	inside, outside := m.Area("440303002002001"), m.Area("440303001001001")
	if inside == nil || outside == nil {
		t.Fatal("sample grids missing")
	}
	f := &finder{covers: inside.Contains, from: now}
	mem := memstore.New(memstore.Options{Location: loc})
	clock := func() time.Time { return now }
	svc := incident.NewService(mem.Incidents(), grader, m, incident.Options{Location: loc}, clock, incident.Hooks{Warnings: f})
	bare := incident.NewService(mem.Incidents(), grader, m, incident.Options{Location: loc}, clock, incident.Hooks{})
	op := vocab.Actor{Username: "operator", Role: vocab.Operator}
	ctx := context.Background()
	at := func(a interface{ Centroid() orb.Point }) string {
		c := a.Centroid()
		return fmt.Sprintf(`"location":{"lon":%f,"lat":%f}`, c[0], c[1])
	}
	create := func(s *incident.Service, where string) *incident.Incident {
		t.Helper()
		in, err := incident.Decode([]byte(`{"category":"fire","title":"预警测试",` + where + `}`))
		if err != nil {
			t.Fatal(err)
		}
		inc, _, err := s.Create(ctx, op, in, nil)
		if err != nil {
			t.Fatal(err)
		}
		return inc
	}
	carries := func(what string, inc *incident.Incident, want bool) {
		t.Helper()
		if got := len(inc.Warnings) == 1 && inc.Warnings[0].ID == "W-20260701-0001" && inc.Warnings[0].Colour == warning.Red; got != want {
			t.Errorf("%s: warnings %+v, want carried %t", what, inc.Warnings, want)
		}
		stored, err := mem.Incidents().Load(ctx, inc.ID)
		if err != nil || len(stored.Warnings) != len(inc.Warnings) || len(inc.Summarize().Warnings) != len(inc.Warnings) {
			t.Errorf("%s: stored %+v (%v), summary %+v", what, stored, err, inc.Summarize().Warnings)
		}
	}
	in := create(svc, at(inside))
	carries("inside", in, true)
	carries("inside, by grid only", create(svc, `"grid":"440303002002001"`), true)
	carries("outside", create(svc, at(outside)), false)
	carries("no index", create(bare, at(inside)), false)
	if len(f.asked) == 0 || !f.asked[0].Equal(now) {
		t.Errorf("asked at %v, want the time it was recorded (%v)", f.asked, now)
	}

	moved, err := svc.Report(ctx, op, in.ID, mustDecode(t, `{`+at(outside)+`}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	carries("moved out", moved, false)
	back, err := svc.Report(ctx, op, in.ID, mustDecode(t, `{`+at(inside)+`}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	carries("moved back", back, true)
	kept, err := svc.Report(ctx, op, in.ID, mustDecode(t, `{"deaths":0}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	carries("a report without a location keeps it", kept, true)

	f.from = now.Add(time.Hour) // issued for later: not in force yet
	carries("not in force yet", create(svc, at(inside)), false)
}

func mustDecode(t *testing.T, body string) *incident.Input {
	t.Helper()
	in, err := incident.Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// A real incident inside a drill's warning does not carry it; a drill
// incident carries both the real warning and the drill's.
func TestIncidentsCarryNoDrillWarnings(t *testing.T) {
	grader, m := incident.SampleRules(t)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 7, 1, 4, 0, 0, 0, time.UTC)
	inside := m.Area("440303002002001")
	f := &finder{covers: inside.Contains, from: now, drill: true}
	mem := memstore.New(memstore.Options{Location: loc})
	svc := incident.NewService(mem.Incidents(), grader, m, incident.Options{Location: loc}, func() time.Time { return now }, incident.Hooks{Warnings: f})
	c := inside.Centroid()
	for _, tc := range []struct {
		drill bool
		want  []string
	}{{false, []string{"W-20260701-0001"}}, {true, []string{"W-20260701-0001", "W-20260701-0002"}}} {
		body := fmt.Sprintf(`{"category":"fire","title":"预警测试","drill":%t,"location":{"lon":%f,"lat":%f}}`, tc.drill, c[0], c[1])
		inc, _, err := svc.Create(context.Background(), vocab.Actor{Username: "operator", Role: vocab.Operator}, mustDecode(t, body), nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range inc.Warnings {
			got = append(got, r.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("drill %t: carries %v, want %v", tc.drill, got, tc.want)
		}
	}
}

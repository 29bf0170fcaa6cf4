package warning_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"watchfloor/command/fault"
	"watchfloor/command/memstore"
	"watchfloor/command/timer"
	"watchfloor/command/vocab"
	"watchfloor/command/warning"
	"watchfloor/config"
	"watchfloor/geo"
)

// floor is the sample city's warnings on the memory store, on a manual clock.
type floor struct {
	svc   *warning.Service
	index *warning.Index
	st    *memstore.Store
	clock *timer.Manual
	m     *geo.Map
}

func newFloor(t *testing.T) *floor {
	t.Helper()
	cfg, err := config.Load("../../config/sample/watchfloor.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	grids, _ := os.ReadFile(cfg.Path(cfg.Map.Grids))
	zones, _ := os.ReadFile(cfg.Path(cfg.Map.Zones))
	m, err := geo.NewMap(grids, zones)
	if err != nil {
		t.Fatal(err)
	}
	clock := timer.NewManual(time.Date(2026, 7, 1, 2, 0, 0, 0, time.UTC))
	st := memstore.New(memstore.Options{Clock: clock, Location: cfg.Location})
	members := func(teams []string) []string {
		var out []string
		for _, u := range cfg.Units {
			if slices.Contains(teams, u.Team) {
				out = append(out, u.ID)
			}
		}
		return out
	}
	ix := warning.NewIndex(m, st.Warnings(), clock.Now)
	svc := warning.NewService(st.Warnings(), m, warning.Options{Plans: cfg.Plans, Members: members, Location: cfg.Location, Index: ix}, clock.Now)
	return &floor{svc: svc, index: ix, st: st, clock: clock, m: m}
}

var op = warning.Who{Username: "operator", Role: vocab.Operator}

func (f *floor) issue(t *testing.T, typ string, c warning.Colour, area warning.AreaInput, starts, ends time.Duration) *warning.Warning {
	t.Helper()
	in := &warning.Input{Type: typ, Colour: c, Title: string(c) + " " + typ, Area: &area,
		EndsAt: f.clock.Now().Add(ends).Format(time.RFC3339)}
	if starts != 0 {
		in.StartsAt = f.clock.Now().Add(starts).Format(time.RFC3339)
	}
	w, _, err := f.svc.Issue(context.Background(), op, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func ring(lon, lat, d float64) [][]float64 {
	return [][]float64{{lon - d, lat - d}, {lon + d, lat - d}, {lon + d, lat + d}, {lon - d, lat + d}, {lon - d, lat - d}}
}

// Places of the sample city: a point in each community, and one outside.
var (
	inNanhu   = orb.Point{114.11, 22.535} // 南湖街道, 罗湖社区
	inHubei   = orb.Point{114.11, 22.55}  // 东门街道, 湖贝社区
	inChengdo = orb.Point{114.13, 22.55}  // 东门街道, 城东社区
	outside   = orb.Point{114.3, 22.6}
)

// TestCovering: the index finds the warnings in force whose area holds a
// point, most severe first: streets, communities, a polygon, the city; a
// warning not yet in force and one lifted cover nothing.
func TestCovering(t *testing.T) {
	f := newFloor(t)
	ctx := context.Background()
	streets := f.issue(t, warning.Rainstorm, warning.Orange, warning.AreaInput{Kind: warning.AreaStreets, Codes: []string{"440303002"}}, 0, 6*time.Hour)
	hubei := f.issue(t, warning.Flood, warning.Yellow, warning.AreaInput{Kind: warning.AreaCommunities, Codes: []string{"440303001001"}}, 0, 6*time.Hour)
	poly := f.issue(t, warning.LargeEvent, warning.Red, warning.AreaInput{Kind: warning.AreaPolygon, Polygon: [][][]float64{ring(inChengdo[0], inChengdo[1], 0.002)}}, 0, 6*time.Hour)
	city := f.issue(t, warning.Typhoon, warning.Blue, warning.AreaInput{Kind: warning.AreaCity}, 0, 6*time.Hour)
	later := f.issue(t, warning.Typhoon, warning.Red, warning.AreaInput{Kind: warning.AreaCity}, 2*time.Hour, 6*time.Hour)
	lifted := f.issue(t, warning.Rainstorm, warning.Red, warning.AreaInput{Kind: warning.AreaStreets, Codes: []string{"440303002"}}, 0, 6*time.Hour)
	if _, err := f.svc.Lift(ctx, op, lifted.ID, &warning.LiftInput{Reason: "误发"}); err != nil {
		t.Fatal(err)
	}
	now := f.clock.Now()
	ids := func(p orb.Point, at time.Time) []string {
		var out []string
		for _, r := range f.index.Covering(p, at) {
			out = append(out, r.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		p    orb.Point
		at   time.Time
		want []string
	}{
		{"南湖", inNanhu, now, []string{streets.ID, city.ID}},
		{"湖贝", inHubei, now, []string{hubei.ID, city.ID}},
		{"polygon", inChengdo, now, []string{poly.ID, city.ID}},
		{"outside the city", outside, now, nil},
		{"once the later one is in force", inNanhu, now.Add(3 * time.Hour), []string{later.ID, streets.ID, city.ID}},
		{"after the end", inNanhu, now.Add(7 * time.Hour), nil},
	} {
		if got := ids(tc.p, tc.at); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// A fresh index restored from the store finds the same.
	fresh := warning.NewIndex(f.m, f.st.Warnings(), f.clock.Now)
	if err := fresh.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	if got := fresh.Covering(inNanhu, now); len(got) != 2 || got[0].ID != streets.ID || got[0].Colour != warning.Orange {
		t.Errorf("restored: %+v", got)
	}
}

// TestFollow: an instance's index learns another's warnings from the
// stream's events, and an older event does not undo a later one.
func TestFollow(t *testing.T) {
	f := newFloor(t)
	other := warning.NewIndex(f.m, f.st.Warnings(), f.clock.Now)
	w := f.issue(t, warning.Rainstorm, warning.Red, warning.AreaInput{Kind: warning.AreaStreets, Codes: []string{"440303002"}}, 0, time.Hour)
	lifted, err := f.svc.Lift(context.Background(), op, w.ID, &warning.LiftInput{Reason: "解除"})
	if err != nil {
		t.Fatal(err)
	}
	env := func(typ string, v *warning.Warning) vocab.Envelope {
		b, _ := json.Marshal(v)
		return vocab.Envelope{Type: typ, Data: b}
	}
	other.Follow(env(vocab.WarningIssued, w))
	if got := other.Covering(inNanhu, f.clock.Now()); len(got) != 1 {
		t.Fatalf("issued: %+v", got)
	}
	other.Follow(env(vocab.WarningEnded, lifted))
	other.Follow(env(vocab.WarningUpdated, w)) // late, older
	if got := other.Covering(inNanhu, f.clock.Now()); len(got) != 0 {
		t.Fatalf("after the lift: %+v", got)
	}
	if n := len(other.Active()); n != 0 {
		t.Errorf("%d active", n)
	}
}

// TestExpireOnce: the expiry handler expires an active warning past its
// end once; an extended one is left until its new end.
func TestExpireOnce(t *testing.T) {
	f := newFloor(t)
	ctx := context.Background()
	w := f.issue(t, warning.Typhoon, warning.Red, warning.AreaInput{Kind: warning.AreaCity}, 0, time.Hour)
	if len(w.StandBy) != 1 || w.StandBy[0].PlanID != "flood-typhoon" || len(w.StandBy[0].Groups) != 3 {
		t.Fatalf("stand-by %+v", w.StandBy)
	}
	if _, err := f.svc.Extend(ctx, op, w.ID, &warning.ExtendInput{EndsAt: f.clock.Now().Add(2 * time.Hour).Format(time.RFC3339)}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour + time.Minute)
	if done, err := f.svc.Expire(ctx, w.ID, f.clock.Now()); !done || err != nil {
		t.Fatal(done, err)
	}
	if got, _ := f.svc.Get(ctx, w.ID); got.Status != warning.Active {
		t.Fatalf("expired before its extended end: %s", got.Status)
	}
	f.clock.Advance(time.Hour)
	for range 2 {
		if done, err := f.svc.Expire(ctx, w.ID, f.clock.Now()); !done || err != nil {
			t.Fatal(done, err)
		}
	}
	got, _ := f.svc.Get(ctx, w.ID)
	if got.Status != warning.Expired || got.Version != 3 || len(got.StandBy) != 0 || got.History[2].By != "system" {
		t.Fatalf("expired: %+v", got)
	}
	_, err := f.svc.Lift(ctx, op, w.ID, &warning.LiftInput{Reason: "x"})
	if !errors.Is(err, fault.ErrConflict) || !strings.Contains(err.Error(), "was expired at") {
		t.Errorf("lifting an expired warning: %v", err)
	}
}

// TestAreaLimited: an account limited to a street may warn inside it
// (communities, a polygon) and not beyond (the other street, the city).
func TestAreaLimited(t *testing.T) {
	f := newFloor(t)
	who := warning.Who{Username: "dongmen-operator", Role: vocab.Operator, Area: "440303001"}
	for _, tc := range []struct {
		area warning.AreaInput
		ok   bool
	}{
		{warning.AreaInput{Kind: warning.AreaCommunities, Codes: []string{"440303001001", "440303001002"}}, true},
		{warning.AreaInput{Kind: warning.AreaStreets, Codes: []string{"440303001"}}, true},
		{warning.AreaInput{Kind: warning.AreaPolygon, Polygon: [][][]float64{ring(inHubei[0], inHubei[1], 0.001)}}, true},
		{warning.AreaInput{Kind: warning.AreaStreets, Codes: []string{"440303001", "440303002"}}, false},
		{warning.AreaInput{Kind: warning.AreaPolygon, Polygon: [][][]float64{ring(inNanhu[0], inNanhu[1], 0.001)}}, false},
		{warning.AreaInput{Kind: warning.AreaCity}, false},
	} {
		in := &warning.Input{Type: warning.Flood, Colour: warning.Blue, Title: "积水", Area: &tc.area, EndsAt: f.clock.Now().Add(time.Hour).Format(time.RFC3339)}
		_, _, err := f.svc.Issue(context.Background(), who, in, nil)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, fault.ErrForbidden)) {
			t.Errorf("%+v: %v", tc.area, err)
		}
	}
}

// TestTypesMatchConfig: the types and colours a plan's trigger may name
// are the warnings' own.
func TestTypesMatchConfig(t *testing.T) {
	if !slices.Equal(warning.Types(), config.WarningTypes()) {
		t.Errorf("types %v, config %v", warning.Types(), config.WarningTypes())
	}
	for i, c := range config.WarningColours() {
		if warning.Colour(c).Rank() != i+1 {
			t.Errorf("colour %s ranks %d", c, warning.Colour(c).Rank())
		}
	}
}

// FuzzParsePolygon: no ring list makes the parser panic, and one it
// accepts has one outer ring and at most 20 holes, every ring closed with
// at least 4 points, at most 1000 points, each inside the city's bound and
// rounded to 7 decimals.
func FuzzParsePolygon(f *testing.F) {
	bound := orb.Bound{Min: orb.Point{114.105, 22.528}, Max: orb.Point{114.135, 22.558}}
	for _, seed := range []string{
		`[[[114.11,22.53],[114.12,22.53],[114.12,22.54],[114.11,22.53]]]`,
		`[[[114.11,22.53],[114.12,22.53],[114.12,22.54],[114.11,22.54]]]`,
		`[[[114.11,22.53,5],[114.12,22.53],[114.12,22.54],[114.11,22.53]]]`,
		`[[[1e309,22.53],[114.12,22.53],[114.12,22.54],[1e309,22.53]]]`,
		`[[[113,22.53],[114.12,22.53],[114.12,22.54],[113,22.53]]]`,
		`[[]]`, `[]`, `[[[]]]`, `[[[114.11]]]`,
		`[[[114.1100000001,22.53],[114.12,22.5300000004],[114.12,22.54],[114.1100000001,22.53]]]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var rings [][][]float64
		if json.Unmarshal(b, &rings) != nil {
			return
		}
		p, bad := warning.ParsePolygon(rings, bound)
		if len(bad) > 0 {
			if p != nil {
				t.Fatalf("refused (%v) but returned %v", bad, p)
			}
			return
		}
		if len(p) < 1 || len(p) > 1+warning.MaxHoles {
			t.Fatalf("%d rings accepted", len(p))
		}
		total := 0
		for _, r := range p {
			total += len(r)
			if len(r) < 4 || r[0] != r[len(r)-1] {
				t.Fatalf("ring accepted open or short: %v", r)
			}
			for _, pt := range r {
				if !bound.Contains(orb.Point(pt)) {
					t.Fatalf("point %v accepted outside the city", pt)
				}
				if math.Round(pt[0]*1e7)/1e7 != pt[0] || math.Round(pt[1]*1e7)/1e7 != pt[1] {
					t.Fatalf("point %v not rounded to 7 decimals", pt)
				}
			}
		}
		if total > warning.MaxPoints {
			t.Fatalf("%d points accepted", total)
		}
	})
}

// fieldsOf is the "field: message" list of an invalid-input error.
func fieldsOf(err error) []string {
	var inv *fault.Invalid
	if !errors.As(err, &inv) {
		return nil
	}
	var out []string
	for _, e := range inv.Errors {
		out = append(out, e.Field+": "+e.Message)
	}
	return out
}

// TestWarningStepsAfterEnd: an extension must end in the future, and a
// warning past its end that the timer has not expired yet takes no step
// (409 "ended at").
func TestWarningStepsAfterEnd(t *testing.T) {
	f := newFloor(t)
	ctx := context.Background()
	w := f.issue(t, warning.Rainstorm, warning.Yellow, warning.AreaInput{Kind: warning.AreaCity}, 0, time.Hour)
	f.clock.Advance(2 * time.Hour) // past its end; the expiry timer has not run
	past := f.clock.Now().Add(-30 * time.Minute).Format(time.RFC3339)
	_, err := f.svc.Extend(ctx, op, w.ID, &warning.ExtendInput{EndsAt: past})
	if got := fieldsOf(err); !slices.Equal(got, []string{"ends_at: must be in the future"}) {
		t.Errorf("extended into the past: %v", err)
	}
	steps := map[string]func() error{
		"raise": func() error {
			_, err := f.svc.Raise(ctx, op, w.ID, &warning.ColourInput{Colour: warning.Red})
			return err
		},
		"lower": func() error {
			_, err := f.svc.Lower(ctx, op, w.ID, &warning.ColourInput{Colour: warning.Blue, Reason: "减弱"})
			return err
		},
		"extend": func() error {
			_, err := f.svc.Extend(ctx, op, w.ID, &warning.ExtendInput{EndsAt: f.clock.Now().Add(time.Hour).Format(time.RFC3339)})
			return err
		},
		"lift": func() error {
			_, err := f.svc.Lift(ctx, op, w.ID, &warning.LiftInput{Reason: "解除"})
			return err
		},
	}
	for name, step := range steps {
		if err := step(); !errors.Is(err, fault.ErrConflict) || !strings.Contains(err.Error(), "warning "+w.ID+" ended at 2026-07-01 11:00") {
			t.Errorf("%s after the end: %v", name, err)
		}
	}
	if got, _ := f.svc.Get(ctx, w.ID); got.Version != 1 {
		t.Errorf("changed after its end: version %d", got.Version)
	}
}

// TestCoveringDrill: the index marks a drill's warning in the refs it
// gives (incidents that are not drills leave it out).
func TestCoveringDrill(t *testing.T) {
	f := newFloor(t)
	in := &warning.Input{Type: warning.Flood, Colour: warning.Blue, Title: "演练", Drill: true, Area: &warning.AreaInput{Kind: warning.AreaCity},
		EndsAt: f.clock.Now().Add(time.Hour).Format(time.RFC3339)}
	if _, _, err := f.svc.Issue(context.Background(), op, in, nil); err != nil {
		t.Fatal(err)
	}
	if got := f.index.Covering(inNanhu, f.clock.Now()); len(got) != 1 || !got[0].Drill {
		t.Errorf("refs %+v, want one drill", got)
	}
}

// TestWarningText: title and source are cleaned as single-line text, text
// and reason as multi-line (control and format characters dropped); a
// required field with nothing visible (zero-width, direction overrides,
// Hangul fillers) is refused by name, an optional one counts as none.
func TestWarningText(t *testing.T) {
	f := newFloor(t)
	ctx := context.Background()
	invisible := " \u200b\u202e\u3164\u2800 "
	for _, tc := range []struct {
		name                        string
		title, text, source, reason string
		bad                         []string
		want                        *warning.Warning // title, text, source; reason in history
		wantReason                  string
	}{
		{name: "invisible title", title: invisible, bad: []string{"title: required: something visible, at most 200 characters"}},
		{name: "zero-width title", title: "\u200b\u200b", bad: []string{"title: required: something visible, at most 200 characters"}},
		{name: "cleaned", title: "暴雨\u0007\u202e预警\n", text: "第一行\n\t第二行\u0000\u200b", source: "气象\n台\u200e", reason: "\u2066预报\u2069",
			want: &warning.Warning{Title: "暴雨预警", Text: "第一行\n\t第二行", Source: "气象 台"}, wantReason: "预报"},
		{name: "optional fields with nothing visible", title: "积水", text: invisible, source: invisible, reason: invisible,
			want: &warning.Warning{Title: "积水"}},
		{name: "too long once cleaned", title: strings.Repeat("雨", 201) + "\u200b", bad: []string{"title: at most 200 characters"}},
	} {
		in := &warning.Input{Type: warning.Flood, Colour: warning.Blue, Title: tc.title, Text: tc.text, Source: tc.source, Reason: tc.reason,
			Area: &warning.AreaInput{Kind: warning.AreaCity}, EndsAt: f.clock.Now().Add(time.Hour).Format(time.RFC3339)}
		w, _, err := f.svc.Issue(ctx, op, in, nil)
		if tc.bad != nil {
			if got := fieldsOf(err); !slices.Equal(got, tc.bad) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.bad)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if w.Title != tc.want.Title || w.Text != tc.want.Text || w.Source != tc.want.Source || w.History[0].Reason != tc.wantReason {
			t.Errorf("%s: title %q text %q source %q reason %q", tc.name, w.Title, w.Text, w.Source, w.History[0].Reason)
		}
	}
	w := f.issue(t, warning.Flood, warning.Orange, warning.AreaInput{Kind: warning.AreaCity}, 0, time.Hour)
	_, err := f.svc.Lower(ctx, op, w.ID, &warning.ColourInput{Colour: warning.Blue, Reason: invisible})
	if got := fieldsOf(err); !slices.Equal(got, []string{"reason: required: something visible, at most 1000 characters"}) {
		t.Errorf("lowered with an invisible reason: %v", err)
	}
	_, err = f.svc.Lift(ctx, op, w.ID, &warning.LiftInput{Reason: "\u200b\u3164"})
	if got := fieldsOf(err); !slices.Equal(got, []string{"reason: required: something visible, at most 1000 characters"}) {
		t.Errorf("lifted with an invisible reason: %v", err)
	}
	raised, err := f.svc.Raise(ctx, op, w.ID, &warning.ColourInput{Colour: warning.Red, Reason: "加强\u202e\n"})
	if err != nil || raised.History[1].Reason != "加强" {
		t.Errorf("raised: %v %+v", err, raised)
	}
}

// TestStandByEventSlim: a unit on stand-by is told of the warning by a
// summary (no polygon, history or stand-by of every unit), under the
// warning's own field names.
func TestStandByEventSlim(t *testing.T) {
	f := newFloor(t)
	in := &warning.Input{Type: warning.Typhoon, Colour: warning.Red, Title: "台风红色预警", Text: "长文本", Drill: true,
		Area:   &warning.AreaInput{Kind: warning.AreaPolygon, Polygon: [][][]float64{ring(inChengdo[0], inChengdo[1], 0.002)}},
		EndsAt: f.clock.Now().Add(time.Hour).Format(time.RFC3339)}
	w, _, err := f.svc.Issue(context.Background(), op, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	unit := w.StandBy[0].Groups[0].Units[0]
	msgs, _, err := f.st.Range(context.Background(), vocab.UnitStream(unit), 0, 10)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("%d messages on %s: %v", len(msgs), unit, err)
	}
	var ev struct {
		Type string
		Data struct {
			Warning map[string]json.RawMessage `json:"warning"`
			OnCall  bool                       `json:"on_call"`
		}
	}
	if err := json.Unmarshal(msgs[0].JSON, &ev); err != nil || ev.Type != vocab.WarningStandBy || !ev.Data.OnCall {
		t.Fatalf("%s: %v", msgs[0].JSON, err)
	}
	var keys []string
	for k := range ev.Data.Warning {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"area", "colour", "drill", "ends_at", "id", "starts_at", "status", "title", "type", "version"}; !slices.Equal(keys, want) {
		t.Errorf("the warning's fields %v, want %v", keys, want)
	}
	var area map[string]json.RawMessage
	_ = json.Unmarshal(ev.Data.Warning["area"], &area)
	if _, ok := area["polygon"]; ok || len(area) != 2 || !strings.Contains(string(area["names"]), "东门") {
		t.Errorf("area %s", ev.Data.Warning["area"])
	}
	if string(ev.Data.Warning["id"]) != `"`+w.ID+`"` || string(ev.Data.Warning["version"]) != "1" || string(ev.Data.Warning["drill"]) != "true" {
		t.Errorf("warning %v", ev.Data.Warning)
	}
}

// lMap is a city of one district, a square, split into an L-shaped street
// 990001 (the lower half and the upper left quarter) and the notch 990002.
func lMap(t *testing.T) *geo.Map {
	t.Helper()
	feature := func(code, level, parent, ring string) string {
		return `{"type":"Feature","properties":{"code":"` + code + `","name":"` + code + `","level":"` + level + `","parent":"` + parent +
			`"},"geometry":{"type":"Polygon","coordinates":[` + ring + `]}}`
	}
	grids := `{"type":"FeatureCollection","features":[` +
		feature("990000", "district", "", `[[114.00,22.00],[114.02,22.00],[114.02,22.02],[114.00,22.02],[114.00,22.00]]`) + "," +
		feature("990001", "street", "990000", `[[114.00,22.00],[114.02,22.00],[114.02,22.01],[114.01,22.01],[114.01,22.02],[114.00,22.02],[114.00,22.00]]`) + "," +
		feature("990002", "street", "990000", `[[114.01,22.01],[114.02,22.01],[114.02,22.02],[114.01,22.02],[114.01,22.01]]`) + `]}`
	m, err := geo.NewMap([]byte(grids), []byte(`{"type":"FeatureCollection","features":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestAreaLimitedPolygonEdges: an account limited to an L-shaped street
// may warn for a polygon inside it (the street's own outline too), not
// for one whose corners all lie in it but whose edge crosses the notch,
// or runs across it from corner to corner of the street.
func TestAreaLimitedPolygonEdges(t *testing.T) {
	m := lMap(t)
	clock := timer.NewManual(time.Date(2026, 7, 1, 2, 0, 0, 0, time.UTC))
	st := memstore.New(memstore.Options{Clock: clock})
	svc := warning.NewService(st.Warnings(), m, warning.Options{}, clock.Now)
	who := warning.Who{Username: "l-operator", Role: vocab.Operator, Area: "990001"}
	for _, tc := range []struct {
		name string
		ring [][]float64
		ok   bool
	}{
		{"inside the lower arm", [][]float64{{114.002, 22.002}, {114.018, 22.002}, {114.018, 22.008}, {114.002, 22.002}}, true},
		{"the street's own outline", [][]float64{{114.00, 22.00}, {114.02, 22.00}, {114.02, 22.01}, {114.01, 22.01}, {114.01, 22.02}, {114.00, 22.02}, {114.00, 22.00}}, true},
		{"an edge across the notch", [][]float64{{114.002, 22.002}, {114.018, 22.005}, {114.005, 22.018}, {114.002, 22.002}}, false},
		{"an edge from corner to corner over the notch", [][]float64{{114.002, 22.002}, {114.02, 22.01}, {114.01, 22.02}, {114.002, 22.002}}, false},
		{"in the notch", [][]float64{{114.012, 22.012}, {114.018, 22.012}, {114.018, 22.018}, {114.012, 22.012}}, false},
	} {
		in := &warning.Input{Type: warning.Flood, Colour: warning.Blue, Title: "积水", EndsAt: clock.Now().Add(time.Hour).Format(time.RFC3339),
			Area: &warning.AreaInput{Kind: warning.AreaPolygon, Polygon: [][][]float64{tc.ring}}}
		_, _, err := svc.Issue(context.Background(), who, in, nil)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, fault.ErrForbidden)) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestPolygonNames: a polygon's names are the streets it overlaps, also
// one that only its edges cross (no corner of either inside the other).
func TestPolygonNames(t *testing.T) {
	m := lMap(t)
	clock := timer.NewManual(time.Date(2026, 7, 1, 2, 0, 0, 0, time.UTC))
	svc := warning.NewService(memstore.New(memstore.Options{Clock: clock}).Warnings(), m, warning.Options{}, clock.Now)
	// A thin triangle from the L's upper arm to its lower arm, whose two
	// long edges run over the notch 990002.
	thin := [][]float64{{114.005, 22.018}, {114.018, 22.005}, {114.004, 22.017}, {114.005, 22.018}}
	in := &warning.Input{Type: warning.Flood, Colour: warning.Blue, Title: "积水", EndsAt: clock.Now().Add(time.Hour).Format(time.RFC3339),
		Area: &warning.AreaInput{Kind: warning.AreaPolygon, Polygon: [][][]float64{thin}}}
	w, _, err := svc.Issue(context.Background(), op, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, n := range w.Area.Names {
		codes = append(codes, n.Code)
	}
	if !slices.Equal(codes, []string{"990001", "990002"}) {
		t.Errorf("names %v, want both streets", codes)
	}
}

// TestParsePolygonPoints: coordinates are rounded to 7 decimals, closing
// is judged on what was sent, and at most 1000 points are taken.
func TestParsePolygonPoints(t *testing.T) {
	bound := orb.Bound{Min: orb.Point{114.105, 22.528}, Max: orb.Point{114.135, 22.558}}
	p, bad := warning.ParsePolygon([][][]float64{{{114.11234567891, 22.53}, {114.12, 22.53}, {114.12, 22.54}, {114.11234567891, 22.53}}}, bound)
	if len(bad) > 0 || p[0][0] != [2]float64{114.1123457, 22.53} || p[0][3] != p[0][0] {
		t.Errorf("rounded: %v %v", p, bad)
	}
	if _, bad := warning.ParsePolygon([][][]float64{{{114.11, 22.53}, {114.12, 22.53}, {114.12, 22.54}, {114.11000000001, 22.53}}}, bound); len(bad) != 1 || !strings.Contains(bad[0], "closed") {
		t.Errorf("a ring closed only once rounded: %v", bad)
	}
	ring := func(n int) [][]float64 {
		var r [][]float64
		for i := range n - 1 {
			r = append(r, []float64{114.11 + float64(i)*1e-5, 22.53 + float64(i%2)*1e-5})
		}
		return append(r, r[0])
	}
	if _, bad := warning.ParsePolygon([][][]float64{ring(1000)}, bound); len(bad) > 0 {
		t.Errorf("1000 points: %v", bad)
	}
	if _, bad := warning.ParsePolygon([][][]float64{ring(1001)}, bound); len(bad) != 1 || bad[0] != "at most 1000 points in all, not 1001" {
		t.Errorf("1001 points: %v", bad)
	}
}

// listed records the queries an index lists the store with.
type listed struct {
	warning.Store
	queries []warning.Query
}

func (l *listed) List(ctx context.Context, q warning.Query) ([]*warning.Warning, error) {
	l.queries = append(l.queries, q)
	return l.Store.List(ctx, q)
}

// TestIndexKeepsActive: the index holds active warnings in full and an
// ended one as a tombstone (an older event does not bring it back) for an
// hour after its end; reading the store again lists only the active
// warnings and loads one it missed the end of.
func TestIndexKeepsActive(t *testing.T) {
	f := newFloor(t)
	ctx := context.Background()
	st := &listed{Store: f.st.Warnings()}
	other := warning.NewIndex(f.m, st, f.clock.Now)
	w := f.issue(t, warning.Rainstorm, warning.Red, warning.AreaInput{Kind: warning.AreaStreets, Codes: []string{"440303002"}}, 0, 3*time.Hour)
	kept := f.issue(t, warning.Flood, warning.Blue, warning.AreaInput{Kind: warning.AreaCity}, 0, 3*time.Hour)
	if err := other.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	if a, e := other.Held(); a != 2 || e != 0 || len(other.Covering(inNanhu, f.clock.Now())) != 2 {
		t.Fatalf("restored: %d active, %d ended", a, e)
	}
	if _, err := f.svc.Lift(ctx, op, w.ID, &warning.LiftInput{Reason: "解除"}); err != nil {
		t.Fatal(err)
	}
	if a, e := f.index.Held(); a != 1 || e != 1 {
		t.Errorf("the issuing instance holds %d active, %d ended", a, e)
	}
	// other missed the lift's event: reading the store again learns it.
	if err := other.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	if got := other.Covering(inNanhu, f.clock.Now()); len(got) != 1 || got[0].ID != kept.ID {
		t.Errorf("after the lift: %+v", got)
	}
	if a, e := other.Held(); a != 1 || e != 1 {
		t.Errorf("after the lift: %d active, %d ended", a, e)
	}
	b, _ := json.Marshal(w) // the issued version, arriving late
	other.Follow(vocab.Envelope{Type: vocab.WarningIssued, Data: b})
	if a, _ := other.Held(); a != 1 || len(other.Active()) != 1 {
		t.Errorf("a late event brought the lifted warning back")
	}
	for _, q := range st.queries {
		if q.Status != warning.Active {
			t.Errorf("listed %+v, want only the active", q)
		}
	}
	f.clock.Advance(warning.TombstoneTTL + time.Minute)
	if err := other.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	if a, e := other.Held(); a != 1 || e != 0 {
		t.Errorf("an hour after the lift: %d active, %d ended", a, e)
	}
}

// TestIssueReplayFirst: a repeat of an Idempotency-Key gets the first
// answer even once the request's times have passed (looked up before the
// input is checked); another body under the key is refused.
func TestIssueReplayFirst(t *testing.T) {
	f := newFloor(t)
	ctx := context.Background()
	idem := &vocab.Idempotency{Key: "operator:warning:k1", Fingerprint: "fp1", TTL: 24 * time.Hour}
	in := func() *warning.Input {
		return &warning.Input{Type: warning.Flood, Colour: warning.Blue, Title: "积水", Area: &warning.AreaInput{Kind: warning.AreaCity},
			EndsAt: time.Date(2026, 7, 1, 3, 0, 0, 0, time.UTC).Format(time.RFC3339)}
	}
	first, replayed, err := f.svc.Issue(ctx, op, in(), idem)
	if err != nil || replayed {
		t.Fatal(replayed, err)
	}
	f.clock.Advance(2 * time.Hour) // its ends_at is now in the past
	again, replayed, err := f.svc.Issue(ctx, op, in(), idem)
	if err != nil || !replayed || again.ID != first.ID {
		t.Errorf("retried: %+v %t %v", again, replayed, err)
	}
	other := *idem
	other.Fingerprint = "fp2"
	if _, _, err := f.svc.Issue(ctx, op, in(), &other); !strings.Contains(fmt.Sprint(fieldsOf(err)), "Idempotency-Key") {
		t.Errorf("another body under the key: %v", err)
	}
}

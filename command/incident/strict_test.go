package incident

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"watchfloor/alerts"
	"watchfloor/command/fault"
	"watchfloor/config"
	"watchfloor/geo"
)

func sampleRules(t testing.TB) (*alerts.Grader, *geo.Map) {
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
	return alerts.NewGrader(cfg.Categories, cfg.Periods, cfg.Location), m
}

func fields(err error) []string {
	var inv *fault.Invalid
	if !errors.As(err, &inv) {
		return nil
	}
	out := []string{}
	for _, f := range inv.Errors {
		out = append(out, f.Field)
	}
	slices.Sort(out)
	return out
}

// TestInputStrictRules holds the strict JSON and text rules of a first
// report: each body is refused with exactly the fields named, all at once.
func TestInputStrictRules(t *testing.T) {
	grader, m := sampleRules(t)
	const ok = `"category":"fire","title":"起火"`
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"empty location", `{` + ok + `,"location":{}}`, []string{"location.lat", "location.lon"}},
		{"lon only", `{` + ok + `,"location":{"lon":114.1}}`, []string{"location.lat"}},
		{"lat null", `{` + ok + `,"location":{"lon":114.1,"lat":null}}`, nil},
		{"duplicate key", `{` + ok + `,"title":"再来"}`, []string{"title"}},
		{"duplicate nested key", `{` + ok + `,"location":{"lon":114.1,"lat":22.5,"lat":22.6}}`, []string{"location.lat"}},
		{"case-mismatched key", `{"category":"fire","TITLE":"起火","title":"起火","location":{"lon":114.1,"lat":22.5}}`, []string{"TITLE"}},
		{"case-mismatched nested key", `{` + ok + `,"location":{"Lon":114.1,"lat":22.5}}`, []string{"location.Lon", "location.lon"}},
		{"zero-width title", `{"category":"fire","title":"\u200b\u200b","grid":"440303001001001"}`, []string{"title"}},
		{"BOM and spaces title", `{"category":"fire","title":" \ufeff \u3000","grid":"440303001001001"}`, []string{"title"}},
		{"control title", `{"category":"fire","title":"\u0007\u001b","grid":"440303001001001"}`, []string{"title"}},
		{"NUL in title", `{"category":"fire","title":"a\u0000b","grid":"440303001001001"}`, []string{"title"}},
		{"NUL in reporter", `{` + ok + `,"grid":"440303001001001","reporter":{"name":"\u0000","phone":"1"}}`, []string{"reporter.name"}},
		{"year 0", `{` + ok + `,"grid":"440303001001001","occurred_at":"0000-01-01T00:00:00Z"}`, []string{"occurred_at"}},
		{"before 1970", `{` + ok + `,"grid":"440303001001001","occurred_at":"1969-12-31T23:59:59Z"}`, []string{"occurred_at"}},
		{"far future", `{` + ok + `,"grid":"440303001001001","occurred_at":"2999-01-01T00:00:00Z"}`, []string{"occurred_at"}},
		{"all type errors at once", `{"category":1,"title":true,"deaths":"3","location":{"lon":"x","lat":[]}}`,
			[]string{"category", "deaths", "location.lat", "location.lon", "title"}},
		{"fraction for a count", `{` + ok + `,"grid":"440303001001001","injuries":1.5}`, []string{"injuries"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := Decode([]byte(tc.body))
			if err == nil {
				err = in.check(true, time.Now(), grader, m)
			}
			if tc.want == nil {
				tc.want = []string{"location.lat"}
			}
			if got := fields(err); !slices.Equal(got, tc.want) {
				t.Errorf("%s: fields %v, want %v (%v)", tc.body, got, tc.want, err)
			}
		})
	}
}

// A clean report passes, its text cleaned of invisible characters.
func TestInputCleansText(t *testing.T) {
	grader, m := sampleRules(t)
	in, err := Decode([]byte(`{"category":"fire","title":"\ufeff起火\u200b ","description":"一\n二\u0007","location":{"lon":114.12,"lat":22.54}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := in.check(true, time.Now(), grader, m); err != nil {
		t.Fatal(err)
	}
	if *in.Title != "起火" || *in.Description != "一\n二" {
		t.Errorf("cleaned %q %q", *in.Title, *in.Description)
	}
}

// The whole-body errors: not UTF-8, trailing data, malformed, nested too deep.
func TestInputBodyErrors(t *testing.T) {
	for _, body := range []string{"{\"title\":\"\xff\"}", `{} {}`, `{"title":}`, strings.Repeat("[", 100) + strings.Repeat("]", 100), ``, `[]`} {
		_, err := Decode([]byte(body))
		if got := fields(err); !slices.Equal(got, []string{""}) {
			t.Errorf("%q: fields %v (%v), want the body", body, got, err)
		}
	}
}

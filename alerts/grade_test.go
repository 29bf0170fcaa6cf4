package alerts_test

import (
	"strings"
	"testing"
	"time"

	"watchfloor/alerts"
	"watchfloor/config"
)

func sampleGrader(t testing.TB) (*alerts.Grader, *config.Config) {
	t.Helper()
	cfg, err := config.Load("../config/sample/watchfloor.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return alerts.NewGrader(cfg.Categories, cfg.Periods, cfg.Location), cfg
}

var ordinary = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func TestSampleRules(t *testing.T) {
	g, _ := sampleGrader(t)
	sensitive := []string{"sensitive"}
	tests := []struct {
		name     string
		category string
		facts    alerts.Facts
		zones    []string
		want     alerts.Level
		wantRule string // a rule that must be among the reasons
	}{
		// Production safety: the 2007 regulation, "以上" includes N, "以下" excludes it.
		{"ps deaths 2", "production_safety", alerts.Facts{Deaths: 2}, nil, alerts.LevelIV, "production_safety.base"},
		{"ps deaths 3", "production_safety", alerts.Facts{Deaths: 3}, nil, alerts.LevelIII, "production_safety.deaths-3"},
		{"ps deaths 9", "production_safety", alerts.Facts{Deaths: 9}, nil, alerts.LevelIII, "production_safety.deaths-3"},
		{"ps deaths 10", "production_safety", alerts.Facts{Deaths: 10}, nil, alerts.LevelII, "production_safety.deaths-10"},
		{"ps deaths 29", "production_safety", alerts.Facts{Deaths: 29}, nil, alerts.LevelII, "production_safety.deaths-10"},
		{"ps deaths 30", "production_safety", alerts.Facts{Deaths: 30}, nil, alerts.LevelI, "production_safety.deaths-30"},
		{"ps injuries 9", "production_safety", alerts.Facts{Injuries: 9}, nil, alerts.LevelIV, "production_safety.base"},
		{"ps injuries 10", "production_safety", alerts.Facts{Injuries: 10}, nil, alerts.LevelIII, "production_safety.injuries-10"},
		{"ps injuries 49", "production_safety", alerts.Facts{Injuries: 49}, nil, alerts.LevelIII, "production_safety.injuries-10"},
		{"ps injuries 50", "production_safety", alerts.Facts{Injuries: 50}, nil, alerts.LevelII, "production_safety.injuries-50"},
		{"ps injuries 99", "production_safety", alerts.Facts{Injuries: 99}, nil, alerts.LevelII, "production_safety.injuries-50"},
		{"ps injuries 100", "production_safety", alerts.Facts{Injuries: 100}, nil, alerts.LevelI, "production_safety.injuries-100"},
		{"ps loss under 10m", "production_safety", alerts.Facts{DirectLossYuan: 9_999_999}, nil, alerts.LevelIV, "production_safety.base"},
		{"ps loss 10m", "production_safety", alerts.Facts{DirectLossYuan: 10_000_000}, nil, alerts.LevelIII, "production_safety.loss-10m"},
		{"ps loss under 50m", "production_safety", alerts.Facts{DirectLossYuan: 49_999_999}, nil, alerts.LevelIII, "production_safety.loss-10m"},
		{"ps loss 50m", "production_safety", alerts.Facts{DirectLossYuan: 50_000_000}, nil, alerts.LevelII, "production_safety.loss-50m"},
		{"ps loss under 100m", "production_safety", alerts.Facts{DirectLossYuan: 99_999_999}, nil, alerts.LevelII, "production_safety.loss-50m"},
		{"ps loss 100m", "production_safety", alerts.Facts{DirectLossYuan: 100_000_000}, nil, alerts.LevelI, "production_safety.loss-100m"},
		{"ps most serious wins", "production_safety", alerts.Facts{Deaths: 3, Injuries: 60}, nil, alerts.LevelII, "production_safety.deaths-3"},

		// Mass incidents: the provincial plan for I and II, local III, IV below.
		{"mass 99", "mass_incident", alerts.Facts{PeopleInvolved: 99}, nil, alerts.LevelIV, "mass_incident.base"},
		{"mass 100", "mass_incident", alerts.Facts{PeopleInvolved: 100}, nil, alerts.LevelIII, "mass_incident.participants-100"},
		{"mass 999", "mass_incident", alerts.Facts{PeopleInvolved: 999}, nil, alerts.LevelIII, "mass_incident.participants-100"},
		{"mass 1000", "mass_incident", alerts.Facts{PeopleInvolved: 1000}, nil, alerts.LevelII, "mass_incident.participants-1000"},
		{"mass 2999", "mass_incident", alerts.Facts{PeopleInvolved: 2999}, nil, alerts.LevelII, "mass_incident.participants-1000"},
		{"mass 3000", "mass_incident", alerts.Facts{PeopleInvolved: 3000}, nil, alerts.LevelI, "mass_incident.participants-3000"},
		{"mass sensitive 29", "mass_incident", alerts.Facts{PeopleInvolved: 29}, sensitive, alerts.LevelIV, "mass_incident.base"},
		{"mass sensitive 30", "mass_incident", alerts.Facts{PeopleInvolved: 30}, sensitive, alerts.LevelIII, "mass_incident.sensitive-30"},
		{"mass sensitive 99", "mass_incident", alerts.Facts{PeopleInvolved: 99}, sensitive, alerts.LevelIII, "mass_incident.sensitive-30"},
		{"mass sensitive 100", "mass_incident", alerts.Facts{PeopleInvolved: 100}, sensitive, alerts.LevelII, "mass_incident.sensitive-100"},
		{"mass sensitive 199", "mass_incident", alerts.Facts{PeopleInvolved: 199}, sensitive, alerts.LevelII, "mass_incident.sensitive-100"},
		{"mass sensitive 200", "mass_incident", alerts.Facts{PeopleInvolved: 200}, sensitive, alerts.LevelI, "mass_incident.sensitive-200"},
		{"mass school zone is not sensitive", "mass_incident", alerts.Facts{PeopleInvolved: 50}, []string{"school"}, alerts.LevelIV, "mass_incident.base"},
		{"mass dead 1", "mass_incident", alerts.Facts{Deaths: 1}, nil, alerts.LevelIII, "mass_incident.deaths-1"},
		{"mass dead 2", "mass_incident", alerts.Facts{Deaths: 2}, nil, alerts.LevelIII, "mass_incident.deaths-1"},
		{"mass dead 3", "mass_incident", alerts.Facts{Deaths: 3}, nil, alerts.LevelII, "mass_incident.deaths-3"},
		{"mass dead 9", "mass_incident", alerts.Facts{Deaths: 9}, nil, alerts.LevelII, "mass_incident.deaths-3"},
		{"mass dead 10", "mass_incident", alerts.Facts{Deaths: 10}, nil, alerts.LevelI, "mass_incident.deaths-10"},
		{"mass injured 2", "mass_incident", alerts.Facts{Injuries: 2}, nil, alerts.LevelIV, "mass_incident.base"},
		{"mass casualties 3", "mass_incident", alerts.Facts{Injuries: 3}, nil, alerts.LevelIII, "mass_incident.casualties-3"},
		{"mass casualties 9", "mass_incident", alerts.Facts{Injuries: 9}, nil, alerts.LevelIII, "mass_incident.casualties-3"},
		{"mass casualties 10 together", "mass_incident", alerts.Facts{Deaths: 2, Injuries: 8}, nil, alerts.LevelII, "mass_incident.casualties-10"},
		{"mass casualties 29", "mass_incident", alerts.Facts{Injuries: 29}, nil, alerts.LevelII, "mass_incident.casualties-10"},
		{"mass casualties 30 together", "mass_incident", alerts.Facts{Deaths: 1, Injuries: 29}, nil, alerts.LevelI, "mass_incident.casualties-30"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := g.Grade(tc.category, tc.facts, alerts.Situation{ZoneKinds: tc.zones, At: ordinary})
			if err != nil {
				t.Fatal(err)
			}
			if res.Level != tc.want {
				t.Errorf("level %s, want %s (reasons %+v)", res.Level, tc.want, res.Reasons)
			}
			found := false
			for _, r := range res.Reasons {
				if r.RuleID == tc.wantRule {
					found = true
				}
				if r.ZH == "" || r.EN == "" || !r.Level.Valid() {
					t.Errorf("reason %+v lacks words or level", r)
				}
				if r.Level > res.Level {
					t.Errorf("reason %s is above the result", r.RuleID)
				}
			}
			if !found {
				t.Errorf("rule %s did not fire; reasons %+v", tc.wantRule, res.Reasons)
			}
		})
	}
}

func TestEveryCategoryGrades(t *testing.T) {
	g, cfg := sampleGrader(t)
	want := strings.Fields(`mass_incident production_safety fire flood_typhoon geological hazardous_chemicals
		crowd food_safety epidemic traffic public_order labour_dispute civil_dispute enterprise_risk foreign_related`)
	if len(cfg.Categories) != len(want) {
		t.Fatalf("%d categories, want %d", len(cfg.Categories), len(want))
	}
	for _, id := range want {
		cat := cfg.Category(id)
		if cat == nil {
			t.Fatalf("category %s missing", id)
		}
		if len(cat.Rules) == 0 {
			t.Errorf("category %s has no rules", id)
		}
		res, err := g.Grade(id, alerts.Facts{}, alerts.Situation{At: ordinary})
		if err != nil || res.Level != alerts.LevelIV || len(res.Reasons) != 1 {
			t.Errorf("%s with no facts: %+v, %v; want IV with the base reason", id, res, err)
		}
		// Every category reaches a level above IV by some rule.
		high := alerts.LevelNone
		for _, r := range cat.Rules {
			high = max(high, r.Level)
		}
		if high < alerts.LevelIII {
			t.Errorf("%s: no rule above IV", id)
		}
	}
	if _, err := g.Grade("nope", alerts.Facts{}, alerts.Situation{}); err == nil {
		t.Error("unknown category graded")
	}
}

func TestSensitivePeriods(t *testing.T) {
	g, _ := sampleGrader(t)
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	tests := []struct {
		name string
		at   time.Time
		want alerts.Level
	}{
		{"before national day (local)", time.Date(2026, 9, 30, 23, 59, 0, 0, shanghai), alerts.LevelIV},
		{"first day, local midnight", time.Date(2026, 10, 1, 0, 0, 0, 0, shanghai), alerts.LevelIII},
		{"first day, still 30 Sep in UTC", time.Date(2026, 9, 30, 16, 30, 0, 0, time.UTC), alerts.LevelIII},
		{"last day", time.Date(2026, 10, 7, 23, 59, 0, 0, shanghai), alerts.LevelIII},
		{"after", time.Date(2026, 10, 8, 0, 0, 0, 0, shanghai), alerts.LevelIV},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := g.Grade("foreign_related", alerts.Facts{PeopleInvolved: 2}, alerts.Situation{At: tc.at})
			if err != nil {
				t.Fatal(err)
			}
			if res.Level != tc.want {
				t.Errorf("level %s, want %s", res.Level, tc.want)
			}
		})
	}
	// A rule needing zone and period needs both.
	in := time.Date(2026, 10, 3, 12, 0, 0, 0, shanghai)
	for _, tc := range []struct {
		zones []string
		at    time.Time
		want  alerts.Level
	}{
		{[]string{"sensitive"}, in, alerts.LevelIII},
		{nil, in, alerts.LevelIV},
		{[]string{"sensitive"}, ordinary, alerts.LevelIV},
	} {
		res, _ := g.Grade("public_order", alerts.Facts{PeopleInvolved: 10}, alerts.Situation{ZoneKinds: tc.zones, At: tc.at})
		if res.Level != tc.want {
			t.Errorf("public_order zones %v at %s: %s, want %s", tc.zones, tc.at, res.Level, tc.want)
		}
	}
}

func TestRangeBounds(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name string
		r    alerts.Range
		v    float64
		want bool
	}{
		{"min includes N by default", alerts.Range{Min: f(10)}, 10, true},
		{"below min", alerts.Range{Min: f(10)}, 9.99, false},
		{"min exclusive", alerts.Range{Min: f(10), MinExclusive: true}, 10, false},
		{"max excludes N by default", alerts.Range{Max: f(30)}, 30, false},
		{"below max", alerts.Range{Max: f(30)}, 29, true},
		{"max inclusive (Civil Code reading)", alerts.Range{Max: f(30), MaxInclusive: true}, 30, true},
		{"between", alerts.Range{Min: f(3), Max: f(10)}, 9, true},
	}
	for _, tc := range tests {
		if got := tc.r.Contains(tc.v); got != tc.want {
			t.Errorf("%s: Contains(%v) = %v", tc.name, tc.v, got)
		}
	}
}

func BenchmarkGrade(b *testing.B) {
	g, _ := sampleGrader(b)
	facts := alerts.Facts{PeopleInvolved: 150, Deaths: 1, Injuries: 4}
	sit := alerts.Situation{ZoneKinds: []string{"sensitive"}, At: ordinary}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Grade("mass_incident", facts, sit); err != nil {
			b.Fatal(err)
		}
	}
}

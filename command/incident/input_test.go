package incident

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"watchfloor/alerts"
	"watchfloor/command/fault"
	"watchfloor/config"
	"watchfloor/geo"
)

func TestMasking(t *testing.T) {
	for in, want := range map[string]string{"张三丰": "张**", "李四": "李*", "王": "王*", "": "", "Alice": "A****"} {
		if got := MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"13812345678": "138****5678", "+8613812345678": "+86*******5678", "110": "**0", "": ""} {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
	inc := &Incident{Reporter: &Reporter{Name: "张三", Phone: "13812345678"}}
	if m := inc.Masked(); m.Reporter.Name != "张*" || inc.Reporter.Name != "张三" {
		t.Errorf("Masked changed the original or did not mask: %+v %+v", m.Reporter, inc.Reporter)
	}
}

func TestDecodeNamesFields(t *testing.T) {
	tests := map[string]string{
		`{"title": 5}`:                "title",
		`{"location": {"lon": true}}`: "location.lon",
		`{"reporter": {"name": [1]}}`: "reporter.name",
		`{"nope": 1}`:                 "nope",
		`{"deaths": 1e30}`:            "deaths",
		`{"verified": "yes"}`:         "verified",
		`{"location": [114, 22]}`:     "location",
	}
	for body, field := range tests {
		_, err := Decode([]byte(body))
		var inv *fault.Invalid
		if !errors.As(err, &inv) || inv.Errors[0].Field != field {
			t.Errorf("%s: %v, want a field error on %s", body, err, field)
		}
	}
}

// FuzzDecode feeds the incident decoder and validator arbitrary bodies: it
// must never panic, and whatever passes must be a report a first create
// accepts without out-of-range values: a finite location in range when
// present, a title with visible characters and no control characters, a
// time from 1970 to a little ahead of now.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"category":"fire","title":"x","location":{"lon":114.12,"lat":22.54},"deaths":3}`,
		`{"category":"mass_incident","title":"聚集","grid":"440303001001001","people_involved":200,"reporter":{"name":"张三","phone":"138"}}`,
		`{"occurred_at":"2026-11-23T08:00:00+08:00","direct_loss_yuan":1.5e7,"verified":true,"drill":false}`,
		`{"location":{"lon":-180,"lat":90}}`, `[]`, `{`, `null`, `{"deaths":-1}`,
		`{"category":"fire","title":"\u200b","location":{}}`, `{"category":"fire","title":"x","location":{"lon":114.1}}`,
		`{"category":"fire","title":"x","title":"y","grid":"440303001001001"}`, `{"category":"fire","TITLE":"x"}`,
		`{"category":"fire","title":"x","grid":"440303001001001","occurred_at":"0000-01-01T00:00:00Z"}`,
		// many members, distinct and repeated: the duplicate search past
		// the small-object list (once quadratic).
		"{" + members(1000, false) + "}", "{" + members(1000, true) + "}",
		`{"category":"fire","title":"x","location":{"lon":114.1,"lat":22.5,` + members(300, false) + `}`,
	} {
		f.Add([]byte(s))
	}
	cfg, err := config.Load("../../config/sample/watchfloor.yaml", func(string) string { return "" })
	if err != nil {
		f.Fatal(err)
	}
	grids, _ := os.ReadFile(cfg.Path(cfg.Map.Grids))
	zones, _ := os.ReadFile(cfg.Path(cfg.Map.Zones))
	m, err := geo.NewMap(grids, zones)
	if err != nil {
		f.Fatal(err)
	}
	grader := alerts.NewGrader(cfg.Categories, cfg.Periods, cfg.Location)
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := Decode(b)
		if err != nil {
			var inv *fault.Invalid
			if !errors.As(err, &inv) || len(inv.Errors) == 0 {
				t.Fatalf("decode error is not a field error: %v", err)
			}
			return
		}
		now := time.Now()
		if err := in.check(true, now, grader, m); err == nil {
			if l := in.Location; l != nil && (math.IsNaN(l.Lon) || math.IsNaN(l.Lat) || l.Lon < -180 || l.Lon > 180 || l.Lat < -90 || l.Lat > 90) {
				t.Fatalf("accepted %v", l)
			}
			if in.Title == nil || !Visible(*in.Title) || strings.ContainsFunc(*in.Title, unicode.IsControl) {
				t.Fatalf("accepted the title %q", *in.Title)
			}
			if !in.occurredAt.IsZero() && (in.occurredAt.Before(time.Unix(0, 0)) || in.occurredAt.After(now.Add(futureTolerance))) {
				t.Fatalf("accepted the time %v", in.occurredAt)
			}
			if in.Category == nil || !grader.Known(*in.Category) {
				t.Fatalf("accepted without a known category")
			}
			inc := &Incident{}
			in.apply(inc)
			if inc.Deaths < 0 || inc.Injuries < 0 || inc.PeopleInvolved < 0 || inc.DirectLossYuan < 0 {
				t.Fatalf("accepted negative facts %+v", inc.Facts)
			}
		}
		if _, err := json.Marshal(in); err != nil {
			t.Fatalf("re-encoding: %v", err)
		}
	})
}

// TestCleanNote: a free-text note (redirect, task, report sent, daily
// report) is cleaned as an incident's text is; one with nothing visible
// is none.
func TestCleanNote(t *testing.T) {
	for in, want := range map[string]string{
		"电话\u202e报告":         "电话报告",
		"a\u0000b":           "ab",
		"\u200b秩序已恢复\u200b":  "秩序已恢复",
		"\u202e\u200b\u0000": "",
		" 一\n二\t\u0007 ":     "一\n二",
		"👨\u200d👩":           "👨\u200d👩",
	} {
		if got := CleanNote(in); got != want {
			t.Errorf("CleanNote(%q) = %q, want %q", in, got, want)
		}
	}
}

// members is n JSON members "k0":0,"k1":0,… (or n times "k":0), without braces.
func members(n int, repeated bool) string {
	if repeated {
		return strings.TrimSuffix(strings.Repeat(`"k":0,`, n), ",")
	}
	parts := make([]string, n)
	for i := range parts {
		parts[i] = `"k` + strconv.Itoa(i) + `":0`
	}
	return strings.Join(parts, ",")
}

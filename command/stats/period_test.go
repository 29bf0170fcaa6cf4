package stats

import (
	"errors"
	"testing"
	"time"

	"watchfloor/command/fault"
)

// A period's year is 1970 to 9998 (a huge year once wrapped into another
// period); a bad at or period is a field error naming the one sent.
func TestPeriodYears(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	for _, tc := range []struct {
		kind, at, field string // field "" when accepted
	}{
		{"month", "1970-01", ""}, {"month", "9998-12", ""}, {"quarter", "1970-Q1", ""}, {"quarter", "9998-Q4", ""}, {"quarter", "9998-11", ""},
		{"month", "1969-12", "at"}, {"month", "0000-01", "at"}, {"month", "9999-01", "at"},
		{"quarter", "9223372036854775807-Q1", "at"}, {"quarter", "-9223372036854775808-Q1", "at"}, {"quarter", "0-Q1", "at"},
		{"quarter", "+2026-Q1", "at"}, {"quarter", "2026-Q01", "at"}, {"quarter", "1969-Q4", "at"}, {"quarter", "9999-Q1", "at"},
		{"quarter", "0000-02", "at"}, {"month", "2026-13", "at"}, {"year", "2026", "period"},
	} {
		p, err := ParsePeriod(tc.kind, tc.at, loc)
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s %s: %v", tc.kind, tc.at, err)
			}
			continue
		}
		var inv *fault.Invalid
		if !errors.As(err, &inv) || len(inv.Errors) != 1 || inv.Errors[0].Field != tc.field {
			t.Errorf("%s %s: %+v %v, want a field error on %s", tc.kind, tc.at, p, err, tc.field)
		}
	}
}

// FuzzParsePeriod: whatever period a report's query asks for, the answer
// is a field error naming period (an unknown kind) or at, or a period of
// the years allowed that starts on the first of its month at midnight,
// ends on the last day of its month or quarter, and reads back from its
// label as itself.
func FuzzParsePeriod(f *testing.F) {
	for _, at := range []string{"2026-11", "2026-Q4", "2026-02", "0000-01", "9999-12", "1970-Q1", "9998-Q4", "2026-Q0", "2026-Q5", "2026-13",
		"9223372036854775807-Q1", "-001-Q1", "2026-Q1x", "+2026-Q1", "2026-1", ""} {
		f.Add("month", at)
		f.Add("quarter", at)
	}
	f.Add("year", "2026")
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, kind, at string) {
		p, err := ParsePeriod(kind, at, loc)
		if err != nil {
			var bad *fault.Invalid
			want := "at"
			if kind != "month" && kind != "quarter" {
				want = "period"
			}
			if !errors.As(err, &bad) || len(bad.Errors) != 1 || bad.Errors[0].Field != want {
				t.Fatalf("ParsePeriod(%q, %q): %v, want a field error on %s", kind, at, err, want)
			}
			return
		}
		months := map[string]int{"month": 1, "quarter": 3}[kind]
		y := p.From.Year()
		if y < MinYear || y > MaxYear || p.From.Day() != 1 || p.From.Hour() != 0 || p.From.Location() != loc ||
			!p.To.Equal(p.From.AddDate(0, months, -1)) || kind == "quarter" && (p.From.Month()-1)%3 != 0 {
			t.Fatalf("ParsePeriod(%q, %q) = %+v", kind, at, p)
		}
		again, err := ParsePeriod(kind, p.Label, loc)
		if err != nil || !again.From.Equal(p.From) || !again.To.Equal(p.To) || again.Label != p.Label {
			t.Fatalf("ParsePeriod(%q, %q) = %+v, and from its label %+v, %v", kind, at, p, again, err)
		}
	})
}

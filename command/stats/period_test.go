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

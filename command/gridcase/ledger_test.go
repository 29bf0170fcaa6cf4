package gridcase

import (
	"errors"
	"slices"
	"testing"
	"time"

	"watchfloor/command/fault"
)

func TestParsePeriod(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	s := NewService(nil, Options{Location: shanghai}, nil, nil, nil)
	for _, tc := range []struct {
		name, from, to string
		bad            []string
	}{
		{"one day", "2026-12-01", "2026-12-01", nil},
		{"a leap year", "2024-01-01", "2024-12-31", nil},
		{"366 days", "2025-01-01", "2026-01-01", nil},
		{"367 days", "2025-01-01", "2026-01-02", []string{"to"}},
		{"reversed", "2026-12-02", "2026-12-01", []string{"to"}},
		{"both missing", "", "", []string{"from", "to"}},
		{"not dates", "2026-02-30", "tomorrow", []string{"from", "to"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from, to, err := s.ParsePeriod(tc.from, tc.to)
			var inv *fault.Invalid
			if tc.bad == nil {
				if err != nil {
					t.Fatalf("%v", err)
				}
				if from.Location() != shanghai || from.Hour() != 0 || !to.After(from) || to.Hour() != 0 {
					t.Errorf("period %v – %v", from, to)
				}
				return
			}
			if !errors.As(err, &inv) {
				t.Fatalf("want a field error, got %v", err)
			}
			var fields []string
			for _, f := range inv.Errors {
				fields = append(fields, f.Field)
			}
			if !slices.Equal(fields, tc.bad) {
				t.Errorf("fields %v, want %v", fields, tc.bad)
			}
		})
	}
}

func TestWasOverdue(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []Entry
		want    bool
	}{
		{"never", []Entry{{Action: "collect"}, {Action: "escalate", By: "op"}}, false},
		{"overdue entry", []Entry{{Action: "overdue", By: "system"}}, true},
		{"escalated by the time limit", []Entry{{Action: "escalate", By: "system"}}, true},
	} {
		if got := (LedgerRow{Timeline: tc.entries}).WasOverdue(); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}

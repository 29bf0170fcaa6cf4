package audit_test

import (
	"testing"
	"time"

	"watchfloor/command/audit"
)

// TestQueryStart: a read starts at From, or, for one incident's records
// (by incident_id, or an incident's id as object), the day before its id's
// day; otherwise at the beginning.
func TestQueryStart(t *testing.T) {
	from := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	day := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		q    audit.Query
		want time.Time
	}{
		{"from", audit.Query{From: from, IncidentID: "INC-20261206-0001"}, from},
		{"incident", audit.Query{IncidentID: "INC-20261206-0001"}, day},
		{"objectIsAnIncident", audit.Query{Object: "INC-20261206-0042"}, day},
		{"otherObject", audit.Query{Object: "D-20261206-0001"}, time.Time{}},
		{"noDate", audit.Query{IncidentID: "INC-1"}, time.Time{}},
		{"badDate", audit.Query{IncidentID: "INC-20261332-0001"}, time.Time{}},
		{"short", audit.Query{IncidentID: "INC-2026120"}, time.Time{}},
		{"nothing", audit.Query{Who: "alice"}, time.Time{}},
	} {
		if got := c.q.Start(); !got.Equal(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// Package audit is the append-only trail of every change of state: who, in
// which role, when, what and why. Records are written in the same atomic
// step as the change they describe, so the trail cannot miss one.
package audit

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"time"
)

// Record is one change of state.
type Record struct {
	At         time.Time      `json:"at"`
	Who        string         `json:"who"`
	Role       string         `json:"role"`
	Action     string         `json:"action"`
	Object     string         `json:"object"`
	IncidentID string         `json:"incident_id,omitempty"`
	Reason     string         `json:"reason,omitempty"`
	Detail     map[string]any `json:"detail,omitempty"`
}

// Query filters the trail; empty fields do not filter.
type Query struct {
	From, To   time.Time
	Who        string
	Action     string // a prefix: "dispatch" matches dispatch.created …
	Object     string
	IncidentID string
	Limit      int
}

// Match reports whether r passes q's filters other than time.
func (q *Query) Match(r *Record) bool {
	return (q.Who == "" || r.Who == q.Who) &&
		(q.Action == "" || strings.HasPrefix(r.Action, q.Action)) &&
		(q.Object == "" || r.Object == q.Object) &&
		(q.IncidentID == "" || r.IncidentID == q.IncidentID)
}

// Store reads the trail.
type Store interface {
	Audit(ctx context.Context, q Query) ([]Record, error)
	// Append adds a record that belongs to no other write (a login).
	Append(ctx context.Context, r Record) error
}

// CSV renders records for spreadsheet programs: UTF-8 with a BOM so that
// Chinese reads right, and cells that start with = + - @ escaped so that
// nothing in the trail runs as a formula.
func CSV(records []Record) []byte {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"at", "who", "role", "action", "object", "incident_id", "reason", "detail"})
	for _, r := range records {
		detail := ""
		if len(r.Detail) > 0 {
			b, _ := json.Marshal(r.Detail)
			detail = string(b)
		}
		row := []string{r.At.UTC().Format(time.RFC3339), r.Who, r.Role, r.Action, r.Object, r.IncidentID, r.Reason, detail}
		for i, c := range row {
			row[i] = SafeCell(c)
		}
		_ = w.Write(row)
	}
	w.Flush()
	return buf.Bytes()
}

// SafeCell escapes a cell a spreadsheet would read as a formula.
func SafeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

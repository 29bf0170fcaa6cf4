// Package audit is the append-only trail of every change of state: who, in
// which role, when, what and why. Records are written in the same atomic
// step as the change they describe, so the trail cannot miss one.
package audit

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"watchfloor/command/vocab"
)

// Record is one change of state.
type Record struct {
	At         time.Time      `json:"at"`
	Who        string         `json:"who"`
	Role       vocab.Role     `json:"role"`
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

// Start is where a read of q may begin: From, or, with none, for the
// records of one incident (by incident_id, or an incident's id as object)
// the day before the day its id names (INC-YYYYMMDD-…, a local day: one
// day earlier covers every time zone): none of its records is older, and
// the whole trail before it need not be read. The zero time reads all.
func (q *Query) Start() time.Time {
	if !q.From.IsZero() {
		return q.From
	}
	for _, id := range []string{q.IncidentID, q.Object} {
		if day, ok := strings.CutPrefix(id, "INC-"); ok && len(day) > 8 && day[8] == '-' {
			if t, err := time.Parse("20060102", day[:8]); err == nil {
				return t.AddDate(0, 0, -1)
			}
		}
	}
	return time.Time{}
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
		row := []string{r.At.UTC().Format(time.RFC3339), r.Who, string(r.Role), r.Action, r.Object, r.IncidentID, r.Reason, detail}
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

// Exported is a record leaving the trail: its stream id and its JSON.
type Exported struct {
	ID     string          `json:"id"`
	Record json.RawMessage `json:"record"`
}

// Expirer removes the records older than cutoff from the trail, handing
// each batch to export first (when export is set) and removing only what
// export accepted.
type Expirer interface {
	ExpireAudit(ctx context.Context, cutoff time.Time, export func([]Exported) error) (int, error)
}

// Retainer keeps the trail within Retention: every Interval it appends the
// records past it to File (JSON lines, fsynced) and then removes them.
type Retainer struct {
	Store     Expirer
	Retention time.Duration
	Interval  time.Duration
	// File is the append-only export; empty drops old records unexported.
	File string
	Now  func() time.Time
	Log  *slog.Logger
}

// Run expires old records every Interval until ctx ends.
func (r *Retainer) Run(ctx context.Context) error {
	if r.Retention <= 0 {
		return nil
	}
	t := time.NewTicker(r.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if n, err := r.Once(ctx); err != nil && ctx.Err() == nil {
			r.Log.Error("expiring audit records failed", "err", err)
		} else if n > 0 {
			r.Log.Info("audit records past their retention left redis", "records", n, "export_file", r.File)
		}
	}
}

// Once expires the records past the retention now.
func (r *Retainer) Once(ctx context.Context) (int, error) {
	var export func([]Exported) error
	if r.File != "" {
		export = r.append
	}
	return r.Store.ExpireAudit(ctx, r.Now().Add(-r.Retention), export)
}

// append writes batch to the export file and syncs it to disk.
func (r *Retainer) append(batch []Exported) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, e := range batch {
		if err := enc.Encode(e); err != nil {
			return fmt.Errorf("encoding audit record %s: %w", e.ID, err)
		}
	}
	f, err := os.OpenFile(r.File, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("opening the audit export: %w", err)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return fmt.Errorf("writing the audit export: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("syncing the audit export: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing the audit export: %w", err)
	}
	return nil
}

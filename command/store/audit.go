package store

import (
	"context"
	"encoding/json"
	"strconv"

	"watchfloor/command/audit"
	"watchfloor/command/incident"
)

// The audit trail is the stream audit (auto ids: the time of the change),
// never trimmed, written by the same Lua step as each change.

var _ audit.Store = (*Store)(nil)

// auditOf turns timeline entries of an incident into audit records.
func auditOf(incidentID string, entries []incident.Entry) [][]byte {
	out := make([][]byte, 0, len(entries))
	for _, e := range entries {
		object := incidentID
		if d, ok := e.Detail["dispatch_id"].(string); ok {
			object = d
		} else if a, ok := e.Detail["activation_id"].(string); ok {
			object = a
		}
		detail := map[string]any{}
		for k, v := range e.Detail {
			detail[k] = v
		}
		if e.Level.Valid() {
			detail["level"] = e.Level.String()
		}
		if e.Status != "" {
			detail["status"] = e.Status
		}
		b, _ := json.Marshal(audit.Record{At: e.At, Who: e.By, Role: e.Role, Action: action(e.Type), Object: object,
			IncidentID: incidentID, Reason: e.Reason, Detail: detail})
		out = append(out, b)
	}
	return out
}

// action names a timeline entry type as an audit action.
func action(t string) string {
	switch t {
	case "created", "report", "level.raised", "level.set", "status":
		return "incident." + t
	}
	return t
}

func auditRecord(r audit.Record) []byte {
	b, _ := json.Marshal(r)
	return b
}

// Append implements audit.Store.
func (s *Store) Append(ctx context.Context, r audit.Record) error {
	if err := s.check("auditing"); err != nil {
		return err
	}
	_, err := s.Commit(ctx, &Tx{At: r.At, Audit: [][]byte{auditRecord(r)}})
	return err
}

// Audit implements audit.Store: the records between q.From and q.To that
// pass its filters, oldest first.
func (s *Store) Audit(ctx context.Context, q audit.Query) ([]audit.Record, error) {
	if err := s.check("reading the audit trail"); err != nil {
		return nil, err
	}
	from, to := "-", "+"
	if !q.From.IsZero() {
		from = strconv.FormatInt(q.From.UnixMilli(), 10)
	}
	if !q.To.IsZero() {
		to = strconv.FormatInt(q.To.UnixMilli(), 10)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 1000
	}
	var out []audit.Record
	key := s.Key("audit")
	for {
		msgs, err := s.rdb.XRangeN(ctx, key, from, to, 1000).Result()
		if err != nil {
			return nil, s.wrap("reading the audit trail", err)
		}
		for _, m := range msgs {
			raw, _ := m.Values["r"].(string)
			var r audit.Record
			if json.Unmarshal([]byte(raw), &r) != nil || !q.Match(&r) {
				continue
			}
			out = append(out, r)
			if len(out) >= limit {
				return out, nil
			}
		}
		if len(msgs) < 1000 {
			return out, nil
		}
		from = "(" + msgs[len(msgs)-1].ID
	}
}

package memstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"watchfloor/command/audit"
	"watchfloor/command/change"
)

// trail is the audit trail: records (JSON) with stream ids of the time they
// were stored, oldest first.
type trail struct {
	last    streamID
	records []record
}

type record struct {
	id  streamID
	raw []byte
}

func (t *trail) add(now time.Time, raw []byte) {
	t.last = nextStreamID(t.last, now)
	t.records = append(t.records, record{id: t.last, raw: raw})
}

var (
	_ audit.Store   = (*Store)(nil)
	_ audit.Expirer = (*Store)(nil)
)

// Append implements audit.Store.
func (s *Store) Append(ctx context.Context, r audit.Record) error {
	_, err := s.Apply(ctx, &change.Change{At: r.At, Audit: []audit.Record{r}})
	return err
}

// Audit implements audit.Store: the records stored between q.From and q.To
// (by the time they were stored, in ms) that pass its filters, oldest
// first, at most q.Limit (1,000 when 0).
func (s *Store) Audit(ctx context.Context, q audit.Query) ([]audit.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("reading the audit trail: %w", err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 1000
	}
	s.mu.Lock()
	recs := slices.Clone(s.trail.records)
	s.mu.Unlock()
	var out []audit.Record
	for _, rec := range recs {
		ms := int64(rec.id.ms)
		if !q.From.IsZero() && ms < q.From.UnixMilli() || !q.To.IsZero() && ms > q.To.UnixMilli() {
			continue
		}
		var r audit.Record
		if json.Unmarshal(rec.raw, &r) != nil || !q.Match(&r) {
			continue
		}
		out = append(out, r)
		if len(out) >= limit {
			break
		}
	}
	return out, nil
}

// ExpireAudit implements audit.Expirer: the records stored before cutoff
// leave the trail, handed to export first when it is set (and only those
// export accepted).
func (s *Store) ExpireAudit(ctx context.Context, cutoff time.Time, export func([]audit.Exported) error) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for n < len(s.trail.records) && int64(s.trail.records[n].id.ms) < cutoff.UnixMilli() {
		n++
	}
	if n == 0 {
		return 0, nil
	}
	if export != nil {
		batch := make([]audit.Exported, n)
		for i, r := range s.trail.records[:n] {
			batch[i] = audit.Exported{ID: r.id.String(), Record: json.RawMessage(slices.Clone(r.raw))}
		}
		if err := export(batch); err != nil {
			return 0, err
		}
	}
	s.trail.records = slices.Clone(s.trail.records[n:])
	return n, nil
}

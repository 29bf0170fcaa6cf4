package records

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/audit"
	"watchfloor/command/change"
	"watchfloor/command/store"
)

// Trail is the audit trail: the stream audit (auto ids: the time of the
// change), written by the same Lua step as each change, and kept within
// its retention by ExpireAudit.
type Trail struct{ s *store.Store }

// NewTrail returns the audit trail of s.
func NewTrail(s *store.Store) *Trail { return &Trail{s: s} }

var (
	_ audit.Store   = (*Trail)(nil)
	_ audit.Expirer = (*Trail)(nil)
)

// Append implements audit.Store.
func (t *Trail) Append(ctx context.Context, r audit.Record) error {
	if err := t.s.Check("auditing"); err != nil {
		return err
	}
	_, err := t.s.Apply(ctx, &change.Change{At: r.At, Audit: []audit.Record{r}})
	return err
}

// Audit implements audit.Store: the records between q.From and q.To that
// pass its filters, oldest first.
func (t *Trail) Audit(ctx context.Context, q audit.Query) ([]audit.Record, error) {
	if err := t.s.Check("reading the audit trail"); err != nil {
		return nil, err
	}
	from, to := "-", "+"
	if start := q.Start(); !start.IsZero() {
		from = strconv.FormatInt(start.UnixMilli(), 10)
	}
	if !q.To.IsZero() {
		to = strconv.FormatInt(q.To.UnixMilli(), 10)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 1000
	}
	var out []audit.Record
	key := t.s.Key("audit")
	for {
		msgs, err := t.s.Client().XRangeN(ctx, key, from, to, 1000).Result()
		if err != nil {
			return nil, t.s.Wrap("reading the audit trail", err)
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

// unlockScript deletes a lock only while its owner holds it.
var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// ExpireAudit implements audit.Expirer. One instance at a time does it
// (a lease in Redis). With export, the records after the last exported id
// (kept in Redis after export returns) and before cutoff are handed over in
// batches, and each batch leaves the stream only after export accepted it:
// a crash between the two exports a batch again, never loses it.
func (t *Trail) ExpireAudit(ctx context.Context, cutoff time.Time, export func([]audit.Exported) error) (int, error) {
	if err := t.s.Check("expiring audit records"); err != nil {
		return 0, err
	}
	key, mark, lock := t.s.Key("audit"), t.s.Key("audit", "exported"), t.s.Key("audit", "expiring")
	owner := make([]byte, 16)
	_, _ = rand.Read(owner)
	ok, err := t.s.Client().SetNX(ctx, lock, hex.EncodeToString(owner), 5*time.Minute).Result()
	if err != nil || !ok {
		return 0, t.s.Wrap("locking the audit trail", err)
	}
	defer unlockScript.Run(context.WithoutCancel(ctx), t.s.Client(), []string{lock}, hex.EncodeToString(owner))
	end := strconv.FormatInt(cutoff.UnixMilli()-1, 10)
	if export == nil {
		n, err := t.s.Client().XTrimMinID(ctx, key, strconv.FormatInt(cutoff.UnixMilli(), 10)).Result()
		return int(n), t.s.Wrap("trimming the audit trail", err)
	}
	total := 0
	for range 1000 {
		from := "-"
		last, err := t.s.Client().Get(ctx, mark).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return total, t.s.Wrap("reading the audit export mark", err)
		}
		if last != "" {
			from = "(" + last
		}
		msgs, err := t.s.Client().XRangeN(ctx, key, from, end, 1000).Result()
		if err != nil {
			return total, t.s.Wrap("reading the audit trail", err)
		}
		if len(msgs) == 0 {
			break
		}
		batch := make([]audit.Exported, len(msgs))
		for i, m := range msgs {
			raw, _ := m.Values["r"].(string)
			if !json.Valid([]byte(raw)) {
				b, _ := json.Marshal(raw)
				raw = string(b)
			}
			batch[i] = audit.Exported{ID: m.ID, Record: json.RawMessage(raw)}
		}
		if err := export(batch); err != nil {
			return total, err
		}
		lastID := msgs[len(msgs)-1].ID
		if err := t.s.Client().Set(ctx, mark, lastID, 0).Err(); err != nil {
			return total, t.s.Wrap("storing the audit export mark", err)
		}
		if err := t.s.Client().XTrimMinID(ctx, key, nextStreamID(lastID)).Err(); err != nil {
			return total, t.s.Wrap("trimming the audit trail", err)
		}
		total += len(msgs)
		if len(msgs) < 1000 {
			break
		}
	}
	return total, nil
}

// nextStreamID is the stream id right after id (ms-seq).
func nextStreamID(id string) string {
	ms, seq, _ := strings.Cut(id, "-")
	n, err := strconv.ParseUint(seq, 10, 64)
	if err != nil {
		return id
	}
	return fmt.Sprintf("%s-%d", ms, n+1)
}

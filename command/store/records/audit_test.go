package records_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/audit"
	"watchfloor/command/store"
	"watchfloor/command/store/records"
	"watchfloor/command/store/storetest"
	"watchfloor/command/vocab"
)

// rangeCounter counts the XRANGE commands sent through a client.
type rangeCounter struct{ n int }

func (h *rangeCounter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *rangeCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if strings.EqualFold(cmd.Name(), "xrange") {
			h.n++
		}
		return next(ctx, cmd)
	}
}
func (h *rangeCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestAuditOfAnIncidentReadsFromItsDay: one incident's records are read
// from the day before its id's day, not from the start of the trail: with
// 5,000 older records kept (90 days of them by default, about 15,000 a
// day in a city), the read takes one range instead of six.
func TestAuditOfAnIncidentReadsFromItsDay(t *testing.T) {
	st := storetest.Open(t, store.Options{})
	ctx := context.Background()
	rdb := st.Client()
	old := time.Now().AddDate(0, 0, -10).UnixMilli()
	pipe := rdb.Pipeline()
	for i := range 5000 {
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: st.Key("audit"), ID: fmt.Sprintf("%d-%d", old, i), Values: []string{"r", `{"action":"login","who":"alice"}`}})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	trail := records.NewTrail(st)
	id := "INC-" + time.Now().Format("20060102") + "-0001"
	if err := trail.Append(ctx, audit.Record{At: time.Now(), Who: "bob", Role: vocab.Operator, Action: "incident.created", Object: id, IncidentID: id}); err != nil {
		t.Fatal(err)
	}
	h := &rangeCounter{}
	rdb.AddHook(h)
	recs, err := trail.Audit(ctx, audit.Query{IncidentID: id})
	if err != nil || len(recs) != 1 || recs[0].Object != id {
		t.Fatalf("the incident's records: %+v %v", recs, err)
	}
	if h.n != 1 {
		t.Errorf("read in %d ranges, want 1", h.n)
	}
}

package records

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/alarm"
	"watchfloor/command/change"
	"watchfloor/command/job"
	"watchfloor/command/store"
)

// Jobs keeps durable follow-up jobs. Keys, under the deployment's prefix:
//
//	jobs               stream of jobs (kind, key, incident, data), read by
//	                   the consumer group "runners"; never trimmed by length,
//	                   only below the oldest job not yet acknowledged
//	jobs:attempts      hash job id → failed attempts
//	jobs:done:{id}     set when the recording instance ran the job itself
//
// The same storage serves other streams read the same way (the
// notifications' outbox, and the event streams notifications are made
// from): each has its key, group and prefix for its marks.
type Jobs struct {
	s     *store.Store
	key   string
	group string
	// marks is the prefix of the done marks and the attempts hash.
	marks []string
	// start is where a new group starts reading ("0": all; "$": new only).
	start string
	// trim drops acknowledged entries; never on a stream others read.
	trim   bool
	decode func(context.Context, redis.XMessage) job.Job
}

// NewJobs returns the job storage of s.
func NewJobs(s *store.Store) *Jobs {
	return &Jobs{s: s, key: s.JobsKey(), group: jobGroup, marks: []string{"jobs"}, start: "0", trim: true, decode: jobOf}
}

var _ job.Store = (*Jobs)(nil)

// jobGroup is the consumer group every instance reads jobs in.
const jobGroup = "runners"

// doneTTL is how long a done mark outlives a job that was never
// acknowledged (its reader then finds it done and acknowledges it).
const doneTTL = 24 * time.Hour

// consumerIdle is how long a consumer with nothing pending is kept.
const consumerIdle = time.Hour

// Group implements job.Store.
func (x *Jobs) Group(ctx context.Context) error {
	err := x.s.Client().XGroupCreateMkStream(ctx, x.key, x.group, x.start).Err()
	if err != nil && strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return nil
	}
	return x.s.Wrap("making the job group", err)
}

func jobOf(_ context.Context, m redis.XMessage) job.Job {
	str := func(k string) string { v, _ := m.Values[k].(string); return v }
	return job.Job{ID: m.ID, Kind: str("kind"), Key: str("key"), IncidentID: str("incident"), Data: []byte(str("data"))}
}

// Read implements job.Store.
func (x *Jobs) Read(ctx context.Context, consumer string, n int) ([]job.Job, error) {
	if err := x.s.Check("reading jobs"); err != nil {
		return nil, err
	}
	res, err := x.s.Client().XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: x.group, Consumer: consumer, Streams: []string{x.key, ">"}, Count: int64(n), Block: -1,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		if strings.HasPrefix(err.Error(), "NOGROUP") {
			// The stream was deleted (a flushed Redis): make it again.
			return nil, x.Group(ctx)
		}
		return nil, x.s.Wrap("reading jobs", err)
	}
	var out []job.Job
	for _, st := range res {
		for _, m := range st.Messages {
			out = append(out, x.decode(ctx, m))
		}
	}
	return out, nil
}

// Pending implements job.Store.
func (x *Jobs) Pending(ctx context.Context, n int) (int64, []job.Pending, error) {
	if err := x.s.Check("listing pending jobs"); err != nil {
		return 0, nil, err
	}
	sum, err := x.s.Client().XPending(ctx, x.key, x.group).Result()
	if err != nil {
		return 0, nil, x.s.Wrap("listing pending jobs", err)
	}
	if sum.Count == 0 {
		return 0, nil, nil
	}
	ext, err := x.s.Client().XPendingExt(ctx, &redis.XPendingExtArgs{Stream: x.key, Group: x.group, Start: "-", End: "+", Count: int64(n)}).Result()
	if err != nil {
		return 0, nil, x.s.Wrap("listing pending jobs", err)
	}
	out := make([]job.Pending, len(ext))
	for i, p := range ext {
		out[i] = job.Pending{ID: p.ID, Consumer: p.Consumer, Idle: p.Idle, Deliveries: p.RetryCount}
	}
	return sum.Count, out, nil
}

// Claim implements job.Store.
func (x *Jobs) Claim(ctx context.Context, consumer string, minIdle time.Duration, id string) (job.Job, bool, error) {
	if err := x.s.Check("claiming a job"); err != nil {
		return job.Job{}, false, err
	}
	ms, err := x.s.Client().XClaim(ctx, &redis.XClaimArgs{Stream: x.key, Group: x.group, Consumer: consumer, MinIdle: minIdle, Messages: []string{id}}).Result()
	if err != nil {
		return job.Job{}, false, x.s.Wrap("claiming a job", err)
	}
	for _, m := range ms {
		if m.ID == id && m.Values != nil {
			return x.decode(ctx, m), true, nil
		}
	}
	return job.Job{}, false, nil
}

// Ack implements job.Store: one XACK, DEL and HDEL for all of ids.
func (x *Jobs) Ack(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := x.s.Check("acknowledging jobs"); err != nil {
		return err
	}
	marks := x.doneKeys(ids)
	_, err := x.s.Client().TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XAck(ctx, x.key, x.group, ids...)
		p.Del(ctx, marks...)
		p.HDel(ctx, x.markKey("attempts"), ids...)
		return nil
	})
	return x.s.Wrap("acknowledging jobs", err)
}

// doneKeys are the keys of the done marks of ids.
func (x *Jobs) doneKeys(ids []string) []string {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = x.markKey("done", id)
	}
	return keys
}

// MarkDone implements job.Store.
func (x *Jobs) MarkDone(ctx context.Context, id string) error {
	if err := x.s.Check("marking a job done"); err != nil {
		return err
	}
	return x.s.Wrap("marking a job done", x.s.Client().Set(ctx, x.markKey("done", id), "1", doneTTL).Err())
}

// Done implements job.Store: one MGET of the marks of ids.
func (x *Jobs) Done(ctx context.Context, ids ...string) ([]bool, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if err := x.s.Check("reading jobs' marks"); err != nil {
		return nil, err
	}
	marks := x.doneKeys(ids)
	vals, err := x.s.Client().MGet(ctx, marks...).Result()
	if err != nil {
		return nil, x.s.Wrap("reading jobs' marks", err)
	}
	if len(vals) != len(ids) {
		return nil, fmt.Errorf("reading jobs' marks: %d answers for %d jobs", len(vals), len(ids))
	}
	done := make([]bool, len(ids))
	for i, v := range vals {
		done[i] = v != nil
	}
	return done, nil
}

// Failed implements job.Store.
func (x *Jobs) Failed(ctx context.Context, id string) (int64, error) {
	if err := x.s.Check("counting a failed job"); err != nil {
		return 0, err
	}
	n, err := x.s.Client().HIncrBy(ctx, x.markKey("attempts"), id, 1).Result()
	return n, x.s.Wrap("counting a failed job", err)
}

// Trim implements job.Store: it drops the jobs below the oldest one still
// pending, or below the last delivered when none is pending; jobs not yet
// delivered lie above that, so no job is lost. Consumers of instances gone
// for an hour, with nothing pending, are forgotten.
func (x *Jobs) Trim(ctx context.Context, keep string) error {
	if !x.trim {
		return nil
	}
	if err := x.s.Check("trimming jobs"); err != nil {
		return err
	}
	key := x.key
	groups, err := x.s.Client().XInfoGroups(ctx, key).Result()
	if err != nil {
		return x.s.Wrap("trimming jobs", err)
	}
	minID := ""
	for _, g := range groups {
		if g.Name == x.group {
			minID = g.LastDeliveredID
		}
	}
	if minID == "" || minID == "0-0" {
		return nil
	}
	sum, err := x.s.Client().XPending(ctx, key, x.group).Result()
	if err != nil {
		return x.s.Wrap("trimming jobs", err)
	}
	if sum.Count > 0 && lessID(sum.Lower, minID) {
		minID = sum.Lower
	}
	if err := x.s.Client().XTrimMinID(ctx, key, minID).Err(); err != nil {
		return x.s.Wrap("trimming jobs", err)
	}
	consumers, err := x.s.Client().XInfoConsumers(ctx, key, x.group).Result()
	if err != nil {
		return x.s.Wrap("trimming jobs", err)
	}
	for _, c := range consumers {
		if c.Name != keep && c.Pending == 0 && c.Idle > consumerIdle {
			_ = x.s.Client().XGroupDelConsumer(ctx, key, x.group, c.Name).Err()
		}
	}
	return nil
}

// markKey is the key of a mark of these jobs (done marks, attempts).
func (x *Jobs) markKey(parts ...string) string {
	return x.s.Key(append(append([]string{}, x.marks...), parts...)...)
}

// lessID compares stream ids ms-seq.
func lessID(a, b string) bool {
	am, as, _ := strings.Cut(a, "-")
	bm, bs, _ := strings.Cut(b, "-")
	an, _ := strconv.ParseUint(am, 10, 64)
	bn, _ := strconv.ParseUint(bm, 10, 64)
	if an != bn {
		return an < bn
	}
	asn, _ := strconv.ParseUint(as, 10, 64)
	bsn, _ := strconv.ParseUint(bs, 10, 64)
	return asn < bsn
}

// RaiseOnce implements job.Store: the alarm is raised unless an alarm with
// its id exists (raised before, acknowledged or not).
func (x *Jobs) RaiseOnce(ctx context.Context, a *alarm.Alarm) error {
	c := &change.Change{At: a.RaisedAt,
		Guards: []change.Guard{{Kind: change.KindAlarm, ID: a.ID, Field: "acked", Allowed: []string{""}}}}
	c.Raise(a)
	_, err := x.s.Apply(ctx, c)
	if errors.Is(err, store.ErrConflict) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("raising alarm %s: %w", a.ID, err)
	}
	return nil
}

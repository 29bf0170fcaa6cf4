package store

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
)

// Jobs keeps durable follow-up jobs. Keys, under the deployment's prefix:
//
//	jobs               stream of jobs (kind, key, incident, data), read by
//	                   the consumer group "runners"; never trimmed by length,
//	                   only below the oldest job not yet acknowledged
//	jobs:attempts      hash job id → failed attempts
//	jobs:done:{id}     set when the recording instance ran the job itself
type Jobs struct{ s *Store }

// Jobs returns the job storage.
func (s *Store) Jobs() *Jobs { return &Jobs{s: s} }

var _ job.Store = (*Jobs)(nil)

// JobsKey is the key of the jobs stream.
func (s *Store) JobsKey() string { return s.Key("jobs") }

// jobGroup is the consumer group every instance reads jobs in.
const jobGroup = "runners"

// doneTTL is how long a done mark outlives a job that was never
// acknowledged (its reader then finds it done and acknowledges it).
const doneTTL = 24 * time.Hour

// consumerIdle is how long a consumer with nothing pending is kept.
const consumerIdle = time.Hour

// Group implements job.Store.
func (x *Jobs) Group(ctx context.Context) error {
	err := x.s.rdb.XGroupCreateMkStream(ctx, x.s.JobsKey(), jobGroup, "0").Err()
	if err != nil && strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return nil
	}
	return x.s.wrap("making the job group", err)
}

func jobOf(m redis.XMessage) job.Job {
	str := func(k string) string { v, _ := m.Values[k].(string); return v }
	return job.Job{ID: m.ID, Kind: str("kind"), Key: str("key"), IncidentID: str("incident"), Data: []byte(str("data"))}
}

// Read implements job.Store.
func (x *Jobs) Read(ctx context.Context, consumer string, n int) ([]job.Job, error) {
	if err := x.s.check("reading jobs"); err != nil {
		return nil, err
	}
	res, err := x.s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: jobGroup, Consumer: consumer, Streams: []string{x.s.JobsKey(), ">"}, Count: int64(n), Block: -1,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		if strings.HasPrefix(err.Error(), "NOGROUP") {
			// The stream was deleted (a flushed Redis): make it again.
			return nil, x.Group(ctx)
		}
		return nil, x.s.wrap("reading jobs", err)
	}
	var out []job.Job
	for _, st := range res {
		for _, m := range st.Messages {
			out = append(out, jobOf(m))
		}
	}
	return out, nil
}

// Pending implements job.Store.
func (x *Jobs) Pending(ctx context.Context, n int) (int64, []job.Pending, error) {
	if err := x.s.check("listing pending jobs"); err != nil {
		return 0, nil, err
	}
	sum, err := x.s.rdb.XPending(ctx, x.s.JobsKey(), jobGroup).Result()
	if err != nil {
		return 0, nil, x.s.wrap("listing pending jobs", err)
	}
	if sum.Count == 0 {
		return 0, nil, nil
	}
	ext, err := x.s.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: x.s.JobsKey(), Group: jobGroup, Start: "-", End: "+", Count: int64(n)}).Result()
	if err != nil {
		return 0, nil, x.s.wrap("listing pending jobs", err)
	}
	out := make([]job.Pending, len(ext))
	for i, p := range ext {
		out[i] = job.Pending{ID: p.ID, Consumer: p.Consumer, Idle: p.Idle, Deliveries: p.RetryCount}
	}
	return sum.Count, out, nil
}

// Claim implements job.Store.
func (x *Jobs) Claim(ctx context.Context, consumer string, minIdle time.Duration, id string) (job.Job, bool, error) {
	if err := x.s.check("claiming a job"); err != nil {
		return job.Job{}, false, err
	}
	ms, err := x.s.rdb.XClaim(ctx, &redis.XClaimArgs{Stream: x.s.JobsKey(), Group: jobGroup, Consumer: consumer, MinIdle: minIdle, Messages: []string{id}}).Result()
	if err != nil {
		return job.Job{}, false, x.s.wrap("claiming a job", err)
	}
	for _, m := range ms {
		if m.ID == id && m.Values != nil {
			return jobOf(m), true, nil
		}
	}
	return job.Job{}, false, nil
}

// Ack implements job.Store.
func (x *Jobs) Ack(ctx context.Context, id string) error {
	if err := x.s.check("acknowledging a job"); err != nil {
		return err
	}
	_, err := x.s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XAck(ctx, x.s.JobsKey(), jobGroup, id)
		p.Del(ctx, x.s.Key("jobs", "done", id))
		p.HDel(ctx, x.s.Key("jobs", "attempts"), id)
		return nil
	})
	return x.s.wrap("acknowledging a job", err)
}

// MarkDone implements job.Store.
func (x *Jobs) MarkDone(ctx context.Context, id string) error {
	if err := x.s.check("marking a job done"); err != nil {
		return err
	}
	return x.s.wrap("marking a job done", x.s.rdb.Set(ctx, x.s.Key("jobs", "done", id), "1", doneTTL).Err())
}

// Done implements job.Store.
func (x *Jobs) Done(ctx context.Context, id string) (bool, error) {
	if err := x.s.check("reading a job"); err != nil {
		return false, err
	}
	n, err := x.s.rdb.Exists(ctx, x.s.Key("jobs", "done", id)).Result()
	return n > 0, x.s.wrap("reading a job", err)
}

// Failed implements job.Store.
func (x *Jobs) Failed(ctx context.Context, id string) (int64, error) {
	if err := x.s.check("counting a failed job"); err != nil {
		return 0, err
	}
	n, err := x.s.rdb.HIncrBy(ctx, x.s.Key("jobs", "attempts"), id, 1).Result()
	return n, x.s.wrap("counting a failed job", err)
}

// Trim implements job.Store: it drops the jobs below the oldest one still
// pending, or below the last delivered when none is pending; jobs not yet
// delivered lie above that, so no job is lost. Consumers of instances gone
// for an hour, with nothing pending, are forgotten.
func (x *Jobs) Trim(ctx context.Context, keep string) error {
	if err := x.s.check("trimming jobs"); err != nil {
		return err
	}
	key := x.s.JobsKey()
	groups, err := x.s.rdb.XInfoGroups(ctx, key).Result()
	if err != nil {
		return x.s.wrap("trimming jobs", err)
	}
	minID := ""
	for _, g := range groups {
		if g.Name == jobGroup {
			minID = g.LastDeliveredID
		}
	}
	if minID == "" || minID == "0-0" {
		return nil
	}
	sum, err := x.s.rdb.XPending(ctx, key, jobGroup).Result()
	if err != nil {
		return x.s.wrap("trimming jobs", err)
	}
	if sum.Count > 0 && lessID(sum.Lower, minID) {
		minID = sum.Lower
	}
	if err := x.s.rdb.XTrimMinID(ctx, key, minID).Err(); err != nil {
		return x.s.wrap("trimming jobs", err)
	}
	consumers, err := x.s.rdb.XInfoConsumers(ctx, key, jobGroup).Result()
	if err != nil {
		return x.s.wrap("trimming jobs", err)
	}
	for _, c := range consumers {
		if c.Name != keep && c.Pending == 0 && c.Idle > consumerIdle {
			_ = x.s.rdb.XGroupDelConsumer(ctx, key, jobGroup, c.Name).Err()
		}
	}
	return nil
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
	if errors.Is(err, ErrConflict) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("raising alarm %s: %w", a.ID, err)
	}
	return nil
}

package records

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/fault"
	"watchfloor/command/job"
	"watchfloor/command/notify"
	"watchfloor/command/store"
)

// Notifications' keys, under the deployment's prefix:
//
//	notify:outbox          stream of delivery jobs (key = message id), read
//	                       by the consumer group "senders"
//	notify:outbox:attempts, notify:outbox:done:{id}  the runner's marks
//	notify:msg:{id}        hash: json (the message), state, attempts, error,
//	                       queued_at, sent_at, updated_at (ms); kept
//	                       notifyKeep, so a repeat within it is dropped
//	notify:lease:{id}      held by the instance delivering the message
//	notify:index           sorted set message id by queued time (ms)
//	stream:{name}          the event streams, read by the group "notify"
//	                       (new events only); notify:feed:{name}:attempts

// notifyKeep is how long a message and its state are kept.
const notifyKeep = 30 * 24 * time.Hour

// notifyIndexMax is how many messages the index keeps.
const notifyIndexMax = 10000

// NewFeed returns the storage of the events of stream read to make
// notifications: the stream's entries read by the group "notify" as jobs
// of kind notify.JobEvent (the envelope in Data), never trimmed here.
func NewFeed(s *store.Store, stream string) *Jobs {
	decode := func(ctx context.Context, m redis.XMessage) job.Job {
		env, _ := m.Values["m"].(string)
		// Read whole, as every reader of a stream (a part that cannot be
		// read leaves it as stored: its handler fails and it is retried).
		data, err := s.Whole(ctx, env)
		if err != nil {
			data = []byte(env)
		}
		return job.Job{ID: m.ID, Kind: notify.JobEvent, Key: stream + "/" + m.ID, Data: data}
	}
	return &Jobs{s: s, key: s.Key("stream", stream), group: "notify", marks: []string{"notify", "feed", stream}, start: "$", decode: decode}
}

// NewOutboxJobs returns the storage of the delivery jobs of notifications.
func NewOutboxJobs(s *store.Store) *Jobs {
	return &Jobs{s: s, key: s.Key("notify", "outbox"), group: "senders", marks: []string{"notify", "outbox"}, start: "0", trim: true, decode: jobOf}
}

// Outbox keeps notifications in Redis.
type Outbox struct{ s *store.Store }

// NewOutbox returns the outbox of s.
func NewOutbox(s *store.Store) *Outbox { return &Outbox{s: s} }

var _ notify.Outbox = (*Outbox)(nil)

// enqueueScript records one message unless its hash exists, with its job.
var enqueueScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
redis.call('HSET', KEYS[1], 'json', ARGV[1], 'state', 'queued', 'attempts', 0, 'queued_at', ARGV[2], 'updated_at', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -tonumber(ARGV[6]) - 1)
return redis.call('XADD', KEYS[2], '*', 'kind', ARGV[7], 'key', ARGV[3], 'incident', ARGV[4], 'data', '')
`)

// Enqueue implements notify.Outbox.
func (o *Outbox) Enqueue(ctx context.Context, msgs []notify.Message, at time.Time) ([]job.Job, error) {
	if err := o.s.Check("queueing notifications"); err != nil {
		return nil, err
	}
	// One round trip for all: each message's script runs on its own, in
	// order, as before.
	pipe := o.s.Client().Pipeline()
	cmds := make([]*redis.Cmd, len(msgs))
	for i, m := range msgs {
		b, err := json.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("encoding notification %s: %w", m.ID, err)
		}
		keys := []string{o.s.Key("notify", "msg", m.ID), o.s.Key("notify", "outbox"), o.s.Key("notify", "index")}
		cmds[i] = enqueueScript.Eval(ctx, pipe, keys, string(b), at.UnixMilli(), m.ID, m.IncidentID,
			notifyKeep.Milliseconds(), notifyIndexMax, notify.JobDeliver)
	}
	_, _ = pipe.Exec(ctx) // each command's own error is read below
	var out []job.Job
	for i, m := range msgs {
		id, err := cmds[i].Text()
		if errors.Is(err, redis.Nil) {
			continue // recorded before
		}
		if err != nil {
			return out, o.s.Wrap("queueing notification "+m.ID, err)
		}
		out = append(out, job.Job{ID: id, Kind: notify.JobDeliver, Key: m.ID, IncidentID: m.IncidentID})
	}
	return out, nil
}

// beginScript takes a queued message's lease and counts the attempt.
var beginScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'state')
if not st then return {0, ''} end
if st ~= 'queued' then return {0, st} end
if not redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[1]) then return {0, st} end
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'updated_at', ARGV[3])
return {1, st, redis.call('HGETALL', KEYS[1])}
`)

// Begin implements notify.Outbox.
func (o *Outbox) Begin(ctx context.Context, id string, lease time.Duration, at time.Time) (notify.Delivery, bool, error) {
	if err := o.s.Check("taking a notification"); err != nil {
		return notify.Delivery{}, false, err
	}
	var tok [8]byte
	_, _ = rand.Read(tok[:])
	res, err := beginScript.Run(ctx, o.s.Client(), []string{o.s.Key("notify", "msg", id), o.s.Key("notify", "lease", id)},
		lease.Milliseconds(), hex.EncodeToString(tok[:]), at.UnixMilli()).Slice()
	if err != nil {
		return notify.Delivery{}, false, o.s.Wrap("taking notification "+id, err)
	}
	ok, _ := res[0].(int64)
	state, _ := res[1].(string)
	if ok != 1 {
		return notify.Delivery{State: state}, false, nil
	}
	// The message as the lease found it, read in the same step.
	flat, _ := res[2].([]any)
	h := make(map[string]string, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		k, _ := flat[i].(string)
		v, _ := flat[i+1].(string)
		h[k] = v
	}
	d, err := deliveryOf(h)
	return d, err == nil, err
}

// Finish implements notify.Outbox.
func (o *Outbox) Finish(ctx context.Context, id, state, cause string, at time.Time) error {
	if err := o.s.Check("recording a notification"); err != nil {
		return err
	}
	ms := at.UnixMilli()
	_, err := o.s.Client().TxPipelined(ctx, func(p redis.Pipeliner) error {
		key := o.s.Key("notify", "msg", id)
		p.HSet(ctx, key, "state", state, "error", cause, "updated_at", ms)
		if state == notify.Sent {
			p.HSet(ctx, key, "sent_at", ms)
		}
		p.Del(ctx, o.s.Key("notify", "lease", id))
		return nil
	})
	return o.s.Wrap("recording notification "+id, err)
}

// Load implements notify.Outbox.
func (o *Outbox) Load(ctx context.Context, id string) (notify.Delivery, error) {
	if err := o.s.Check("reading a notification"); err != nil {
		return notify.Delivery{}, err
	}
	h, err := o.s.Client().HGetAll(ctx, o.s.Key("notify", "msg", id)).Result()
	if err != nil {
		return notify.Delivery{}, o.s.Wrap("reading notification "+id, err)
	}
	if len(h) == 0 {
		return notify.Delivery{}, fmt.Errorf("notification %s: %w", id, fault.ErrNotFound)
	}
	return deliveryOf(h)
}

func deliveryOf(h map[string]string) (notify.Delivery, error) {
	var d notify.Delivery
	if err := json.Unmarshal([]byte(h["json"]), &d.Message); err != nil {
		return d, fmt.Errorf("decoding a notification: %w", err)
	}
	ms := func(k string) time.Time { n, _ := strconv.ParseInt(h[k], 10, 64); return time.UnixMilli(n).UTC() }
	d.State, d.Error = h["state"], h["error"]
	d.Attempts, _ = strconv.Atoi(h["attempts"])
	d.QueuedAt, d.UpdatedAt = ms("queued_at"), ms("updated_at")
	if h["sent_at"] != "" {
		t := ms("sent_at")
		d.SentAt = &t
	}
	return d, nil
}

// List implements notify.Outbox: the newest messages, up to limit of state.
func (o *Outbox) List(ctx context.Context, state string, limit int) ([]notify.Delivery, error) {
	if err := o.s.Check("listing notifications"); err != nil {
		return nil, err
	}
	ids, err := o.s.Client().ZRevRange(ctx, o.s.Key("notify", "index"), 0, notifyIndexMax-1).Result()
	if err != nil {
		return nil, o.s.Wrap("listing notifications", err)
	}
	out := []notify.Delivery{}
	for start := 0; start < len(ids) && len(out) < limit; start += 200 {
		batch := ids[start:min(start+200, len(ids))]
		p := o.s.Client().Pipeline()
		cmds := make([]*redis.MapStringStringCmd, len(batch))
		for i, id := range batch {
			cmds[i] = p.HGetAll(ctx, o.s.Key("notify", "msg", id))
		}
		if _, err := p.Exec(ctx); err != nil {
			return nil, o.s.Wrap("listing notifications", err)
		}
		for _, c := range cmds {
			d, err := deliveryOf(c.Val())
			if err != nil || d.ID == "" || state != "" && d.State != state {
				continue
			}
			if out = append(out, d); len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

// requeueScript puts a failed message back to queued with a new job.
var requeueScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'state')
if not st then return {0, ''} end
if st ~= 'failed' then return {0, st} end
redis.call('HSET', KEYS[1], 'state', 'queued', 'attempts', 0, 'updated_at', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {1, redis.call('XADD', KEYS[2], '*', 'kind', ARGV[3], 'key', ARGV[2], 'incident', '', 'data', '')}
`)

// Requeue implements notify.Outbox.
func (o *Outbox) Requeue(ctx context.Context, id string, at time.Time) (job.Job, error) {
	if err := o.s.Check("retrying a notification"); err != nil {
		return job.Job{}, err
	}
	res, err := requeueScript.Run(ctx, o.s.Client(), []string{o.s.Key("notify", "msg", id), o.s.Key("notify", "outbox")},
		at.UnixMilli(), id, notify.JobDeliver, notifyKeep.Milliseconds()).Slice()
	if err != nil {
		return job.Job{}, o.s.Wrap("retrying notification "+id, err)
	}
	ok, _ := res[0].(int64)
	v, _ := res[1].(string)
	switch {
	case ok == 1:
		return job.Job{ID: v, Kind: notify.JobDeliver, Key: id}, nil
	case v == "":
		return job.Job{}, fmt.Errorf("notification %s: %w", id, fault.ErrNotFound)
	}
	return job.Job{}, &fault.Conflict{Detail: fmt.Sprintf("notification %s is %s, not failed", id, v)}
}

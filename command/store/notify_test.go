package store_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/change"
	"watchfloor/command/live"
	"watchfloor/command/store"
	"watchfloor/command/vocab"
)

// TestNotifyLostInReconnectReachesClient: an event whose notification is
// published while the instance's subscriber is cut off (CLIENT KILL TYPE
// pubsub, the event stored and published in the same transaction, so no
// one hears it) still reaches a client at once, though its heartbeat is an
// hour away: the subscription coming back tells every writer to check its
// seq in storage.
func TestNotifyLostInReconnectReachesClient(t *testing.T) {
	st := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := live.NewHub(st, slog.New(slog.DiscardHandler))
	ups := make(chan struct{}, 10)
	go func() { _ = h.Follow(ctx, upsNotifier{st, ups}) }()
	// Subscribed first: a client that heard an event from storage before
	// it would find the lost one at the first subscription, not a resubscription.
	select {
	case <-ups:
	case <-time.After(10 * time.Second):
		t.Fatal("notifications not subscribed within 10 s")
	}
	const stream = "unit:car-1"
	got := make(chan uint64, 100)
	c := &live.Client{Hub: h, Stream: stream, Queue: 100, Heartbeat: time.Hour,
		Snapshot: func(ctx context.Context) (live.Message, error) {
			seq, err := st.Seq(ctx, stream)
			return live.SnapshotOf([]byte(`{"type":"snapshot"}`), seq, err)
		}}
	served := make(chan error, 1)
	go func() {
		served <- c.Serve(ctx, nil, nil, func(b []byte) error {
			var seq uint64
			if i := strings.Index(string(b), `"seq":`); i >= 0 {
				_, _ = fmt.Sscanf(string(b[i+6:]), "%d", &seq)
			}
			if seq > 0 {
				got <- seq
			}
			return nil
		})
	}()
	defer func() { cancel(); <-served }()

	// Live first: notify until the client hears one.
	deadline := time.After(10 * time.Second)
	for heard := false; !heard; {
		if _, err := st.Apply(ctx, &change.Change{At: time.Now(), Events: []vocab.Event{
			{Stream: stream, Type: vocab.TaskAssigned, Data: map[string]string{"unit_id": "car-1"}, Notify: true}}}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-got:
			heard = true
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatal("no live notification within 10 s")
		}
	}
	if h.Resubscribed() != 0 {
		t.Fatalf("resubscribed %d times before any break", h.Resubscribed())
	}
	drain(got)

	lost := storeUnheard(t, st, stream)
	deadline = time.After(10 * time.Second)
	for {
		select {
		case seq := <-got:
			if seq != lost {
				continue
			}
			if _, after := h.CatchUps(); after == 0 || h.Resubscribed() == 0 {
				t.Fatalf("delivered, but catch-ups after resubscription %d, resubscriptions %d", after, h.Resubscribed())
			}
			return
		case <-deadline:
			t.Fatalf("event %d published while the subscriber was cut off never reached the client (heartbeat 1 h)", lost)
		}
	}
}

// upsNotifier is a store's notifications that tell ups each subscription.
type upsNotifier struct {
	st  *store.Store
	ups chan struct{}
}

func (n upsNotifier) Notifications(ctx context.Context, fn func(string, live.Message), up func()) error {
	return n.st.Notifications(ctx, fn, func() {
		up()
		select {
		case n.ups <- struct{}{}:
		default:
		}
	})
}

// storeUnheard kills the pub/sub connections and, in the same transaction,
// stores an event of stream as a commit does (seq, stream entry, notify
// message), so its notification reaches no one; it returns its seq.
func storeUnheard(t *testing.T, st *store.Store, stream string) uint64 {
	t.Helper()
	ctx := context.Background()
	cur, err := st.Seq(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	seq := cur + 1
	msg := fmt.Sprintf(`{"seq":%d,"type":"task.assigned","at":"%s","data":{}}`, seq, time.Now().UTC().Format(time.RFC3339Nano))
	rdb := st.Client()
	var kill *redis.IntCmd
	var heard *redis.IntCmd
	if _, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		kill = p.ClientKillByFilter(ctx, "TYPE", "pubsub")
		p.Incr(ctx, st.Key("seq", stream))
		p.XAdd(ctx, &redis.XAddArgs{Stream: st.Key("stream", stream), ID: fmt.Sprintf("%d-0", seq), Values: []string{"m", msg}})
		heard = p.Publish(ctx, st.Key("notify"), fmt.Sprintf("%s\n%d\n%s", stream, seq, msg))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if kill.Val() < 1 || heard.Val() != 0 {
		t.Fatalf("killed %d pub/sub connections, the notification reached %d", kill.Val(), heard.Val())
	}
	return seq
}

func drain(c chan uint64) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}

// TestNotificationsLoseNoneOfABurst: a burst of notifications the size of
// a plan's tasks (2,000 of about 2 KB, published together) all arrive.
// go-redis's RESP3 push handling dropped one now and then: when fewer than
// 36 bytes of a message's head were buffered it read its name cut short
// ("mess"), took it for a notification of its own and discarded it.
func TestNotificationsLoseNoneOfABurst(t *testing.T) {
	st := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seen := make(chan uint64, 4096)
	go func() {
		_ = st.Notifications(ctx, func(stream string, m live.Message) { seen <- m.Seq }, nil)
	}()
	body := strings.Repeat("x", 1900)
	rdb := st.Client()
	// Subscribed once a probe is heard.
	for deadline := time.Now().Add(5 * time.Second); ; {
		if err := rdb.Publish(ctx, st.Key("notify"), "unit:probe\n0\n{}").Err(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-seen:
		case <-time.After(20 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatal("not subscribed within 5 s")
			}
			continue
		}
		break
	}
	drain(seen)
	const n = 2000
	if _, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := 1; i <= n; i++ {
			p.Publish(ctx, st.Key("notify"), fmt.Sprintf("unit:u%04d\n%d\n{\"seq\":%d,\"type\":\"task.assigned\",\"data\":\"%s\"}", i, i, i, body))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got := map[uint64]bool{}
	deadline := time.After(10 * time.Second)
	for len(got) < n {
		select {
		case s := <-seen:
			got[s] = true
		case <-deadline:
			var lost []int
			for i := 1; i <= n; i++ {
				if !got[uint64(i)] {
					lost = append(lost, i)
				}
			}
			t.Fatalf("%d of %d notifications lost: %v", len(lost), n, lost[:min(len(lost), 20)])
		}
	}
}

package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/change"
	"watchfloor/command/store"
	"watchfloor/command/store/storetest"
	"watchfloor/command/store/views"
	"watchfloor/command/vocab"
)

// TestEventOfADocumentCrossesOnce: an event carrying the document its
// change writes (a task and its task.assigned) is sent to Redis once, not
// twice, and its stream entry and notification still carry it whole.
func TestEventOfADocumentCrossesOnce(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	rdb := st.Client()
	sub := rdb.Subscribe(ctx, st.Key("notify"))
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	task := benchTask("A-1", "u1")
	task.Note = strings.Repeat("备", 4000) // 12 KB: what was sent shows how often it went
	doc, err := json.Marshal(&task)
	if err != nil {
		t.Fatal(err)
	}
	// A first commit loads the script (go-redis sends it again with its
	// arguments when Redis does not know it yet).
	if _, err := st.Apply(ctx, &change.Change{At: time.Now(), Events: []vocab.Event{{Stream: "unit:u0", Type: vocab.TaskAssigned, Data: map[string]string{}}}}); err != nil {
		t.Fatal(err)
	}
	before := receivedBytes(t, rdb)
	if _, err := st.Apply(ctx, &change.Change{At: time.Now(),
		Docs: []change.Doc{{Kind: change.KindTask, ID: task.ID, Value: &task, Fields: map[string]string{"status": task.Status}}},
		Events: []vocab.Event{
			{Stream: "unit:u1", Type: vocab.TaskAssigned, Data: &task, Notify: true},
			{Stream: vocab.LeaderStream, Type: vocab.TaskAssigned, Data: map[string]string{"unit_id": "u1"}},
		}}); err != nil {
		t.Fatal(err)
	}
	if sent := receivedBytes(t, rdb) - before; sent > len(doc)*3/2 {
		t.Errorf("Redis received %d bytes for a %d-byte document and its event: sent twice", sent, len(doc))
	}

	stored, err := views.NewActivations(st).LoadTask(ctx, task.ID)
	if err != nil || stored.Note != task.Note {
		t.Fatalf("stored task: %v", err)
	}
	msgs, _, err := st.Range(ctx, "unit:u1", 1, 10)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("unit stream: %d messages, %v", len(msgs), err)
	}
	if want := append(append([]byte(`"data":`), doc...), '}'); !bytes.HasSuffix(msgs[0].JSON, want) {
		t.Errorf("the stream entry does not end with the document: %.200s…", msgs[0].JSON)
	}
	note, err := sub.ReceiveMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := "unit:u1\n1\n" + string(msgs[0].JSON); note.Payload != want {
		t.Errorf("notification %.120s…, want the stream entry", note.Payload)
	}
	other, _, err := st.Range(ctx, vocab.LeaderStream, 1, 10)
	if err != nil || len(other) != 1 || !bytes.HasSuffix(other[0].JSON, []byte(`"data":{"unit_id":"u1"}}`)) {
		t.Errorf("the other event: %d messages, %v", len(other), err)
		for _, m := range other {
			t.Logf("%s", m.JSON)
		}
	}
}

// receivedBytes is what Redis has read from its clients so far.
func receivedBytes(t *testing.T, rdb redis.UniversalClient) int {
	t.Helper()
	n, err := strconv.Atoi(infoField(t, rdb, "stats", "total_net_input_bytes"))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// infoField is the value of name in the section of Redis's INFO.
func infoField(tb testing.TB, rdb redis.UniversalClient, section, name string) string {
	tb.Helper()
	info, err := rdb.Info(context.Background(), section).Result()
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return v
		}
	}
	tb.Fatalf("no %s in INFO %s", name, section)
	return ""
}

// TestCommitNotSentTwiceAfterATimeout: a commit whose answer times out
// (Redis busy 3.5 s) is not sent again, which would store it twice. A
// commit that met a pooled connection not yet set up stops at its HELLO
// and is never sent (Redis runs no EVALSHA for it): that attempt proves
// nothing either way, so the scenario is tried again, up to three times.
func TestCommitNotSentTwiceAfterATimeout(t *testing.T) {
	r := storetest.Start(t)
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{URL: r.URL(), Deployment: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Its own client, which waits for the answer as long as it takes.
	slow := redis.NewClient(&redis.Options{Addr: r.Addr, ReadTimeout: 10 * time.Second})
	defer slow.Close()
	// A first commit loads the script: go-redis sends it again with its
	// arguments when Redis does not know it yet.
	if _, err := st.Apply(ctx, &change.Change{At: time.Now(), Events: []vocab.Event{{Stream: "unit:u0", Type: vocab.TaskAssigned, Data: map[string]string{}}}}); err != nil {
		t.Fatal(err)
	}
	for attempt := 1; ; attempt++ {
		stream := "unit:u" + strconv.Itoa(10+attempt)
		sent, stored, err := commitWhileBusy(t, st, slow, stream)
		t.Logf("attempt %d: Redis ran the commit %d times, it stored its event %d times (its answer: %v)", attempt, sent, stored, err)
		if sent > 1 || stored > 1 {
			t.Fatalf("the commit was run %d times and stored its event %d times: sent again after its timeout", sent, stored)
		}
		if sent != stored {
			t.Fatalf("Redis ran the commit %d times and it stored its event %d times", sent, stored)
		}
		if sent == 1 {
			if err == nil {
				t.Error("the commit was answered, past the read timeout: its answer should have timed out")
			}
			return
		}
		if err == nil {
			t.Fatal("the commit was answered, but Redis never ran it")
		}
		if attempt == 3 {
			t.Fatalf("in %d attempts the commit never reached Redis; the test proves nothing", attempt)
		}
	}
}

// commitWhileBusy commits an event to stream while a script keeps Redis to
// itself, and says how often Redis ran the commit (its EVALSHA calls), how
// often the event was stored, and the commit's answer.
func commitWhileBusy(t *testing.T, st *store.Store, slow *redis.Client, stream string) (sent, stored int, err error) {
	t.Helper()
	ctx := context.Background()
	before := commandCalls(t, slow, "evalsha")
	busy := make(chan error, 1)
	go func() {
		// A script that keeps Redis to itself for 3.5 s: past the store's
		// 2 s read timeout, and such that a command sent again at that
		// timeout would be answered before its own (a commit sent up to
		// 1.5 s into the script), short of Redis's 5 s busy-script limit.
		busy <- slow.Eval(ctx, `local t = redis.call('TIME'); local s = t[1] * 1e6 + t[2]
			repeat t = redis.call('TIME') until t[1] * 1e6 + t[2] - s > 3500000
			return 1`, nil).Err()
	}()
	// The script is running once two PINGs in a row go unanswered for
	// 200 ms (one could be a pause of this process).
	probe := redis.NewClient(&redis.Options{Addr: slow.Options().Addr, ReadTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer probe.Close()
	for deadline, unanswered := time.Now().Add(3*time.Second), 0; unanswered < 2; {
		if probe.Ping(ctx).Err() == nil {
			unanswered = 0
		} else {
			unanswered++
		}
		if time.Now().After(deadline) {
			t.Fatal("Redis never got busy with the script")
		}
		time.Sleep(5 * time.Millisecond)
	}
	_, err = st.Apply(ctx, &change.Change{At: time.Now(), Events: []vocab.Event{{Stream: stream, Type: vocab.TaskAssigned, Data: map[string]string{}}}})
	if berr := <-busy; berr != nil {
		t.Fatal(berr)
	}
	msgs, _, rerr := st.Range(ctx, stream, 1, 10)
	if rerr != nil {
		t.Fatal(rerr)
	}
	// Redis ran what was waiting for it before this count, sent after it.
	return commandCalls(t, slow, "evalsha") - before, len(msgs), err
}

// TestUnitStreamsHaveTheirOwnCap: a unit's own stream (its events are
// notified, not tailed) is trimmed to the unit cap, about, while the screen
// stream keeps its own, larger one: each unit's orders and tasks would
// otherwise be kept for decades under the screen's cap.
func TestUnitStreamsHaveTheirOwnCap(t *testing.T) {
	st := storetest.Open(t, store.Options{StreamMaxLen: 5000, UnitStreamMaxLen: 100})
	ctx := context.Background()
	for i := range 600 {
		if _, err := st.Apply(ctx, &change.Change{At: time.Now(), Events: []vocab.Event{
			{Stream: vocab.UnitStream("u1"), Type: vocab.TaskAssigned, Data: map[string]int{"n": i}, Notify: true},
			{Stream: vocab.ScreenStream, Type: vocab.IncidentUpdated, Data: map[string]int{"n": i}},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	unit, err := st.Client().XLen(ctx, st.Key("stream", vocab.UnitStream("u1"))).Result()
	if err != nil {
		t.Fatal(err)
	}
	screen, err := st.Client().XLen(ctx, st.Key("stream", vocab.ScreenStream)).Result()
	if err != nil {
		t.Fatal(err)
	}
	// MAXLEN ~ trims whole nodes of 100 entries: up to one node more.
	if unit < 100 || unit > 200 || screen != 600 {
		t.Fatalf("the unit's stream holds %d events, the screen's %d; want 100 to 200, and 600", unit, screen)
	}
}

// TestDayCountersExpire: a day's numbering counter expires two days on,
// counting on as before meanwhile: a counter a day would otherwise stay
// for ever.
func TestDayCountersExpire(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	for want := int64(1); want <= 2; want++ {
		if n, err := st.NextID(ctx, "incident", "20261206"); err != nil || n != want {
			t.Fatalf("NextID = %d, %v; want %d", n, err, want)
		}
	}
	ttl, err := st.Client().TTL(ctx, st.Key("incident", "n", "20261206")).Result()
	if err != nil || ttl < 47*time.Hour || ttl > 48*time.Hour {
		t.Fatalf("the day's counter lives %v (%v), want 48 h", ttl, err)
	}
}

// TestCommitAfterScriptsFlushed: a commit still lands when Redis has lost
// the script (SCRIPT FLUSH, a restart, a failover to a replica that never
// ran it): EVALSHA's NOSCRIPT is answered by sending the script whole.
func TestCommitAfterScriptsFlushed(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	rdb := st.Client()
	for i, flush := range []bool{false, true, true} {
		if flush {
			if err := rdb.ScriptFlush(ctx).Err(); err != nil {
				t.Fatal(err)
			}
		}
		res, err := st.Apply(ctx, &change.Change{At: time.Now(), Events: []vocab.Event{{Stream: "unit:u1", Type: vocab.TaskAssigned, Data: map[string]int{"n": i}}}})
		if err != nil {
			t.Fatalf("commit %d (scripts flushed: %v): %v", i, flush, err)
		}
		if len(res.Seqs) != 1 || res.Seqs[0] != uint64(i+1) {
			t.Fatalf("commit %d: seqs %v, want [%d]", i, res.Seqs, i+1)
		}
	}
	if n, err := rdb.XLen(ctx, st.Key("stream", "unit:u1")).Result(); err != nil || n != 3 {
		t.Fatalf("%d entries (%v), want 3", n, err)
	}
	// Once loaded again, the script is named by its hash: two more commits
	// are two EVALSHA and no EVAL.
	sha, script := commandCalls(t, rdb, "evalsha"), commandCalls(t, rdb, "eval")
	for i := range 2 {
		if _, err := st.Apply(ctx, &change.Change{At: time.Now(), Events: []vocab.Event{{Stream: "unit:u1", Type: vocab.TaskAssigned, Data: map[string]int{"n": 3 + i}}}}); err != nil {
			t.Fatal(err)
		}
	}
	if d1, d2 := commandCalls(t, rdb, "evalsha")-sha, commandCalls(t, rdb, "eval")-script; d1 != 2 || d2 != 0 {
		t.Fatalf("two commits sent %d EVALSHA and %d EVAL, want 2 and 0", d1, d2)
	}
}

// commandCalls is how many times Redis ran cmd (INFO commandstats; 0 for
// one it never ran since its last CONFIG RESETSTAT).
func commandCalls(tb testing.TB, rdb redis.UniversalClient, cmd string) int {
	tb.Helper()
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		tb.Fatal(err)
	}
	_, rest, ok := strings.Cut(info, "cmdstat_"+cmd+":calls=")
	if !ok {
		return 0
	}
	v, _, _ := strings.Cut(rest, ",")
	n, err := strconv.Atoi(v)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestCommitWaitsForReplicas: with replicas to wait for, a commit runs the
// script and WAIT on one connection (the script sent whole); with none
// there, it is written but not acknowledged, and says why.
func TestCommitWaitsForReplicas(t *testing.T) {
	st := storetest.Open(t, store.Options{WaitReplicas: 1, WaitTimeout: 50 * time.Millisecond})
	ctx := context.Background()
	_, err := st.Apply(ctx, &change.Change{At: time.Now(), Events: []vocab.Event{{Stream: "unit:u1", Type: vocab.TaskAssigned, Data: map[string]int{"n": 1}}}})
	if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "not acknowledged by enough replicas") {
		t.Fatalf("commit with no replica answered %v, want it unacknowledged", err)
	}
	if n, err := st.Client().XLen(ctx, st.Key("stream", "unit:u1")).Result(); err != nil || n != 1 {
		t.Fatalf("%d entries (%v): the script did not run before WAIT", n, err)
	}
}

package contract

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"watchfloor/command/alarm"
	"watchfloor/command/audit"
	"watchfloor/command/change"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/job"
	"watchfloor/command/timer"
	"watchfloor/command/vocab"
)

// t0 is when the suite's changes happen.
var t0 = time.Date(2026, 12, 4, 2, 11, 12, 500_000_000, time.UTC)

func apply(t *testing.T, st Stores, c *change.Change) change.Result {
	t.Helper()
	res, err := st.Changes.Apply(context.Background(), c)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return res
}

// group makes the job consumer group, as a runner does first.
func group(t *testing.T, st Stores) {
	t.Helper()
	if err := st.Jobs.Group(context.Background()); err != nil {
		t.Fatalf("making the job group: %v", err)
	}
}

// holds reports whether the field of (kind, id) holds want, by applying a
// change that only guards it.
func holds(t *testing.T, st Stores, kind, id, field, want string) bool {
	t.Helper()
	_, err := st.Changes.Apply(context.Background(), &change.Change{At: t0,
		Guards: []change.Guard{{Kind: kind, ID: id, Field: field, Allowed: []string{want}, Why: "probe"}}})
	if err != nil && !fault.IsConflict(err) {
		t.Fatalf("probing %s %s %s: %v", kind, id, field, err)
	}
	return err == nil
}

// everything is a change that writes one of each thing, all named by tag.
func everything(tag string) *change.Change {
	a := &alarm.Alarm{ID: "a-" + tag, Kind: alarm.DeadlineOverdue, Title: "overdue " + tag, RaisedAt: t0}
	return &change.Change{At: t0,
		Docs:    []change.Doc{{Kind: change.KindAlarm, ID: a.ID, Value: a, Fields: map[string]string{"acked": "0"}}},
		Fields:  []change.Field{{Kind: change.KindUnitStatus, Field: "car-" + tag, Value: "free"}},
		Appends: []change.Append{{Kind: change.KindIncidentTimeline, ID: "INC-" + tag, Entries: []any{incident.Entry{At: t0, Type: "created", By: "alice"}}}},
		Events:  []vocab.Event{{Stream: "s-" + tag, Type: "x.done", Data: map[string]string{"tag": tag}}},
		Timers:  []change.Timer{{Member: timer.Member("t", tag), Due: t0}},
		Audit:   []audit.Record{{At: t0, Who: "alice", Role: vocab.Operator, Action: "x.done", Object: tag}},
		Jobs:    []job.Job{{Kind: "k", Key: tag, IncidentID: "INC-" + tag, Data: []byte(`{}`)}},
	}
}

// applyWrites: documents, their fields, keyed fields, list entries,
// events, timers, audit records and jobs of a change are all visible after.
func applyWrites(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	group(t, st)
	c := everything("w")
	res := apply(t, st, c)
	if !slices.Equal(res.Seqs, []uint64{1}) || res.Duplicate != "" {
		t.Fatalf("result %+v", res)
	}
	a, err := st.Alarms.Load(ctx, "a-w")
	if err != nil || a.Title != "overdue w" || !a.RaisedAt.Equal(t0) {
		t.Fatalf("document read back: %+v %v", a, err)
	}
	if !holds(t, st, change.KindAlarm, "a-w", "acked", "0") || !holds(t, st, change.KindUnitStatus, "", "car-w", "free") {
		t.Fatal("the fields written are not what guards see")
	}
	if holds(t, st, change.KindUnitStatus, "", "car-w", "") {
		t.Fatal("a field written reads as absent")
	}
	tl, err := st.Incidents.Timeline(ctx, "INC-w")
	if err != nil || len(tl) != 1 || tl[0].Type != "created" || tl[0].By != "alice" {
		t.Fatalf("timeline %+v %v", tl, err)
	}
	if due, err := st.Timers.Due(ctx, t0, 10); err != nil || !slices.Equal(due, []string{"t|w"}) {
		t.Fatalf("timers due %v %v", due, err)
	}
	recs, err := st.Audit.Audit(ctx, audit.Query{})
	if err != nil || len(recs) != 1 || recs[0].Object != "w" || recs[0].Role != vocab.Operator {
		t.Fatalf("audit %+v %v", recs, err)
	}
	if c.Jobs[0].ID == "" {
		t.Fatal("the job got no id")
	}
	js, err := st.Jobs.Read(ctx, "one", 10)
	if err != nil || len(js) != 1 || js[0].ID != c.Jobs[0].ID || js[0].Key != "w" {
		t.Fatalf("jobs %+v %v", js, err)
	}
}

// applyIdempotent: a repeat of an idempotency key changes nothing and gives
// the first value back, until the key expires.
func applyIdempotent(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	first := func(v string) *change.Change {
		return &change.Change{At: t0, Idem: &change.Idem{Key: "alice:POST /x:k1", Value: v, TTL: time.Second},
			Events: []vocab.Event{{Stream: "idem", Type: "x.made", Data: v}}}
	}
	if res := apply(t, st, first("INC-1")); res.Duplicate != "" || !slices.Equal(res.Seqs, []uint64{1}) {
		t.Fatalf("first: %+v", res)
	}
	if res := apply(t, st, first("INC-2")); res.Duplicate != "INC-1" || len(res.Seqs) != 0 {
		t.Fatalf("repeat: %+v", res)
	}
	if seq, err := st.Source.Seq(ctx, "idem"); err != nil || seq != 1 {
		t.Fatalf("the repeat wrote its event: seq %d %v", seq, err)
	}
	st.Elapse(1200 * time.Millisecond)
	if res := apply(t, st, first("INC-3")); res.Duplicate != "" || !slices.Equal(res.Seqs, []uint64{2}) {
		t.Fatalf("after the key expired: %+v", res)
	}
}

// applyGuards: the first failing guard aborts the whole change with a
// conflict naming its Why, and nothing of the change is written.
func applyGuards(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	group(t, st)
	apply(t, st, &change.Change{At: t0,
		Docs:   []change.Doc{{Kind: change.KindAlarm, ID: "acked", Value: &alarm.Alarm{ID: "acked"}, Fields: map[string]string{"acked": "1"}}},
		Fields: []change.Field{{Kind: change.KindProposed, ID: "INC-1", Field: "p@2", Value: "A-1"}}})
	ok := change.Guard{Kind: change.KindAlarm, ID: "acked", Field: "acked", Allowed: []string{"0", "1"}, Why: "never"}
	for _, c := range []struct {
		name   string
		guards []change.Guard
		why    string
	}{
		{"docFieldDiffers", []change.Guard{{Kind: change.KindAlarm, ID: "acked", Field: "acked", Allowed: []string{"0"}, Why: "alarm acked was already acknowledged"}}, "alarm acked was already acknowledged"},
		{"absentNotAllowed", []change.Guard{{Kind: change.KindAlarm, ID: "nowhere", Field: "acked", Allowed: []string{"0"}, Why: "no such alarm"}}, "no such alarm"},
		{"presentMustBeAbsent", []change.Guard{{Kind: change.KindProposed, ID: "INC-1", Field: "p@2", Allowed: []string{""}, Why: "plan p proposed before"}}, "plan p proposed before"},
		{"secondFails", []change.Guard{ok, {Kind: change.KindProposed, ID: "INC-1", Field: "p@2", Allowed: []string{"A-2"}, Why: "the second"}, {Kind: change.KindAlarm, ID: "x", Field: "y", Allowed: []string{"z"}, Why: "the third"}}, "the second"},
		{"noWhy", []change.Guard{{Kind: change.KindAlarm, ID: "acked", Field: "acked", Allowed: []string{"0"}}}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := everything(c.name)
			w.Idem = &change.Idem{Key: "idem-" + c.name, Value: "v", TTL: time.Hour}
			w.Guards = c.guards
			_, err := st.Changes.Apply(ctx, w)
			var cf *fault.Conflict
			switch {
			case !errors.Is(err, fault.ErrConflict):
				t.Fatalf("not a conflict: %v", err)
			case c.why != "" && (!errors.As(err, &cf) || cf.Detail != c.why):
				t.Fatalf("conflict %v, want the detail %q", err, c.why)
			}
			nothingOf(t, st, c.name)
		})
	}
}

// nothingOf fails unless nothing that everything(tag) writes is there.
func nothingOf(t *testing.T, st Stores, tag string) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.Alarms.Load(ctx, "a-"+tag); !fault.IsNotFound(err) {
		t.Errorf("the document was written: %v", err)
	}
	if !holds(t, st, change.KindAlarm, "a-"+tag, "acked", "") || !holds(t, st, change.KindUnitStatus, "", "car-"+tag, "") {
		t.Error("a field was written")
	}
	if tl, err := st.Incidents.Timeline(ctx, "INC-"+tag); err != nil || len(tl) != 0 {
		t.Errorf("the timeline was written: %+v %v", tl, err)
	}
	if seq, err := st.Source.Seq(ctx, "s-"+tag); err != nil || seq != 0 {
		t.Errorf("the event was written: seq %d %v", seq, err)
	}
	if due, _ := st.Timers.Due(ctx, t0.Add(time.Hour), 100); slices.Contains(due, timer.Member("t", tag)) {
		t.Error("the timer was scheduled")
	}
	if recs, _ := st.Audit.Audit(ctx, audit.Query{Object: tag}); len(recs) != 0 {
		t.Errorf("audit written: %+v", recs)
	}
	js, _ := st.Jobs.Read(ctx, "probe", 100)
	if slices.ContainsFunc(js, func(j job.Job) bool { return j.Key == tag }) {
		t.Errorf("the job was recorded: %+v", js)
	}
	// The idempotency key was not taken: the same change without its
	// guards now happens.
	w := everything(tag)
	w.Idem = &change.Idem{Key: "idem-" + tag, Value: "v", TTL: time.Hour}
	if res := apply(t, st, w); res.Duplicate != "" {
		t.Errorf("the idempotency key was set by the failed change")
	}
}

// applyTrimsLists: an append with Keep keeps the newest entries only.
func applyTrimsLists(t *testing.T, open Open) {
	st := open(t)
	var es []any
	for _, by := range []string{"a", "b", "c", "d", "e"} {
		es = append(es, incident.Entry{At: t0, Type: "report", By: by})
	}
	apply(t, st, &change.Change{At: t0, Appends: []change.Append{{Kind: change.KindIncidentTimeline, ID: "INC-1", Entries: es[:2], Keep: 3}}})
	apply(t, st, &change.Change{At: t0, Appends: []change.Append{{Kind: change.KindIncidentTimeline, ID: "INC-1", Entries: es[2:], Keep: 3}}})
	tl, err := st.Incidents.Timeline(context.Background(), "INC-1")
	var by []string
	for _, e := range tl {
		by = append(by, e.By)
	}
	if err != nil || !slices.Equal(by, []string{"c", "d", "e"}) {
		t.Fatalf("timeline %v %v", by, err)
	}
}

// applyCounts: counters move by their amounts, absent ones from 0, and
// counted events carry the values after the change, also when the same
// counter moves twice in it; a failed guard moves none.
func applyCounts(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	counted := func(counts ...int) change.Counted {
		d := change.Counted{Parts: [][]byte{[]byte(`{"first":`)}}
		for i, n := range counts {
			d.Holes = append(d.Holes, n)
			sep := `,"next":`
			if i == len(counts)-1 {
				sep = `}`
			}
			d.Parts = append(d.Parts, []byte(sep))
		}
		return d
	}
	c := &change.Change{At: t0,
		Fields: []change.Field{{Kind: change.KindProgress, ID: "A-1", Field: "g:done", Value: "40"}},
		Events: []vocab.Event{{Stream: "n", Type: "x.first", Data: map[string]int{"before": 0}}}}
	apply(t, st, c)
	for i, want := range []string{`{"first":1,"next":41,"next":1}`, `{"first":2,"next":42,"next":2}`} {
		apply(t, st, &change.Change{At: t0,
			Counts: []change.Count{{Kind: change.KindProgress, ID: "A-1", Field: "g:ack", By: 1}, {Kind: change.KindProgress, ID: "A-1", Field: "g:done", By: 1},
				{Kind: change.KindProgress, ID: "A-2", Field: "g:ack", By: 1}},
			Events: []vocab.Event{{Stream: "n", Type: "x.counted", Data: counted(0, 1, 2)}}})
		msgs, _, err := st.Source.Range(ctx, "n", uint64(i+2), 1)
		if err != nil || len(msgs) != 1 || !strings.HasSuffix(string(msgs[0].JSON), `"data":`+want+`}`) {
			t.Fatalf("counted event %d: %v %v, want data %s", i, msgs, err, want)
		}
	}
	for field, want := range map[string]string{"g:ack": "2", "g:done": "42"} {
		if !holds(t, st, change.KindProgress, "A-1", field, want) {
			t.Errorf("%s is not %s", field, want)
		}
	}
	// Twice in one change, and by less than one: each hole has the value
	// its own count left.
	apply(t, st, &change.Change{At: t0,
		Counts: []change.Count{{Kind: change.KindProgress, ID: "A-1", Field: "g:ack", By: 5}, {Kind: change.KindProgress, ID: "A-1", Field: "g:ack", By: -3}},
		Events: []vocab.Event{{Stream: "n", Type: "x.counted", Data: counted(0, 1)}}})
	if msgs, _, err := st.Source.Range(ctx, "n", 4, 1); err != nil || len(msgs) != 1 || !strings.HasSuffix(string(msgs[0].JSON), `"data":{"first":7,"next":4}}`) {
		t.Fatalf("counted twice: %v %v", msgs, err)
	}
	_, err := st.Changes.Apply(ctx, &change.Change{At: t0,
		Guards: []change.Guard{{Kind: change.KindProgress, ID: "A-1", Field: "g:ack", Allowed: []string{"0"}, Why: "moved"}},
		Counts: []change.Count{{Kind: change.KindProgress, ID: "A-1", Field: "g:ack", By: 1}},
		Events: []vocab.Event{{Stream: "n", Type: "x.counted", Data: counted(0)}}})
	if !fault.IsConflict(err) || !holds(t, st, change.KindProgress, "A-1", "g:ack", "4") {
		t.Fatalf("a guarded count that failed: %v", err)
	}
	if seq, _ := st.Source.Seq(ctx, "n"); seq != 4 {
		t.Fatalf("the failed change's event was written: seq %d", seq)
	}
	// Data that cannot be filled is refused before anything is written.
	for name, d := range map[string]change.Counted{
		"hole without a count": counted(3),
		"parts and holes":      {Parts: [][]byte{[]byte(`{}`)}, Holes: []int{0}},
		"control character":    {Parts: [][]byte{[]byte("{\"a\":\x01"), []byte(`}`)}, Holes: []int{0}},
	} {
		_, err := st.Changes.Apply(ctx, &change.Change{At: t0,
			Counts: []change.Count{{Kind: change.KindProgress, ID: "A-1", Field: "g:ack", By: 1}},
			Events: []vocab.Event{{Stream: "n", Type: "x.counted", Data: d}}})
		if err == nil || !holds(t, st, change.KindProgress, "A-1", "g:ack", "4") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

package records_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"watchfloor/command/change"
	"watchfloor/command/store"
	"watchfloor/command/store/records"
	"watchfloor/command/store/storetest"
	"watchfloor/command/vocab"
)

// TestFeedReadsEventsWhole: the notifications feed, which reads a stream's
// entries itself, gives an event whose data has a shared part whole, as
// every reader of a stream does.
func TestFeedReadsEventsWhole(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, store.Options{})
	feed := records.NewFeed(st, vocab.ScreenStream)
	if err := feed.Group(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := change.NewPart(map[string]any{"orders": []string{"疏散周边群众"}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := p.With(map[string]string{"id": "x-1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Apply(ctx, &change.Change{At: time.Now(), Events: []vocab.Event{{Stream: vocab.ScreenStream, Type: "x.shared", Data: v}}}); err != nil {
		t.Fatal(err)
	}
	jobs, err := feed.Read(ctx, "c1", 10)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("feed: %v %v", jobs, err)
	}
	if got := string(jobs[0].Data); !strings.Contains(got, `"orders":["疏散周边群众"],"id":"x-1"`) || strings.ContainsRune(got, change.SharedMark) {
		t.Fatalf("the feed's event: %q", got)
	}
}

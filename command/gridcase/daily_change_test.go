package gridcase

import (
	"encoding/json"
	"testing"
	"time"

	"watchfloor/command/change"
	"watchfloor/command/vocab"
)

// A daily report is stored as its area's value of its date, announced to
// the screens of its area and audited.
func TestDailyChange(t *testing.T) {
	r := DailyReport{Area: "c1", Date: "2026-03-01", NothingToReport: true, By: "op", At: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	c, err := dailyChange(r)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(r)
	if len(c.Fields) != 1 || c.Fields[0] != (change.Field{Kind: change.KindDaily, ID: "2026-03-01", Field: "c1", Value: string(want)}) {
		t.Fatalf("fields %+v", c.Fields)
	}
	if len(c.Events) != 1 || c.Events[0].Type != vocab.DailyReportSubmitted || c.Events[0].Stream != vocab.ScreenStream || c.Events[0].Area != "c1" {
		t.Fatalf("events %+v", c.Events)
	}
	if len(c.Audit) != 1 || c.Audit[0].Object != "c1/2026-03-01" || c.Audit[0].Action != vocab.DailyReportSubmitted {
		t.Fatalf("audit %+v", c.Audit)
	}
}

package incident_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/memstore"
	"watchfloor/command/vocab"
)

// A follow-up whose category is blank once cleaned is refused naming
// category (it was stored as "" and grading then failed with a 500); one
// that leaves category out keeps the old one.
func TestFollowUpRefusesABlankCategory(t *testing.T) {
	grader, m := incident.SampleRules(t)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	mem := memstore.New(memstore.Options{Location: loc})
	svc := incident.NewService(mem.Incidents(), grader, m, incident.Options{Location: loc}, nil, incident.Hooks{})
	op := vocab.Actor{Username: "operator", Role: vocab.Operator}
	ctx := context.Background()
	inc, _, err := svc.Create(ctx, op, mustDecode(t, `{"category":"fire","title":"续报类别","grid":"440303002002001"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{`{"category":""}`, `{"category":"\u200b"}`, `{"category":"  "}`, `{"category":"\u202e"}`, `{"category":"nope"}`} {
		_, err := svc.Report(ctx, op, inc.ID, mustDecode(t, body), nil)
		var inv *fault.Invalid
		if !errors.As(err, &inv) || len(inv.Errors) != 1 || inv.Errors[0].Field != "category" {
			t.Errorf("%s: %v, want a field error on category", body, err)
		}
	}
	kept, err := svc.Report(ctx, op, inc.ID, mustDecode(t, `{"deaths":0}`), nil)
	if err != nil || kept.Category != "fire" {
		t.Fatalf("a report without category: %+v %v", kept, err)
	}
}

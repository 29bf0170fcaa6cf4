package incident_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/memstore"
	"watchfloor/command/vocab"
)

// Repeats of an Idempotency-Key, one sent with another body, and a report
// refused for a bad field take no incident number: the next new incident
// is -0002. Requests sent at once with one key still store one incident.
func TestRepeatsTakeNoIncidentNumber(t *testing.T) {
	grader, m := incident.SampleRules(t)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 7, 1, 4, 0, 0, 0, time.UTC)
	mem := memstore.New(memstore.Options{Location: loc})
	svc := incident.NewService(mem.Incidents(), grader, m, incident.Options{Location: loc}, func() time.Time { return now }, incident.Hooks{})
	op := vocab.Actor{Username: "operator", Role: vocab.Operator}
	ctx := context.Background()
	const body = `{"category":"fire","title":"编号测试","grid":"440303002002001"}`
	key := func(b string) *vocab.Idempotency {
		return &vocab.Idempotency{Key: "operator:incidents:k1", Fingerprint: b, TTL: time.Hour}
	}
	create := func(b string, idem *vocab.Idempotency) (*incident.Incident, bool, error) {
		t.Helper()
		return svc.Create(ctx, op, mustDecode(t, b), idem)
	}
	first, replayed, err := create(body, key(body))
	if err != nil || replayed || first.ID != "INC-20260701-0001" {
		t.Fatalf("first: %+v %t %v", first, replayed, err)
	}
	for i := range 3 {
		again, replayed, err := create(body, key(body))
		if err != nil || !replayed || again.ID != first.ID {
			t.Fatalf("repeat %d: %+v %t %v", i, again, replayed, err)
		}
	}
	other := `{"category":"fire","title":"另一个","grid":"440303002002001"}`
	var inv *fault.Invalid
	if _, _, err := create(other, key(other)); !errors.As(err, &inv) || inv.Errors[0].Field != "Idempotency-Key" {
		t.Fatalf("key with another body: %v", err)
	}
	if _, _, err := create(`{"category":"fire","title":" ","grid":"440303002002001"}`, nil); !errors.As(err, &inv) {
		t.Fatalf("blank title: %v", err)
	}
	next, _, err := create(body, nil)
	if err != nil || next.ID != "INC-20260701-0002" {
		t.Fatalf("next new incident: %+v %v, want INC-20260701-0002", next, err)
	}

	// At once, with a new key: one incident, the same answer to each.
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Go(func() {
			idem := &vocab.Idempotency{Key: "operator:incidents:k2", Fingerprint: body, TTL: time.Hour}
			in, _ := incident.Decode([]byte(body))
			if inc, _, err := svc.Create(ctx, op, in, idem); err == nil {
				ids[i] = inc.ID
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] || !strings.HasPrefix(id, "INC-20260701-") {
			t.Fatalf("at once with one key: %v, want one incident", ids)
		}
	}
	all, err := mem.Incidents().List(ctx, incident.Query{Limit: 100})
	if err != nil || len(all) != 3 {
		t.Fatalf("stored %d incidents (%v), want 3", len(all), err)
	}
}

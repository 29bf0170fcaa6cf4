package gridcase_test

import (
	"errors"
	"testing"
	"time"

	"watchfloor/command/fault"
	"watchfloor/command/gridcase"
	"watchfloor/command/vocab"
)

// Repeats of an Idempotency-Key, one sent with another body, and a case
// refused for a bad field take no case number: the next new case is -0002.
func TestRepeatsTakeNoCaseNumber(t *testing.T) {
	f := newCaseFloor(t)
	key := func(fp string) *vocab.Idempotency {
		return &vocab.Idempotency{Key: "op:cases:k1", Fingerprint: fp, TTL: time.Hour}
	}
	create := func(title string, idem *vocab.Idempotency) (*gridcase.Case, bool, error) {
		loc := west
		return f.svc.Create(bg, operator, &gridcase.Input{Kind: "litter", Title: title, Location: &loc}, idem)
	}
	first, replayed, err := create("found litter", key("a"))
	if err != nil || replayed || first.ID != "C-20260301-0001" {
		t.Fatalf("first: %+v %t %v", first, replayed, err)
	}
	for i := range 3 {
		again, replayed, err := create("found litter", key("a"))
		if err != nil || !replayed || again.ID != first.ID {
			t.Fatalf("repeat %d: %+v %t %v", i, again, replayed, err)
		}
	}
	var inv *fault.Invalid
	if _, _, err := create("something else", key("b")); !errors.As(err, &inv) || inv.Errors[0].Field != "Idempotency-Key" {
		t.Fatalf("key with another body: %v", err)
	}
	if _, _, err := create(" ", nil); !errors.As(err, &inv) {
		t.Fatalf("blank title: %v", err)
	}
	next, _, err := create("found litter", nil)
	if err != nil || next.ID != "C-20260301-0002" {
		t.Fatalf("next new case: %+v %v, want C-20260301-0002", next, err)
	}
}

package gridcase_test

import (
	"errors"
	"strings"
	"testing"

	"watchfloor/command/fault"
	"watchfloor/command/gridcase"
)

// An action's reason and note are at most 2000 characters and its result
// 4000 (as an incident's), counted in characters once cleaned; more is
// refused naming the field, and the case is left as it was.
func TestActionTextLimits(t *testing.T) {
	long := func(n int) string { return strings.Repeat("长", n) }
	passed := false
	for _, c := range []struct {
		name  string
		steps []gridcase.Action // taken first
		act   gridcase.Action
		field string // "" when accepted
	}{
		{"reject reason at the limit", nil, gridcase.Action{Action: "reject", Reason: long(2000) + "\u200b "}, ""},
		{"reject reason over", nil, gridcase.Action{Action: "reject", Reason: long(2001)}, "reason"},
		{"escalate reason over", nil, gridcase.Action{Action: "escalate", Reason: long(2001)}, "reason"},
		{"accept with a long reason", nil, gridcase.Action{Action: "accept", Reason: long(2001)}, "reason"},
		{"handle result at the limit", []gridcase.Action{{Action: "accept"}, {Action: "dispatch", Assignee: "go-g1"}},
			gridcase.Action{Action: "handle", Result: long(4000)}, ""},
		{"handle result over", []gridcase.Action{{Action: "accept"}, {Action: "dispatch", Assignee: "go-g1"}},
			gridcase.Action{Action: "handle", Result: long(4001)}, "result"},
		{"verify note over", []gridcase.Action{{Action: "accept"}, {Action: "dispatch", Assignee: "go-g1"}, {Action: "handle", Result: "done"}},
			gridcase.Action{Action: "verify", Passed: &passed, Note: long(2001)}, "note"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newCaseFloor(t)
			cs := f.report("litter", west)
			for _, s := range c.steps {
				var err error
				if cs, err = f.act(operator, cs.ID, s); err != nil {
					t.Fatalf("%s: %v", s.Action, err)
				}
			}
			who := operator
			if c.act.Action == "verify" {
				who = checker
			}
			got, err := f.act(who, cs.ID, c.act)
			if c.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got.Version != cs.Version+1 {
					t.Fatalf("not stored: %+v", got)
				}
				return
			}
			var inv *fault.Invalid
			if !errors.As(err, &inv) || len(inv.Errors) != 1 || inv.Errors[0].Field != c.field {
				t.Fatalf("%v, want a field error on %s", err, c.field)
			}
			if now, _, err := f.svc.Get(bg, operator, cs.ID); err != nil || now.Version != cs.Version || now.Status != cs.Status {
				t.Fatalf("the case changed: %+v %v", now, err)
			}
		})
	}
}

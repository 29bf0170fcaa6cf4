package plan_test

import (
	"slices"
	"strings"
	"testing"

	"watchfloor/command/plan"
)

// A higher body's request is cleaned as every typed text: from or text with
// nothing visible is refused naming it, and nothing is stored; invisible
// characters are dropped from what is stored.
func TestStartByHandRequestIsCleaned(t *testing.T) {
	for _, c := range []struct {
		name, from, text string
		want             []string
	}{
		{"from space", " ", "做好防汛准备", []string{"request.from"}},
		{"from zero-width", "\u200b", "做好防汛准备", []string{"request.from"}},
		{"from override", "\u202e", "做好防汛准备", []string{"request.from"}},
		{"from filler", "\u3164", "做好防汛准备", []string{"request.from"}},
		{"text zero-width", "市应急管理局", "\u200b\u200b", []string{"request.text"}},
		{"text control", "市应急管理局", "\x01\n\x02", []string{"request.text"}},
		{"both", "\ufeff", "\u2060", []string{"request.from", "request.text"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newPlanFloor(t)
			_, err := f.svc.StartByHand(bg, leader, plan.Start{PlanID: "fire", Level: "II", Request: &plan.Request{From: c.from, Text: c.text}})
			if got := invalidFields(t, err); !slices.Equal(got, c.want) {
				t.Fatalf("fields %v, want %v (%v)", got, c.want, err)
			}
			if f.plans() != "" {
				t.Fatalf("stored %s", f.plans())
			}
		})
	}
	f := newPlanFloor(t)
	a, err := f.svc.StartByHand(bg, leader, plan.Start{PlanID: "fire", Level: "II",
		Request: &plan.Request{From: "\u202e市应急\u200b管理局 ", Text: " 做好\u0007防汛\n准备\u200b"}})
	if err != nil || a.Request.From != "市应急管理局" || a.Request.Text != "做好防汛\n准备" {
		t.Fatalf("activation %+v %v, want the request cleaned", a, err)
	}
}

// A request's from is at most 200 characters (as a warning's source) and
// its text 4000 (as every long text), counted in characters.
func TestStartByHandRequestLimits(t *testing.T) {
	for _, c := range []struct {
		name, from, text string
		want             []string
	}{
		{"at the limits", strings.Repeat("局", 200), strings.Repeat("备", 4000), nil},
		{"from too long", strings.Repeat("局", 201), "做好防汛准备", []string{"request.from"}},
		{"text too long", "市应急管理局", strings.Repeat("备", 4001), []string{"request.text"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newPlanFloor(t)
			_, err := f.svc.StartByHand(bg, leader, plan.Start{PlanID: "fire", Level: "II", Request: &plan.Request{From: c.from, Text: c.text}})
			if c.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if got := invalidFields(t, err); !slices.Equal(got, c.want) {
				t.Fatalf("fields %v, want %v (%v)", got, c.want, err)
			}
			if f.plans() != "" {
				t.Fatalf("stored %s", f.plans())
			}
		})
	}
}

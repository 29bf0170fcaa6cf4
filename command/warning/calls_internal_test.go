package warning

import (
	"fmt"
	"slices"
	"testing"
)

func standBy(plan string, groups map[string][]string) StandBy {
	sb := StandBy{PlanID: plan}
	for _, id := range slices.Sorted(func(yield func(string) bool) {
		for id := range groups {
			if !yield(id) {
				return
			}
		}
	}) {
		sb.Groups = append(sb.Groups, Group{ID: id, Units: groups[id]})
	}
	return sb
}

// TestCalls: a unit's stand-by begins or ends per plan and group, not per
// unit alone: moved to another group, or put on stand-by by another plan,
// it is called for that one.
func TestCalls(t *testing.T) {
	for _, tc := range []struct {
		name        string
		before, now []StandBy
		want        []string // on|off plan/group/unit
	}{
		{"nothing", nil, nil, nil},
		{"a plan joins", nil, []StandBy{standBy("p", map[string][]string{"g": {"u1", "u2"}})}, []string{"on p/g/u1", "on p/g/u2"}},
		{"a plan leaves", []StandBy{standBy("p", map[string][]string{"g": {"u1"}})}, nil, []string{"off p/g/u1"}},
		{"unchanged", []StandBy{standBy("p", map[string][]string{"g": {"u1"}})}, []StandBy{standBy("p", map[string][]string{"g": {"u1"}})}, nil},
		{"a unit joins and another leaves a group",
			[]StandBy{standBy("p", map[string][]string{"g": {"u1", "u2"}})}, []StandBy{standBy("p", map[string][]string{"g": {"u2", "u3"}})},
			[]string{"on p/g/u3", "off p/g/u1"}},
		{"a unit moves to another group",
			[]StandBy{standBy("p", map[string][]string{"a": {"u1"}, "b": {}})}, []StandBy{standBy("p", map[string][]string{"a": {}, "b": {"u1"}})},
			[]string{"on p/b/u1", "off p/a/u1"}},
		{"the same unit under another plan",
			[]StandBy{standBy("p", map[string][]string{"g": {"u1"}})}, []StandBy{standBy("p", map[string][]string{"g": {"u1"}}), standBy("q", map[string][]string{"g": {"u1"}})},
			[]string{"on q/g/u1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, c := range calls(tc.before, tc.now) {
				state := "off"
				if c.on {
					state = "on"
				}
				got = append(got, fmt.Sprintf("%s %s/%s/%s", state, c.plan.PlanID, c.group.ID, c.unit))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("calls = %q, want %q", got, tc.want)
			}
		})
	}
}

// BenchmarkCalls2000 compares the stand-by of a plan whose group is 2,000
// responders before and after a warning's change that keeps them all (a
// colour raised), as each such change does.
func BenchmarkCalls2000(b *testing.B) {
	units := make([]string, 2000)
	for i := range units {
		units[i] = fmt.Sprintf("R%04d", i)
	}
	sb := []StandBy{standBy("p", map[string][]string{"everyone": units})}
	for b.Loop() {
		if n := len(calls(sb, sb)); n != 0 {
			b.Fatalf("%d calls", n)
		}
	}
}

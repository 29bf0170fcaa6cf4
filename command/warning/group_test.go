package warning_test

import (
	"fmt"
	"slices"
	"testing"

	"watchfloor/command/warning"
	"watchfloor/config"
)

func TestGroupUnits(t *testing.T) {
	teams := map[string][]string{"a": {"u1", "u2"}, "b": {"u3"}}
	members := func(names []string) []string {
		var out []string
		for _, n := range names {
			out = append(out, teams[n]...)
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		g       config.Group
		members func([]string) []string
		want    []string
	}{
		{"nobody is empty, not nil", config.Group{}, members, []string{}},
		{"units named, in order", config.Group{Units: []string{"u9", "u8"}}, members, []string{"u9", "u8"}},
		{"team members after the units named", config.Group{Units: []string{"u9"}, Teams: []string{"a"}}, members, []string{"u9", "u1", "u2"}},
		{"a unit named and in a team is there once", config.Group{Units: []string{"u2"}, Teams: []string{"a", "b"}}, members, []string{"u2", "u1", "u3"}},
		{"a unit named twice is there once", config.Group{Units: []string{"u1", "u1"}}, members, []string{"u1"}},
		{"a member of two teams named is there once", config.Group{Teams: []string{"a", "a"}}, members, []string{"u1", "u2"}},
		{"no roster: the units named only", config.Group{Units: []string{"u1"}, Teams: []string{"a"}}, nil, []string{"u1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := warning.GroupUnits(tc.g, tc.members)
			if got == nil || !slices.Equal(got, tc.want) {
				t.Errorf("GroupUnits = %#v, want %#v", got, tc.want)
			}
		})
	}
}

// BenchmarkGroupUnits2000 resolves a group of one team of 2,000 responders
// (the load runs' plan to every responder), as each proposal and
// activation of such a plan does.
func BenchmarkGroupUnits2000(b *testing.B) {
	team := make([]string, 2000)
	for i := range team {
		team[i] = fmt.Sprintf("R%04d", i)
	}
	g := config.Group{Units: []string{"R0007"}, Teams: []string{"fanout"}}
	members := func([]string) []string { return team }
	for b.Loop() {
		if n := len(warning.GroupUnits(g, members)); n != 2000 {
			b.Fatalf("%d units", n)
		}
	}
}

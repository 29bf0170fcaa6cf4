package registry_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"watchfloor/command/unit/registry"
)

// A callsign and a team are cleaned as every typed text: one with nothing
// visible is refused naming the field (on create and edit), one with
// invisible characters is stored without them, nothing is written when
// refused.
func TestRegistryCleansCallsignAndTeam(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, callsign, team string
		want                 []string // fields named; nil when accepted
		callsignAs, teamAs   string
	}{
		{"plain", "巡逻99", "t", nil, "巡逻99", "t"},
		{"cleaned", " \u202e巡逻\u200b99 ", "\u200bpatrol-east\u00ad", nil, "巡逻99", "patrol-east"},
		{"override then text", "\u202eadmin", "", nil, "admin", ""},
		{"callsign space", " ", "t", []string{"callsign"}, "", ""},
		{"callsign zero-width", "\u200b", "t", []string{"callsign"}, "", ""},
		{"callsign override", "\u202e", "t", []string{"callsign"}, "", ""},
		{"callsign filler", "\u3164\u3164", "t", []string{"callsign"}, "", ""},
		{"callsign control", "\x07", "t", []string{"callsign"}, "", ""},
		{"callsign too long", strings.Repeat("巡", 65), "t", []string{"callsign"}, "", ""},
		{"team space", "巡逻99", " ", []string{"team"}, "", ""},
		{"team zero-width", "巡逻99", "\u200b", []string{"team"}, "", ""},
		{"team override", "巡逻99", "\u202e\u202c", []string{"team"}, "", ""},
		{"team too long", "巡逻99", strings.Repeat("队", 65), []string{"team"}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, f, _, _ := registryFloor(t)
			in := registry.Input{ID: "car-99", Callsign: tc.callsign, Type: "car", Team: tc.team}
			v, err := r.Create(ctx, in, admin)
			if tc.want != nil {
				if got := fields(err); !slices.Equal(got, tc.want) {
					t.Fatalf("create: %v, want a field error on %v", err, tc.want)
				}
				if f.Exists("car-99") {
					t.Fatal("a refused unit was added")
				}
				edit := registry.Input{Callsign: tc.callsign, Type: "car", Team: tc.team}
				if _, err := r.Update(ctx, "car-01", edit, 1, admin); !slices.Equal(fields(err), tc.want) {
					t.Fatalf("edit: %v, want a field error on %v", err, tc.want)
				}
				return
			}
			if err != nil || v.Callsign != tc.callsignAs || v.Team != tc.teamAs {
				t.Fatalf("create: %q %q %v, want %q %q", v.Callsign, v.Team, err, tc.callsignAs, tc.teamAs)
			}
		})
	}
}

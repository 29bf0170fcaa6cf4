package config

import (
	"fmt"
	"slices"

	"watchfloor/alerts"
	"watchfloor/command/vocab"
)

// Plan is a preset emergency plan (预案) of the "1+N" system.
type Plan struct {
	ID   string `yaml:"id" json:"id"`
	Name Text   `yaml:"name" json:"name"`
	// Categories it applies to; empty means every category (the general plan).
	Categories []string     `yaml:"categories" json:"categories"`
	MinLevel   alerts.Level `yaml:"min_level" json:"min_level"`
	// When holds extra conditions (people, zones, sensitive periods).
	When *alerts.Condition `yaml:"when" json:"when,omitempty"`
	// Commander names who commands at each level ("I" … "IV").
	Commander map[string]Text `yaml:"commander" json:"commander"`
	// Approvers are the roles that may approve, reject and end the plan at
	// each level ("I" … "IV"), e.g. I and II only leader.
	Approvers map[string][]vocab.Role `yaml:"approvers" json:"approvers"`
	// AutoActivate plans respond by procedure: active as soon as they match.
	AutoActivate bool    `yaml:"auto_activate" json:"auto_activate"`
	Groups       []Group `yaml:"groups" json:"groups"`
	// Warnings are the warnings (预警) that put the plan on stand-by (待命).
	Warnings []WarningTrigger `yaml:"warnings" json:"warnings,omitempty"`
}

// WarningTrigger puts a plan on stand-by for a warning of one of Types at
// MinColour or above.
type WarningTrigger struct {
	Types     []string `yaml:"types" json:"types"`
	MinColour string   `yaml:"min_colour" json:"min_colour"`
}

// WarningTypes are the types of warning a trigger may name (the same as
// package warning's, which imports config).
func WarningTypes() []string {
	return []string{"typhoon", "rainstorm", "flood", "large_event", "mass_gathering", "other"}
}

// WarningColours are the colour levels, least severe first.
func WarningColours() []string { return []string{"blue", "yellow", "orange", "red"} }

// validate checks the trigger at path at: known types, at least one, and a
// known colour.
func (w WarningTrigger) validate(at string) []error {
	var p problems
	if len(w.Types) == 0 {
		p.add("%s.types: name at least one of %v", at, WarningTypes())
	}
	for _, t := range w.Types {
		if !slices.Contains(WarningTypes(), t) {
			p.add("%s.types: %q is not a warning type (%v)", at, t, WarningTypes())
		}
	}
	if !slices.Contains(WarningColours(), w.MinColour) {
		p.add("%s.min_colour: required, one of %v", at, WarningColours())
	}
	return p
}

// Group is a working group of a plan: its members and their tasks.
type Group struct {
	ID    string   `yaml:"id" json:"id"`
	Name  Text     `yaml:"name" json:"name"`
	Units []string `yaml:"units" json:"units"`
	Teams []string `yaml:"teams" json:"teams"`
	Tasks []Text   `yaml:"tasks" json:"tasks"`
}

// plans are the preset plans, checked as one list.
type plans []Plan

// validate checks plans: unique ids, then each plan.
func (ps plans) validate(in scope) []error {
	return unique("plans", ps, func(pl Plan) string { return pl.ID },
		func(pl Plan, at string) []error { return pl.validate(at, in) })
}

// validate checks the plan at path at, but for its id: both names, configured categories,
// a level, sound conditions, who commands and approves, and its groups.
func (pl Plan) validate(at string, in scope) []error {
	var p problems
	if !bilingual(pl.Name) {
		p.add("%s.name: both zh and en are required", at)
	}
	for _, cat := range pl.Categories {
		if !in.categories[cat] {
			p.add("%s.categories: %q is not a configured category", at, cat)
		}
	}
	if !pl.MinLevel.Valid() {
		p.add("%s.min_level: required, one of I, II, III, IV", at)
	}
	if pl.When != nil {
		if err := pl.When.Validate(); err != nil {
			p.add("%s.when: %v", at, err)
		}
	}
	p = append(p, pl.validateApprovers(at)...)
	for i, w := range pl.Warnings {
		p = append(p, w.validate(fmt.Sprintf("%s.warnings[%d]", at, i))...)
	}
	for k := range pl.Commander {
		if _, err := alerts.ParseLevel(k); err != nil {
			p.add("%s.commander: %q is not a level", at, k)
		}
	}
	return append(p, unique(at+".groups", pl.Groups, func(g Group) string { return g.ID },
		func(g Group, at string) []error { return g.validate(at, in) })...)
}

// validateApprovers checks that every level from the plan's least up names
// roles that may approve, and that only levels are named.
func (pl Plan) validateApprovers(at string) []error {
	var p problems
	for l := pl.MinLevel; l.Valid() && l <= alerts.LevelI; l++ {
		roles := pl.Approvers[l.String()]
		if len(roles) == 0 {
			p.add("%s.approvers: name who approves at level %s", at, l)
		}
		for _, r := range roles {
			if !vocab.ValidRole(r) || r == vocab.Responder || r == vocab.Viewer {
				p.add("%s.approvers.%s: %q may not approve plans", at, l, r)
			}
		}
	}
	for k := range pl.Approvers {
		if _, err := alerts.ParseLevel(k); err != nil {
			p.add("%s.approvers: %q is not a level", at, k)
		}
	}
	return p
}

// validate checks the working group at path at, but for its id: configured units, teams
// that some unit is in, and its tasks.
func (g Group) validate(at string, in scope) []error {
	var p problems
	for _, u := range g.Units {
		if !in.units[u] {
			p.add("%s.units: %q is not a configured unit", at, u)
		}
	}
	for _, t := range g.Teams {
		if !in.teams[t] {
			p.add("%s.teams: no unit is in team %q", at, t)
		}
	}
	if len(g.Tasks) == 0 {
		p.add("%s.tasks: a working group needs its tasks", at)
	}
	return p
}

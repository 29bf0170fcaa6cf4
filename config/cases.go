package config

import (
	"slices"
	"strings"
	"time"
)

// CaseKind is a kind of grid case: the level that handles it first, a time
// limit per step (accept, dispatch, handle, verify, close), and whether a
// missed limit escalates it by itself.
type CaseKind struct {
	ID         string                   `yaml:"id"`
	Name       Text                     `yaml:"name"`
	FirstLevel string                   `yaml:"first_level"`
	Limits     map[string]time.Duration `yaml:"limits"`
	// EscalateOnOverdue moves an overdue case up one level by itself.
	EscalateOnOverdue bool `yaml:"escalate_on_overdue"`
	// Mediation: handling records a mediation outcome (disputes).
	Mediation bool `yaml:"mediation"`
}

// CaseSteps are the steps that have time limits, by the status they leave.
var CaseSteps = []string{"accept", "dispatch", "handle", "verify", "close"}

// DailyReports: the areas that report daily, even when there is nothing
// (零报告), and the local time by which they must.
type DailyReports struct {
	Areas []string `yaml:"areas"`
	Due   string   `yaml:"due"` // HH:MM local
}

// Patrol: the daily minutes a grid officer spends inside the grid.
type Patrol struct {
	TargetMinutes int `yaml:"target_minutes"`
	// MaxGap: fixes further apart than this do not count as time inside.
	MaxGap time.Duration `yaml:"max_gap"`
}

// caseKinds are the grid case kinds, checked as one list.
type caseKinds []CaseKind

// validate checks case_kinds: unique ids, both names, a first level, and
// time limits of at least a minute on known steps.
func (ks caseKinds) validate(scope) []error {
	return unique("case_kinds", ks, func(k CaseKind) string { return k.ID }, CaseKind.validate)
}

// validate checks the case kind at path at, but for its id.
func (k CaseKind) validate(at string) []error {
	var p problems
	if !bilingual(k.Name) {
		p.add("%s.name: both zh and en are required", at)
	}
	switch k.FirstLevel {
	case "grid", "community", "street", "district":
	default:
		p.add("%s.first_level: %q must be grid, community, street or district", at, k.FirstLevel)
	}
	for step, d := range k.Limits {
		if !slices.Contains(CaseSteps, step) {
			p.add("%s.limits: %q is not a step (%s)", at, step, strings.Join(CaseSteps, ", "))
		}
		if d < time.Minute {
			p.add("%s.limits.%s: at least 1m", at, step)
		}
	}
	return p
}

// validate checks daily_reports.due.
func (d DailyReports) validate(scope) []error {
	var p problems
	if _, err := time.Parse("15:04", d.Due); err != nil {
		p.add("daily_reports.due: %q must be a local time HH:MM", d.Due)
	}
	return p
}

// validate checks patrol.*.
func (pt Patrol) validate(scope) []error {
	return broken([]bound{{pt.TargetMinutes < 1 || pt.MaxGap < time.Minute, "patrol: target_minutes at least 1 and max_gap at least 1m"}})
}

package config

import (
	"fmt"
	"time"

	"watchfloor/alerts"
)

// Deadline is a reporting deadline (信息报告时限), counted from an incident's
// creation or from the level rise that brought it to one of Levels.
type Deadline struct {
	Kind   string         `yaml:"kind"`
	Name   Text           `yaml:"name"`
	Within time.Duration  `yaml:"within"`
	Levels []alerts.Level `yaml:"levels"`
}

// deadlines are the reporting deadlines, checked as one list.
type deadlines []Deadline

// validate checks deadlines: a kind, a positive time limit and the levels.
func (ds deadlines) validate(scope) []error {
	var p problems
	for i, d := range ds {
		at := fmt.Sprintf("deadlines[%d]", i)
		if !idPattern.MatchString(d.Kind) {
			p.add("%s.kind: %q must be a lowercase id", at, d.Kind)
		}
		if d.Within <= 0 {
			p.add("%s.within: must be a positive duration such as 1h", at)
		}
		if len(d.Levels) == 0 {
			p.add("%s.levels: name the levels it applies to", at)
		}
	}
	return p
}

package config

import (
	"fmt"
	"slices"
	"time"

	"watchfloor/alerts"
)

// Duplicates says when a new call may repeat an incident already open: the
// same category within RadiusM metres, created or reported within Window.
type Duplicates struct {
	RadiusM float64       `yaml:"radius_m"`
	Window  time.Duration `yaml:"window"`
}

// Recipient is a body an information report (信息报告) is sent to.
type Recipient struct {
	ID   string `yaml:"id" json:"id"`
	Name Text   `yaml:"name" json:"name"`
}

// ReportLevels are the response levels report_recipients must name.
var ReportLevels = []string{"I", "II", "III", "IV"}

// Recipients returns the recipients configured for a level (nil for none).
func (c *Config) Recipients(level string) []Recipient {
	return c.ReportRecipients[level]
}

// validate checks duplicates.*.
func (d Duplicates) validate(scope) []error {
	var p problems
	if d.RadiusM <= 0 || d.RadiusM > 50000 {
		p.add("duplicates.radius_m: %g must be more than 0 and at most 50000 metres", d.RadiusM)
	}
	if d.Window < time.Minute || d.Window > 7*24*time.Hour {
		p.add("duplicates.window: %s must be between 1m and 168h", d.Window)
	}
	return p
}

// recipients are report_recipients, by level.
type recipients map[string][]Recipient

// validate checks report_recipients: when given, every level and only
// levels, each recipient with a lowercase id named once and both names.
func (rs recipients) validate(scope) []error {
	if rs == nil {
		return nil
	}
	var p problems
	for level := range rs {
		if !slices.Contains(ReportLevels, level) {
			p.add("report_recipients.%s: not a level (I, II, III or IV)", level)
		}
	}
	for _, level := range ReportLevels {
		list, ok := rs[level]
		if !ok {
			p.add("report_recipients.%s: missing: list the level's recipients, or write %s: [] for none", level, level)
			continue
		}
		seen := map[string]bool{}
		for i, r := range list {
			at := fmt.Sprintf("report_recipients.%s[%d]", level, i)
			if !idPattern.MatchString(r.ID) {
				p.add("%s.id: %q must be a lowercase id", at, r.ID)
			}
			if seen[r.ID] {
				p.add("%s.id: %q is named twice for level %s", at, r.ID, level)
			}
			seen[r.ID] = true
			if !bilingual(r.Name) {
				p.add("%s.name: both zh and en are required", at)
			}
		}
	}
	return p
}

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

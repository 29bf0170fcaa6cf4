package config

import (
	"fmt"
	"time"
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

// validateConsole checks duplicates and report_recipients.
func (c *Config) validateConsole(bad func(format string, a ...any)) {
	if c.Duplicates.RadiusM <= 0 || c.Duplicates.RadiusM > 50000 {
		bad("duplicates.radius_m: %g must be more than 0 and at most 50000 metres", c.Duplicates.RadiusM)
	}
	if c.Duplicates.Window < time.Minute || c.Duplicates.Window > 7*24*time.Hour {
		bad("duplicates.window: %s must be between 1m and 168h", c.Duplicates.Window)
	}
	if c.ReportRecipients == nil {
		return
	}
	for level := range c.ReportRecipients {
		known := false
		for _, l := range ReportLevels {
			known = known || l == level
		}
		if !known {
			bad("report_recipients.%s: not a level (I, II, III or IV)", level)
		}
	}
	for _, level := range ReportLevels {
		list, ok := c.ReportRecipients[level]
		if !ok {
			bad("report_recipients.%s: missing: list the level's recipients, or write %s: [] for none", level, level)
			continue
		}
		seen := map[string]bool{}
		for i, r := range list {
			at := fmt.Sprintf("report_recipients.%s[%d]", level, i)
			if !idPattern.MatchString(r.ID) {
				bad("%s.id: %q must be a lowercase id", at, r.ID)
			}
			if seen[r.ID] {
				bad("%s.id: %q is named twice for level %s", at, r.ID, level)
			}
			seen[r.ID] = true
			if r.Name.ZH == "" || r.Name.EN == "" {
				bad("%s.name: both zh and en are required", at)
			}
		}
	}
}

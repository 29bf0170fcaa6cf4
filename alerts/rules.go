package alerts

import (
	"errors"
	"fmt"
	"time"
)

// Period is a sensitive period (national holidays, major conferences), in
// local dates, both ends included.
type Period struct {
	ID   string `yaml:"id"`
	Name Text   `yaml:"name"`
	From string `yaml:"from"`
	To   string `yaml:"to"`

	// FromDate and ToDate are the parsed dates; set by Validate.
	FromDate time.Time `yaml:"-"`
	ToDate   time.Time `yaml:"-"`
}

// Text is a string shown to users in Chinese and English.
type Text struct {
	ZH string `yaml:"zh" json:"zh"`
	EN string `yaml:"en" json:"en"`
}

// Category is an incident category (事件类别) with its grading rules.
type Category struct {
	ID    string `yaml:"id"`
	Name  Text   `yaml:"name"`
	Rules []Rule `yaml:"rules"`
	// UnitTypes are the unit types suited to respond (candidates).
	UnitTypes []string `yaml:"unit_types"`
	// BaseLevel is the level when no rule fires (default IV).
	BaseLevel Level `yaml:"base_level"`
	// CAPCategory is the OASIS CAP 1.2 category of its incidents in a CAP
	// export (Fire, Security, …); empty is Other.
	CAPCategory string `yaml:"cap_category"`
}

// Rule raises an incident of its category to Level when every condition in
// When holds.
type Rule struct {
	ID     string    `yaml:"id"`
	Level  Level     `yaml:"level"`
	When   Condition `yaml:"when"`
	Reason Text      `yaml:"reason"`
}

// Condition is the conjunction of the facts a rule looks at; a nil range
// or an empty list is not looked at.
type Condition struct {
	PeopleInvolved *Range `yaml:"people_involved"`
	Deaths         *Range `yaml:"deaths"`
	Injuries       *Range `yaml:"injuries"`
	// Casualties counts the dead and injured together (死伤).
	Casualties     *Range `yaml:"casualties"`
	DirectLossYuan *Range `yaml:"direct_loss_yuan"`
	// ZoneKinds holds when the location lies in a zone of any of these kinds.
	ZoneKinds []string `yaml:"zone_kinds"`
	// SensitivePeriod holds when the incident occurred in a sensitive period.
	SensitivePeriod bool `yaml:"sensitive_period"`
}

// Range bounds a number. By the 2007 regulation's reading, "N 以上" (Min)
// includes N and "N 以下" (Max) excludes it; each bound can say otherwise.
type Range struct {
	Min          *float64 `yaml:"min"`
	Max          *float64 `yaml:"max"`
	MinExclusive bool     `yaml:"min_exclusive"`
	MaxInclusive bool     `yaml:"max_inclusive"`
}

// Contains reports whether v lies in the range.
func (r *Range) Contains(v float64) bool {
	if r.Min != nil {
		if r.MinExclusive && v <= *r.Min || !r.MinExclusive && v < *r.Min {
			return false
		}
	}
	if r.Max != nil {
		if r.MaxInclusive && v > *r.Max || !r.MaxInclusive && v >= *r.Max {
			return false
		}
	}
	return true
}

// Validate checks that a condition looks at something and its ranges are sound.
func (w *Condition) Validate() error {
	n := 0
	for name, r := range map[string]*Range{
		"people_involved": w.PeopleInvolved, "deaths": w.Deaths, "injuries": w.Injuries,
		"casualties": w.Casualties, "direct_loss_yuan": w.DirectLossYuan,
	} {
		if r == nil {
			continue
		}
		n++
		if r.Min == nil && r.Max == nil {
			return fmt.Errorf("%s: give min, max or both", name)
		}
		if r.Min != nil && r.Max != nil && *r.Max < *r.Min {
			return fmt.Errorf("%s: max %v is below min %v", name, *r.Max, *r.Min)
		}
	}
	n += len(w.ZoneKinds)
	if w.SensitivePeriod {
		n++
	}
	if n == 0 {
		return errors.New("a rule needs at least one condition")
	}
	return nil
}

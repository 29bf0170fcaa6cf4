package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"watchfloor/alerts"
)

// Text is a string shown to users in Chinese and English.
type Text = alerts.Text

// Period is a sensitive period; see alerts.Period.
type Period = alerts.Period

// Category is an incident category with its grading rules; see alerts.Category.
type Category = alerts.Category

// periods are sensitive_periods, checked as one list.
type periods []Period

// validate checks sensitive_periods: unique ids and dates in order.
func (ps periods) validate(scope) []error {
	return unique("sensitive_periods", ps, func(pd Period) string { return pd.ID }, checkPeriod)
}

// checkPeriod checks the dates of the sensitive period at path at.
func checkPeriod(pd Period, at string) []error {
	from, err1 := time.Parse(time.DateOnly, pd.From)
	to, err2 := time.Parse(time.DateOnly, pd.To)
	switch {
	case err1 != nil:
		return []error{fmt.Errorf("%s.from: %q is not a date (YYYY-MM-DD)", at, pd.From)}
	case err2 != nil:
		return []error{fmt.Errorf("%s.to: %q is not a date (YYYY-MM-DD)", at, pd.To)}
	case to.Before(from):
		return []error{fmt.Errorf("%s: to %s is before from %s", at, pd.To, pd.From)}
	}
	return nil
}

// CAPCategories are the categories of OASIS CAP 1.2 (§3.2.2), for categories[].cap_category.
var CAPCategories = []string{"Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE", "Other"}

// categories are the incident categories, checked as one list.
type categories []Category

// validate checks categories: at least one, each with a unique id, both
// names, sound rules and unit types that are configured.
func (cs categories) validate(in scope) []error {
	var p problems
	if len(cs) == 0 {
		p.add("categories: at least one incident category is required")
	}
	seen := map[string]bool{}
	for i, cat := range cs {
		at := fmt.Sprintf("categories[%d]", i)
		if !idPattern.MatchString(cat.ID) {
			p.add("%s.id: %q must be a lowercase id", at, cat.ID)
		}
		if seen[cat.ID] {
			p.add("%s.id: %q is defined twice", at, cat.ID)
		}
		seen[cat.ID] = true
		if !bilingual(cat.Name) {
			p.add("%s.name: both zh and en are required", at)
		}
		if cat.CAPCategory != "" && !slices.Contains(CAPCategories, cat.CAPCategory) {
			p.add("%s.cap_category: %q is not a CAP 1.2 category (%s)", at, cat.CAPCategory, strings.Join(CAPCategories, ", "))
		}
		p = append(p, rules(cat.Rules).validate(at)...)
		for _, t := range cat.UnitTypes {
			if !in.unitTypes[t] {
				p.add("%s.unit_types: %q is not a configured unit type", at, t)
			}
		}
	}
	return p
}

// rules are the grading rules of one category.
type rules []alerts.Rule

// validate checks the rules of the category at path at.
func (rs rules) validate(at string) []error {
	var p problems
	seen := idSet{}
	for j, r := range rs {
		rat := fmt.Sprintf("%s.rules[%d]", at, j)
		if !seen.fresh(r.ID) {
			p.add("%s.id: %q must be a unique lowercase id within the category", rat, r.ID)
		}
		if !r.Level.Valid() {
			p.add("%s.level: required, one of I, II, III, IV", rat)
		}
		if !bilingual(r.Reason) {
			p.add("%s.reason: both zh and en are required", rat)
		}
		if err := r.When.Validate(); err != nil {
			p.add("%s.when: %v", rat, err)
		}
	}
	return p
}

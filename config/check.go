package config

import (
	"errors"
	"fmt"
	"regexp"
)

// scope is what a section's checks need from the rest of the tree: the ids
// defined in other sections, and whether an environment was given to read
// the *_env keys from.
type scope struct {
	unitTypes, units, teams, categories map[string]bool
	env                                 bool
}

// scope collects the ids that sections refer to across the resolved tree.
func (c *Config) scope(env bool) scope {
	in := scope{unitTypes: map[string]bool{}, units: map[string]bool{}, teams: map[string]bool{}, categories: map[string]bool{}, env: env}
	for _, t := range c.UnitTypes {
		in.unitTypes[t.ID] = true
	}
	for _, u := range c.Units {
		in.units[u.ID], in.teams[u.Team] = true, true
	}
	for _, cat := range c.Categories {
		in.categories[cat.ID] = true
	}
	return in
}

// problems collects the errors of one section, each naming its key path.
type problems []error

// add records a problem, formatted as fmt.Errorf does.
func (p *problems) add(format string, a ...any) { *p = append(*p, fmt.Errorf(format, a...)) }

// bound is a check of a section whose problem needs no more than the
// section: when broken, problem is reported.
type bound struct {
	broken  bool
	problem string
}

// broken returns the problems of the broken bounds, in order.
func broken(bs []bound) problems {
	var p problems
	for _, b := range bs {
		if b.broken {
			p = append(p, errors.New(b.problem))
		}
	}
	return p
}

// idSet notes the ids of a list as they are read, to refuse one that is not
// a lowercase id or comes twice.
type idSet map[string]bool

// fresh reports whether id is a lowercase id not seen before, and notes it.
func (s idSet) fresh(id string) bool {
	ok := idPattern.MatchString(id) && !s[id]
	s[id] = true
	return ok
}

// unique checks a list whose items have ids, each at its path key[i]: an
// id must be a lowercase id named once, and check checks the rest of an item.
func unique[T any](key string, list []T, id func(T) string, check func(x T, at string) []error) []error {
	var p problems
	seen := idSet{}
	for i, x := range list {
		at := fmt.Sprintf("%s[%d]", key, i)
		if !seen.fresh(id(x)) {
			p.add("%s.id: %q must be a unique lowercase id", at, id(x))
		}
		p = append(p, check(x, at)...)
	}
	return p
}

// bilingual reports whether a text has both its Chinese and English.
func bilingual(t Text) bool { return t.ZH != "" && t.EN != "" }

// idPattern is what an id looks like: lowercase, as in Redis keys and URLs.
var idPattern = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,63}$`)

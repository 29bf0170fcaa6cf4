// Package alerts grades incidents: it turns the facts of a report, the zones
// its location falls in and the calendar into a response level (I–IV) and
// the reasons for it. It is pure: configuration in, results out.
package alerts

import (
	"encoding/json"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Level is a graded response level. Larger values are more serious, so the
// most serious of several levels is their maximum; LevelNone is "not graded".
type Level uint8

// The four response levels of 分级响应, from ordinary (IV, blue) to
// particularly serious (I, red).
const (
	LevelNone Level = iota
	LevelIV
	LevelIII
	LevelII
	LevelI
)

var levelNames = [...]string{"", "IV", "III", "II", "I"}

// ParseLevel reads "I", "II", "III" or "IV".
func ParseLevel(s string) (Level, error) {
	for i := LevelIV; i <= LevelI; i++ {
		if levelNames[i] == s {
			return i, nil
		}
	}
	return LevelNone, fmt.Errorf("unknown level %q: want I, II, III or IV", s)
}

// String returns the level as the API spells it ("I" … "IV"), or "" for none.
func (l Level) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return ""
}

// Valid reports whether l is one of the four levels.
func (l Level) Valid() bool { return l >= LevelIV && l <= LevelI }

// MarshalJSON writes the level as its string, or null when not graded.
func (l Level) MarshalJSON() ([]byte, error) {
	if !l.Valid() {
		return []byte("null"), nil
	}
	return json.Marshal(l.String())
}

// UnmarshalJSON reads the level from its string form.
func (l *Level) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*l = LevelNone
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("level must be a string: I, II, III or IV")
	}
	v, err := ParseLevel(s)
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// UnmarshalYAML reads a level from configuration, naming the line of a bad one.
func (l *Level) UnmarshalYAML(node *yaml.Node) error {
	if err := l.UnmarshalText([]byte(node.Value)); err != nil {
		return fmt.Errorf("line %d: %w", node.Line, err)
	}
	return nil
}

// UnmarshalText reads "I" … "IV".
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// MarshalText is the inverse of UnmarshalText.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// Names in Chinese and English, for reasons and pages.
func (l Level) NameZH() string {
	return [...]string{"", "一般", "较大", "重大", "特别重大"}[l%5]
}

// NameEN is the English name of the level.
func (l Level) NameEN() string {
	return [...]string{"", "ordinary", "relatively serious", "serious", "particularly serious"}[l%5]
}

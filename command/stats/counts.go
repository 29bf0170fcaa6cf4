package stats

import (
	"time"

	"watchfloor/command/vocab"
)

// Step is one step of a local day's figures, taken when an event happens:
// Field of the day's counters goes up by one, or, when List is set, Seconds
// is appended to the day's samples of that list ("ack", "scene").
type Step struct {
	At      time.Time
	Field   string
	List    string
	Seconds float64
}

// Counts returns the figures an event on the screen stream moves. It is the
// one place that names the counters the bulletins and analyses read;
// drills never count.
func Counts(ev vocab.Event) []Step {
	return nil
}

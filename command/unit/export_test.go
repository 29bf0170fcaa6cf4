package unit

// Waiting returns how many parts wait in the workers' queues, not yet taken:
// a test's sign that a caller's positions are queued, which Queued, counted
// before they are, is not.
func (g *Ingester) Waiting() int {
	n := 0
	for _, sh := range g.shards {
		n += len(sh.reqs)
	}
	return n
}

// HeardOwnNote reports whether Follow has heard one of this instance's own
// notes: from then on it knows itself among a note's listeners.
func (g *Ingester) HeardOwnNote() bool { return g.ownHeard.Load() != 0 }

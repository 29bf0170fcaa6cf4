package warning

// Held is how many warnings the index holds in full (active) and as
// tombstones (ended), for tests.
func (x *Index) Held() (active, ended int) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.active), len(x.ended)
}

package warning

import "slices"

// Held is how many warnings the index holds in full (active) and as
// tombstones (ended), for tests.
func (x *Index) Held() (active, ended int) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.active), len(x.ended)
}

// Active returns the warnings active in the index, newest issued first.
func (x *Index) Active() []*Warning {
	x.mu.RLock()
	out := make([]*Warning, 0, len(x.active))
	for _, e := range x.active {
		out = append(out, e.w)
	}
	x.mu.RUnlock()
	slices.SortFunc(out, func(a, b *Warning) int { return b.IssuedAt.Compare(a.IssuedAt) })
	return out
}

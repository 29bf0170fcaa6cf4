package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Timers is the timer set (timer.Store): members scored by their due time
// in unix ms, as in the Redis sorted set; a claim moves the score to the
// end of the lease, and the score is the lease a release must still find.
type Timers struct{ s *Store }

// Timers returns the timer storage.
func (s *Store) Timers() *Timers { return &Timers{s: s} }

// Due implements timer.Store: due members by score, then by name.
func (x *Timers) Due(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("reading timers: %w", err)
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	type due struct {
		member string
		at     int64
	}
	var ds []due
	for m, at := range x.s.timers {
		if at <= now.UnixMilli() {
			ds = append(ds, due{m, at})
		}
	}
	slices.SortFunc(ds, func(a, b due) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.member, b.member)) })
	out := make([]string, 0, min(len(ds), limit))
	for _, d := range ds[:min(len(ds), limit)] {
		out = append(out, d.member)
	}
	return out, nil
}

// Remove implements timer.Store.
func (x *Timers) Remove(ctx context.Context, member string) error {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	delete(x.s.timers, member)
	return nil
}

// Claim implements timer.Store.
func (x *Timers) Claim(ctx context.Context, member string, now time.Time, lease time.Duration) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, fmt.Errorf("claiming timer: %w", err)
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	at, ok := x.s.timers[member]
	if !ok || at > now.UnixMilli() {
		return "", false, nil
	}
	until := now.Add(lease).UnixMilli()
	x.s.timers[member] = until
	return strconv.FormatInt(until, 10), true, nil
}

// Release implements timer.Store: the timer goes unless it was rescheduled
// since the claim.
func (x *Timers) Release(ctx context.Context, member, lease string) error {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if at, ok := x.s.timers[member]; ok && strconv.FormatInt(at, 10) == lease {
		delete(x.s.timers, member)
	}
	return nil
}

// ScheduleOnce adds a timer unless it exists (gridcase.DailyStore).
func (s *Store) ScheduleOnce(ctx context.Context, member string, due time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.timers[member]; !ok {
		s.timers[member] = due.UnixMilli()
	}
	return nil
}

// When returns when member is due (a claimed one: the end of its
// lease), and whether it is scheduled at all.
func (x *Timers) When(member string) (time.Time, bool) {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	at, ok := x.s.timers[member]
	return time.UnixMilli(at), ok
}

package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"watchfloor/command/alarm"
	"watchfloor/command/change"
)

// RaiseSystem raises an alarm about the system itself (Redis memory,
// repeated failed logins): shown on every screen like any alarm, but not
// counted in the bulletins' figures, which are about incidents.
func (s *Store) RaiseSystem(ctx context.Context, a *alarm.Alarm) error {
	c := &change.Change{At: a.RaisedAt}
	c.Raise(a)
	_, err := s.Apply(ctx, c)
	return err
}

// Memory is Redis's memory use: used_memory and maxmemory (0: no limit)
// from INFO memory.
func (s *Store) Memory(ctx context.Context) (used, limit int64, err error) {
	info, err := s.rdb.Info(ctx, "memory").Result()
	if err != nil {
		return 0, 0, s.wrap("reading redis memory", err)
	}
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		switch k {
		case "used_memory":
			used, _ = strconv.ParseInt(v, 10, 64)
		case "maxmemory":
			limit, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return used, limit, nil
}

// MemoryWatch raises the redis.memory alarm when Redis's used memory
// passes Share of maxmemory, once: it is cleared (acknowledged by
// "system") when use falls back below Share less five points, and may
// then be raised again. A key in Redis says it is raised, so several
// instances raise it once between them.
type MemoryWatch struct {
	Store    *Store
	Share    float64
	Interval time.Duration
	Now      func() time.Time
	// Observe, when set, receives every reading (for gauges).
	Observe func(used, limit int64)
}

// memoryAlarmID is the one redis.memory alarm.
var memoryAlarmID = alarm.ID(alarm.RedisMemory, "redis")

// Run checks memory every Interval until ctx ends.
func (w *MemoryWatch) Run(ctx context.Context) error {
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := w.Check(ctx); err != nil && ctx.Err() == nil {
			w.Store.log.Warn("checking redis memory failed", "err", err)
		}
	}
}

// Check reads memory once and raises or clears the alarm.
func (w *MemoryWatch) Check(ctx context.Context) error {
	if !w.Store.Ready() {
		return nil
	}
	used, limit, err := w.Store.Memory(ctx)
	if err != nil {
		return err
	}
	if w.Observe != nil {
		w.Observe(used, limit)
	}
	if w.Share <= 0 || limit <= 0 {
		return nil
	}
	share := float64(used) / float64(limit)
	flag := w.Store.Key("alarmflag", alarm.RedisMemory)
	switch {
	case share >= w.Share:
		ok, err := w.Store.rdb.SetNX(ctx, flag, "1", 0).Result()
		if err != nil || !ok {
			return w.Store.wrap("raising the memory alarm", err)
		}
		now := w.Now().UTC()
		a := &alarm.Alarm{ID: memoryAlarmID, Kind: alarm.RedisMemory, RaisedAt: now, Title: "Redis memory",
			Detail: fmt.Sprintf("Redis uses %d of %d bytes (%.0f%%, alarm at %.0f%%); when it is full every write fails", used, limit, share*100, w.Share*100)}
		if err := w.Store.RaiseSystem(ctx, a); err != nil {
			// Try again next time: the flag goes with the failed raise.
			if derr := w.Store.rdb.Del(ctx, flag).Err(); derr != nil {
				return errors.Join(err, w.Store.wrap("clearing the memory alarm flag", derr))
			}
			return err
		}
		w.Store.log.Warn("redis memory alarm raised", "used", used, "maxmemory", limit)
	case share < w.Share-0.05:
		n, err := w.Store.rdb.Del(ctx, flag).Result()
		if err != nil || n == 0 {
			return w.Store.wrap("clearing the memory alarm", err)
		}
		a, err := w.Store.Alarms().Load(ctx, memoryAlarmID)
		if err != nil || a.AckedAt != nil {
			return err
		}
		now := w.Now().UTC()
		a.AckedBy, a.AckedAt = "system", &now
		return w.Store.ClearSystem(ctx, a)
	}
	return nil
}

// ClearSystem marks an open system alarm acknowledged (a.AckedBy at
// a.AckedAt), without counting it in the figures; one already
// acknowledged is left as it is.
func (s *Store) ClearSystem(ctx context.Context, a *alarm.Alarm) error {
	c := &change.Change{At: *a.AckedAt}
	c.Ack(a)
	_, err := s.Apply(ctx, c)
	if errors.Is(err, ErrConflict) {
		return nil
	}
	return err
}

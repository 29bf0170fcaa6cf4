package unit

import (
	"context"
	"fmt"
	"time"

	"watchfloor/command/fault"
	"watchfloor/command/vocab"
)

// Service carries out requests about units that are not positions.
type Service struct {
	Fleet *Fleet
	store Store
	now   func() time.Time
}

// NewService builds the unit service.
func NewService(f *Fleet, st Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{Fleet: f, store: st, now: now}
}

// SetStatus puts a unit on or off duty. The statuses of an order
// (dispatched, en_route, on_scene) belong to dispatch and are refused here.
func (s *Service) SetStatus(ctx context.Context, id, status, by string, role vocab.Role) (View, error) {
	if !s.Fleet.Known(id) {
		if s.Fleet.Exists(id) {
			return View{}, &fault.Conflict{Detail: fmt.Sprintf("unit %s is retired", id)}
		}
		return View{}, fmt.Errorf("unit %s: %w", id, fault.ErrNotFound)
	}
	if status != Available && status != OffDuty {
		return View{}, fault.Field("status", "must be available or off_duty: dispatch moves a unit through its orders")
	}
	cur := s.Fleet.Status(id)
	if cur != Available && cur != OffDuty {
		return View{}, &fault.Conflict{Detail: fmt.Sprintf("unit %s is %s on an order: it goes on or off duty when the order is cleared", id, cur)}
	}
	if _, err := s.store.Apply(ctx, statusChange(id, status, by, role, s.now().UTC())); err != nil {
		return View{}, err
	}
	s.Fleet.SetStatus(id, status)
	v, _ := s.Fleet.Get(id, false)
	return v, nil
}

// Track returns a unit's stored fixes between from and to.
func (s *Service) Track(ctx context.Context, id string, from, to time.Time) ([]Fix, error) {
	if !s.Fleet.Exists(id) {
		return nil, fmt.Errorf("unit %s: %w", id, fault.ErrNotFound)
	}
	return s.store.Track(ctx, id, from, to, 20000)
}

// Framer sends screens one unit.positions frame per interval with the
// units that moved or changed status since the last, encoded once.
type Framer struct {
	Fleet    *Fleet
	Interval time.Duration
	// Publish hands a frame to every screen of this instance.
	Publish func(frame []byte)
}

// Run sends frames until ctx ends.
func (fr *Framer) Run(ctx context.Context) error {
	t := time.NewTicker(fr.Interval)
	defer t.Stop()
	buf := make([]byte, 0, 64<<10)
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			buf = buf[:0]
			buf = append(buf, `{"type":"unit.positions","at":"`...)
			buf = now.UTC().AppendFormat(buf, time.RFC3339Nano)
			buf = append(buf, `","data":{"units":`...)
			var n int
			buf, n = fr.Fleet.frame(buf)
			if n == 0 {
				continue
			}
			buf = append(buf, "}}"...)
			frame := make([]byte, len(buf)) // subscribers keep it: never reuse
			copy(frame, buf)
			fr.Publish(frame)
		}
	}
}

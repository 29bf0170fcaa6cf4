package views

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/duty"
	"watchfloor/command/store"
)

// Duty stores the duty roster and the handovers, a hash per month:
//
//	roster:{YYYY-MM}      date → day (JSON), v:{date} → version
//	handovers:{YYYY-MM}   id → handover (JSON), s:{id} → status
//	handovers:drafts      username → id of the last handover they opened
//	handovers:n:{day}     counter for handover ids
type Duty struct{ base }

// NewDuty returns the duty storage of s.
func NewDuty(s *store.Store) *Duty { return &Duty{base{s}} }

var _ duty.Store = (*Duty)(nil)

// Month implements duty.Store.
func (x *Duty) Month(ctx context.Context, kind, month string) (map[string]string, error) {
	if err := x.s.Check("reading " + kind); err != nil {
		return nil, err
	}
	m, err := x.s.Client().HGetAll(ctx, x.s.Key(kind, month)).Result()
	if err != nil {
		return nil, x.s.Wrap("reading "+kind+" of "+month, err)
	}
	return m, nil
}

// NextID implements duty.Store.
func (x *Duty) NextID(ctx context.Context, day string) (int64, error) {
	return x.s.NextID(ctx, "handovers", day)
}

// Field implements duty.Store.
func (x *Duty) Field(ctx context.Context, kind, id, field string) (string, bool, error) {
	if err := x.s.Check("reading " + kind); err != nil {
		return "", false, err
	}
	v, err := x.s.Client().HGet(ctx, x.s.Key(kind, id), field).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, x.s.Wrap("reading "+kind+" of "+id, err)
	}
	return v, true, nil
}

package views

import (
	"context"

	"watchfloor/command/duty"
	"watchfloor/command/store"
)

// Duty stores the duty roster and the handovers, a hash per month:
//
//	roster:{YYYY-MM}      date → day (JSON), v:{date} → version
//	handovers:{YYYY-MM}   id → handover (JSON), s:{id} → status
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

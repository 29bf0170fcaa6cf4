// Package alarm is what needs a person now: a new level I or II incident,
// an order not acknowledged in time, an overdue report. Alarms are stored
// objects raised in the same atomic step as the change that causes them,
// shown on every screen until someone acknowledges them.
package alarm

import (
	"context"
	"fmt"
	"strings"
	"time"

	"watchfloor/command/fault"
	"watchfloor/command/vocab"
)

// Kinds of alarm.
const (
	SeriousIncident = "incident.serious"
	OrderExpired    = "dispatch.expired"
	DeadlineOverdue = "deadline.overdue"
	// JobFailing: a follow-up of a change (automatic dispatch, plan
	// proposals) keeps failing; it is still being retried.
	JobFailing = "job.failing"
	// RedisMemory: Redis is filling up (used memory past redis.memory_alarm
	// of maxmemory); when full, every write fails.
	RedisMemory = "redis.memory"
	// LoginFailures: one account name or address failed to log in
	// limits.login_alarm times within limits.login_window.
	LoginFailures = "login.failures"
	// CaseOverdue: a grid case passed its step's time limit.
	CaseOverdue = "case.overdue"
	// SupervisionOverdue: a supervised (挂牌督办) case still open when its
	// supervision date passed.
	SupervisionOverdue = "supervision.overdue"
	// AssemblyOverdue: a unit not on scene by its order's assembly (集结)
	// deadline.
	AssemblyOverdue = "order.assembly_overdue"
)

// Alarm is raised on the screens until acknowledged.
type Alarm struct {
	ID         string `json:"id"`
	Kind       string `json:"kind"`
	IncidentID string `json:"incident_id,omitempty"`
	DispatchID string `json:"dispatch_id,omitempty"`
	UnitID     string `json:"unit_id,omitempty"`
	Level      string `json:"level,omitempty"`
	Title      string `json:"title,omitempty"`
	Detail     string `json:"detail,omitempty"`
	// Area is the grid code an alarm about a grid case or a daily report
	// belongs to: accounts limited to an area see only their area's.
	Area     string    `json:"area,omitempty"`
	RaisedAt time.Time `json:"raised_at"`
	// Approver and ApproverName name the leader on duty (带班领导) when it
	// was raised, the default approver of an alarm about a serious
	// incident; empty when no shift of the roster covered the time.
	Approver     string `json:"approver,omitempty"`
	ApproverName string `json:"approver_name,omitempty"`
	// Drill: raised by a drill; shown, never counted.
	Drill   bool       `json:"drill,omitempty"`
	AckedBy string     `json:"acked_by"`
	AckedAt *time.Time `json:"acked_at,omitempty"`
}

// System reports whether the alarm is about the system itself (Redis
// memory, failed logins): shown like any alarm, never counted in the
// bulletins' figures, which are about incidents.
func (a *Alarm) System() bool { return a.Kind == RedisMemory || a.Kind == LoginFailures }

// ID makes an alarm id from its kind and what it is about, so raising the
// same alarm twice stores it once. It holds no '/', so that it is one path
// segment in /api/v1/alarms/{id}/ack.
func ID(kind, about string) string { return kind + ":" + strings.ReplaceAll(about, "/", ":") }

// Store keeps alarms.
type Store interface {
	List(ctx context.Context, open bool, limit int) ([]*Alarm, error)
	Load(ctx context.Context, id string) (*Alarm, error)
	// Ack marks an open alarm acknowledged with its alarm.acked event; an
	// alarm already acknowledged is fault.ErrConflict.
	Ack(ctx context.Context, a *Alarm, role vocab.Role) error
}

// Service lists and acknowledges alarms.
type Service struct {
	store Store
	now   func() time.Time
}

// NewService builds the alarm service.
func NewService(st Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, now: now}
}

// List returns open alarms, or all recent ones.
func (s *Service) List(ctx context.Context, open bool) ([]*Alarm, error) {
	return s.store.List(ctx, open, 500)
}

// Ack acknowledges an alarm on every screen at once. visible says
// whether the caller may see an alarm of an area ("" for one of no area:
// true only for a caller of the whole city); one it may not see is not
// found, as on reading, and one of no area, which every caller sees, is
// acknowledged only by a caller of the whole city (a community's operator
// would clear the city's alarm from every screen).
func (s *Service) Ack(ctx context.Context, id, by string, role vocab.Role, visible func(area string) bool) (*Alarm, error) {
	a, err := s.store.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	switch {
	case visible == nil || visible(a.Area):
	case a.Area == "":
		return nil, &fault.Forbidden{Detail: fmt.Sprintf("alarm %s belongs to no area: it is acknowledged by an account of the whole city, not one limited to an area", id)}
	default:
		return nil, fmt.Errorf("alarm %s: %w", id, fault.ErrNotFound)
	}
	if a.AckedAt != nil {
		return nil, &fault.Conflict{Detail: fmt.Sprintf("alarm %s was already acknowledged by %s", id, a.AckedBy)}
	}
	now := s.now().UTC()
	a.AckedBy, a.AckedAt = by, &now
	if err := s.store.Ack(ctx, a, role); err != nil {
		return nil, err
	}
	return a, nil
}

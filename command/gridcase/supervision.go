package gridcase

import (
	"context"
	"fmt"
	"time"

	"watchfloor/command/alarm"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/vocab"
)

// SupervisionKind is the kind of the 挂牌督办 timers: id is the case's id.
const SupervisionKind = "supervision"

// finished reports whether a case is past the work a supervision watches.
func finished(status string) bool {
	return status == Closed || status == Evaluated || status == Rejected
}

// supervision keeps the 督办 timer of c in step with the change: set (or
// moved) when a leader lists the case to a date, cancelled when the case
// is closed or rejected.
func supervision(c *Case, prev string, w *Write) {
	switch {
	case c.Supervision == nil:
	case !finished(c.Status) && (w.Entries[0].Action == "supervise"):
		w.SuperviseDue = &c.Supervision.DueAt
	case finished(c.Status) && !finished(prev):
		w.EndSupervision = true
	}
}

// SupervisionDue is the 督办 timer's handler: a case still open when its
// supervision date passes raises one supervision.overdue alarm naming the
// case, the date and the leader on duty, and its timeline says so. The
// case remembers the date it was raised for (Supervision.OverdueAt), and
// its version guards the write, so the alarm is raised once across
// instances; a new date listed later raises its own.
func (s *Service) SupervisionDue(ctx context.Context, id string, _ time.Time) (bool, error) {
	prev, err := s.store.Load(ctx, id)
	if fault.IsNotFound(err) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	now := s.now().UTC()
	sup := prev.Supervision
	if sup == nil || finished(prev.Status) || sup.DueAt.After(now) || sup.OverdueAt != nil {
		return true, nil // cleared, done, moved to a later date, or raised already
	}
	c := *prev
	marked := *sup
	marked.OverdueAt = &now
	c.Supervision = &marked
	due := sup.DueAt.In(s.opts.Location).Format("2006-01-02 15:04")
	a := &alarm.Alarm{ID: alarm.ID(alarm.SupervisionOverdue, c.ID+"/"+sup.DueAt.Format("20060102T150405Z")), Kind: alarm.SupervisionOverdue,
		Title: c.Title, Drill: c.Drill, Area: c.Area, RaisedAt: now,
		Detail: fmt.Sprintf("case %s (挂牌督办 by %s) is still %s past its supervision date %s", c.ID, sup.By, c.Status, due)}
	a.ApproverName, a.Approver = incident.NameApprover(ctx, s.opts.Approvers, now, nil, "alarm "+a.ID)
	w := &Write{Case: &c, Prev: prev, Event: "case.updated", Alarm: a, Entries: []Entry{{At: now, Action: "supervision_overdue", By: "system",
		Role: vocab.System, Status: c.Status, Detail: map[string]any{"due_at": sup.DueAt, "by": sup.By}}}}
	c.UpdatedAt, c.Version = now, prev.Version+1
	if _, err := s.save(ctx, w); err != nil {
		if fault.IsConflict(err) {
			return false, nil // changed meanwhile: look again next poll
		}
		return false, err
	}
	return true, nil
}

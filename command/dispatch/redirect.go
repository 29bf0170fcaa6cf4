package dispatch

import (
	"context"
	"fmt"
	"strings"
	"time"

	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/unit"
)

// Redirect (改派) cancels an active order and sends unitID to the same
// incident in its place, in one commit: both happen or neither. The new
// order names the old one in Replaces. The checks are those of a new
// order: the unit is known (400) and available (409).
func (s *Service) Redirect(ctx context.Context, who Who, id, unitID, note string) (old, next *Dispatch, err error) {
	note = incident.CleanNote(note) // shown on timelines and responders' screens
	bad := &fault.Invalid{}
	switch {
	case strings.TrimSpace(unitID) == "":
		bad.Add("unit_id", "required: the unit to send instead")
	case !s.fleet.Known(unitID):
		bad.Add("unit_id", "unknown unit %q", unitID)
	}
	if len([]rune(note)) > 1000 {
		bad.Add("note", "at most 1000 characters")
	}
	if err := bad.Err(); err != nil {
		return nil, nil, err
	}
	old, err = s.store.Load(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if !Active(old.Status) {
		return nil, nil, &fault.Conflict{Detail: fmt.Sprintf("order %s is already %s: only an active order is redirected (send a new one instead)", id, old.Status)}
	}
	if old.UnitID == unitID {
		return nil, nil, fault.Field("unit_id", "unit %s already has order %s: name another unit", unitID, old.ID)
	}
	inc, err := s.incidents.Load(ctx, old.IncidentID)
	if err != nil {
		return nil, nil, err
	}
	if inc.Status == incident.StatusClosed {
		return nil, nil, &fault.Conflict{Detail: fmt.Sprintf("incident %s is closed", inc.ID)}
	}
	if st := s.fleet.Status(unitID); st != unit.Available {
		return nil, nil, &fault.Conflict{Detail: fmt.Sprintf("unit_id: unit %s is %s, not available; order %s is unchanged", unitID, st, old.ID)}
	}
	now := s.now().UTC()
	day := now.In(s.opts.Location).Format("20060102")
	n, err := s.store.NextID(ctx, day)
	if err != nil {
		return nil, nil, fmt.Errorf("numbering order: %w", err)
	}
	v, _ := s.fleet.Get(unitID, false)
	next = &Dispatch{
		ID: fmt.Sprintf("D-%s-%04d", day, n), IncidentID: inc.ID, UnitID: unitID, Callsign: v.Callsign, Status: Offered,
		Note: note, Attempt: 1, Replaces: old.ID, Redirect: true, CreatedAt: now, CreatedBy: who.Username,
		AckDue: now.Add(s.opts.Dispatch.AckTimeout), AssemblyDue: s.assemblyDue(now), UpdatedAt: now, Drill: inc.Drill,
	}
	prev := *old
	reason := "redirected to " + v.Callsign
	if note != "" {
		reason += ": " + note
	}
	old.Status, old.CancelledAt, old.CancelReason, old.RedirectedTo, old.UpdatedAt = Cancelled, &now, reason, next.ID, now
	w := &Write{Incident: inc, At: now,
		Changes:    []Change{{D: old, Prev: &prev}, {D: next}},
		UnitStatus: map[string]string{old.UnitID: unit.Available, unitID: unit.Dispatched},
		AddTimers:  map[string]time.Time{next.ID: next.AckDue},
		DelTimers:  []string{old.ID},
		Entries: []incident.Entry{
			{At: now, Type: "dispatch.redirected", By: who.Username, Role: who.Role, Reason: note, Detail: map[string]any{
				"dispatch_id": old.ID, "unit_id": old.UnitID, "callsign": old.Callsign, "from_status": prev.Status,
				"to_dispatch_id": next.ID, "to_unit_id": unitID, "to_callsign": next.Callsign}},
			{At: now, Type: "dispatch.created", By: who.Username, Role: who.Role, Detail: map[string]any{
				"dispatch_id": next.ID, "unit_id": unitID, "callsign": next.Callsign, "rule": "", "replaces": old.ID, "redirect": true, "note": note}},
		},
	}
	if err := s.save(ctx, w); err != nil {
		return nil, nil, err
	}
	s.fleet.SetStatus(old.UnitID, unit.Available)
	s.fleet.SetStatus(unitID, unit.Dispatched)
	return old, next, nil
}

package store

import (
	"slices"
	"strconv"
	"time"

	"watchfloor/alerts"
	"watchfloor/command/account"
	"watchfloor/command/alarm"
	"watchfloor/command/change"
	"watchfloor/command/dispatch"
	"watchfloor/command/gridcase"
	"watchfloor/command/incident"
	"watchfloor/command/plan"
	"watchfloor/command/warning"
)

// Indexes are how documents are laid out beside their hash: the sets and
// sorted sets each kind's reads use, kept by Apply in the same Lua step as
// the document.

// indexOpsOf keeps the indexes of a document's kind: the sets and sorted
// sets the reads of that kind use.
func (s *Store) indexOpsOf(d change.Doc) []Op {
	// A value with a shared part is indexed by the value it encodes.
	if sh, ok := d.Value.(*change.Shared); ok {
		d.Value = sh.Of
	}
	if sh, ok := d.Prev.(*change.Shared); ok {
		d.Prev = sh.Of
	}
	switch d.Kind {
	case change.KindIncident:
		return s.incidentIndex(d)
	case change.KindDispatch:
		return s.dispatchIndex(d)
	case change.KindActivation:
		return s.activationIndex(d)
	case change.KindTask:
		return s.taskIndex(d)
	case change.KindCase:
		return s.caseIndex(d)
	case change.KindAlarm:
		return s.alarmIndex(d)
	case account.Kind:
		return s.accountIndex(d)
	case warning.Kind:
		return s.warningIndex(d)
	case change.KindUnit:
		return []Op{{Cmd: "SADD", Key: s.Key("units", "all"), Args: []string{d.ID}}}
	}
	return nil
}

// listedOps keep id of a listed kind in {set}:updated, scored by its last
// change (ms), and move it between the filter sets {set}:idx:{index}: out
// of those of prev it no longer belongs to, into all of now.
func (s *Store) listedOps(set, id string, updated time.Time, prev, now []string) []Op {
	ops := []Op{{Cmd: "ZADD", Key: s.Key(set, "updated"), Args: []string{strconv.FormatInt(updated.UnixMilli(), 10), id}}}
	for _, ix := range prev {
		if !slices.Contains(now, ix) {
			ops = append(ops, Op{Cmd: "SREM", Key: s.Key(set, "idx", ix), Args: []string{id}})
		}
	}
	for _, ix := range now {
		ops = append(ops, Op{Cmd: "SADD", Key: s.Key(set, "idx", ix), Args: []string{id}})
	}
	return ops
}

// incidentIndexes are the filter sets an incident belongs to.
func incidentIndexes(inc *incident.Incident) []string {
	if inc == nil {
		return nil
	}
	out := []string{"status:" + inc.Status, "level:" + inc.Level.String(), "category:" + inc.Category}
	for _, c := range inc.Grid.Codes() {
		out = append(out, "grid:"+c)
	}
	return out
}

// incidentIndex keeps an incident's indexes: when it last changed, and the
// sets of the list filters it belongs to.
func (s *Store) incidentIndex(d change.Doc) []Op {
	inc, _ := d.Value.(*incident.Incident)
	if inc == nil {
		return nil
	}
	prev, _ := d.Prev.(*incident.Incident)
	ops := s.listedOps("incidents", inc.ID, inc.UpdatedAt, incidentIndexes(prev), incidentIndexes(inc))
	if due, ok := inc.OpenDue(); ok { // the leaders' countdown, earliest due first
		ops = append(ops, Op{Cmd: "ZADD", Key: s.Key("incidents", "due"), Args: []string{strconv.FormatInt(due.UnixMilli(), 10), inc.ID}})
	} else {
		ops = append(ops, Op{Cmd: "ZREM", Key: s.Key("incidents", "due"), Args: []string{inc.ID}})
	}
	if prev != nil && prev.Category != inc.Category {
		ops = append(ops, Op{Cmd: "ZREM", Key: s.Key("incidents", "near", prev.Category), Args: []string{inc.ID}})
	}
	open, near := s.Key("incidents", "open"), s.Key("incidents", "near", inc.Category)
	l := inc.Location
	switch {
	case inc.Status == incident.StatusClosed:
		return append(ops, Op{Cmd: "ZREM", Key: open, Args: []string{inc.ID}}, Op{Cmd: "ZREM", Key: near, Args: []string{inc.ID}})
	case l != nil && incident.Searchable(l.Lon, l.Lat): // a GEOADD Redis refuses would fail the script midway
		return append(ops, Op{Cmd: "ZADD", Key: open, Args: []string{openRank(inc.Level, inc.UpdatedAt), inc.ID}},
			Op{Cmd: "GEOADD", Key: near, Args: []string{strconv.FormatFloat(l.Lon, 'f', -1, 64), strconv.FormatFloat(l.Lat, 'f', -1, 64), inc.ID}})
	}
	return append(ops, Op{Cmd: "ZADD", Key: open, Args: []string{openRank(inc.Level, inc.UpdatedAt), inc.ID}}, Op{Cmd: "ZREM", Key: near, Args: []string{inc.ID}})
}

// openRank is an incident's score in incidents:open: its level, then its
// last change (ms, under 10^13 until 2286), most serious and latest highest.
func openRank(l alerts.Level, updated time.Time) string {
	return strconv.FormatInt(int64(l)*1e13+updated.UnixMilli(), 10)
}

// dispatchIndex keeps an order in its incident's set, and in its unit's and
// the active set while it binds its unit.
func (s *Store) dispatchIndex(doc change.Doc) []Op {
	d, ok := doc.Value.(*dispatch.Dispatch)
	if !ok {
		return nil
	}
	ops := []Op{{Cmd: "SADD", Key: s.Key("incident", d.IncidentID, "dispatches"), Args: []string{d.ID}}}
	cmd := "SREM"
	if dispatch.Active(d.Status) {
		cmd = "SADD"
	}
	return append(ops,
		Op{Cmd: cmd, Key: s.Key("unit", d.UnitID, "orders"), Args: []string{d.ID}},
		Op{Cmd: cmd, Key: s.Key("dispatches", "active"), Args: []string{d.ID}})
}

// activationIndex keeps an activation in its incident's set, its
// warning's set and the set of its status, out of the set of its status
// before; an ended or rejected one is also ranked by its last change
// among the latest of its status.
func (s *Store) activationIndex(d change.Doc) []Op {
	a, ok := d.Value.(*plan.Activation)
	if !ok {
		return nil
	}
	ops := []Op{{Cmd: "SADD", Key: s.Key("activations", a.Status), Args: []string{a.ID}}}
	if a.IncidentID != "" { // a plan started on a higher body's request has none
		ops = append(ops, Op{Cmd: "SADD", Key: s.Key("incident", a.IncidentID, "activations"), Args: []string{a.ID}})
	}
	if a.WarningID != "" { // started by hand for a warning (预警)
		ops = append(ops, Op{Cmd: "SADD", Key: s.Key("warning", a.WarningID, "activations"), Args: []string{a.ID}})
	}
	if prev, ok := d.Prev.(*plan.Activation); ok && prev.Status != a.Status {
		ops = append(ops, Op{Cmd: "SREM", Key: s.Key("activations", prev.Status), Args: []string{a.ID}})
	}
	if a.Status == plan.Ended || a.Status == plan.Rejected { // final: ranked once, never left
		ops = append(ops, Op{Cmd: "ZADD", Key: s.Key("activations", a.Status, "latest"), Args: []string{strconv.FormatInt(LatestScore(a), 10), a.ID}})
	}
	return ops
}

// LatestScore is an activation's rank among the latest of its status: its
// last change, in milliseconds.
func LatestScore(a *plan.Activation) int64 { return a.UpdatedAt.UnixMilli() }

// taskIndex adds a new task to its unit's set.
func (s *Store) taskIndex(d change.Doc) []Op {
	t, ok := d.Value.(*plan.Task)
	if !ok || d.Prev != nil {
		return nil
	}
	return []Op{{Cmd: "SADD", Key: s.Key("unit", t.UnitID, "tasks"), Args: []string{t.ID}}}
}

// caseIndexes are the filter sets a case belongs to.
func caseIndexes(c *gridcase.Case) []string {
	if c == nil {
		return nil
	}
	out := []string{"status:" + c.Status, "kind:" + c.Kind}
	for _, code := range c.Grid.Codes() {
		out = append(out, "grid:"+code)
	}
	return out
}

// caseIndex keeps a case in the list's order of last change and in the
// sets of the list filters, out of those it no longer matches.
func (s *Store) caseIndex(d change.Doc) []Op {
	c, ok := d.Value.(*gridcase.Case)
	if !ok {
		return nil
	}
	prev, _ := d.Prev.(*gridcase.Case)
	ops := s.listedOps("cases", c.ID, c.UpdatedAt, caseIndexes(prev), caseIndexes(c))
	if prev == nil {
		// Ranked by creation once, for the ledger and the month figures.
		ops = append(ops, Op{Cmd: "ZADD", Key: s.Key("cases", "created"), Args: []string{strconv.FormatInt(c.CreatedAt.UnixMilli(), 10), c.ID}})
	}
	return ops
}

// alarmIndex keeps the sets of open and of all alarms, scored by when
// they were raised: an acknowledged alarm leaves the open ones.
func (s *Store) alarmIndex(d change.Doc) []Op {
	a, _ := d.Value.(*alarm.Alarm)
	if a == nil {
		return nil
	}
	if d.Fields["acked"] == "1" {
		return []Op{{Cmd: "ZREM", Key: s.Key("alarms", "open"), Args: []string{a.ID}}}
	}
	ms := strconv.FormatInt(a.RaisedAt.UnixMilli(), 10)
	return []Op{
		{Cmd: "ZADD", Key: s.Key("alarms", "open"), Args: []string{ms, a.ID}},
		{Cmd: "ZADD", Key: s.Key("alarms", "all"), Args: []string{ms, a.ID}},
	}
}

// accountIndex keeps the set of accounts not deleted (accounts:all).
func (s *Store) accountIndex(d change.Doc) []Op {
	a, _ := d.Value.(*account.Account)
	if a == nil {
		return nil
	}
	cmd := "SADD"
	if d.Fields["state"] == account.Deleted {
		cmd = "SREM"
	}
	return []Op{{Cmd: cmd, Key: s.Key("accounts", "all"), Args: []string{a.Username}}}
}

// warningIndex keeps a warning in the zset of every warning, scored by
// when it was issued (ms), and in the set of the active ones while it is.
func (s *Store) warningIndex(d change.Doc) []Op {
	w, _ := d.Value.(*warning.Warning)
	if w == nil {
		return nil
	}
	cmd := "SADD"
	if w.Status != warning.Active {
		cmd = "SREM"
	}
	return []Op{
		{Cmd: "ZADD", Key: s.Key("warnings", "issued"), Args: []string{strconv.FormatInt(w.IssuedAt.UnixMilli(), 10), w.ID}},
		{Cmd: cmd, Key: s.Key("warnings", "active"), Args: []string{w.ID}},
	}
}

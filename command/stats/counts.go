package stats

import (
	"strconv"
	"time"

	"watchfloor/command/alarm"
	"watchfloor/command/dispatch"
	"watchfloor/command/gridcase"
	"watchfloor/command/incident"
	"watchfloor/command/vocab"
	"watchfloor/geo"
)

// Step is one step of a local day's figures, taken when an event happens:
// Field of the day's counters goes up by one, or, when List is set, Seconds
// is appended to the day's samples of that list ("ack", "scene").
type Step struct {
	At      time.Time
	Field   string
	List    string
	Seconds float64
}

// Counts returns the figures an event on the screen stream moves; loc is
// the local time zone (hours of the day are local). It is the one place
// that names the counters the bulletins and analyses read; drills and
// alarms about the system itself never count.
func Counts(ev vocab.Event, loc *time.Location) []Step {
	switch d := ev.Data.(type) {
	case *incident.Summary:
		prev, _ := ev.Prev.(*incident.Incident)
		return incidentCounts(d, prev, loc)
	case *dispatch.Event:
		return orderCounts(ev.Type, d.Dispatch, prevStatus(ev.Prev))
	case dispatch.Event:
		return orderCounts(ev.Type, d.Dispatch, prevStatus(ev.Prev))
	case *alarm.Alarm:
		return alarmCounts(ev.Type, d)
	case *gridcase.Case:
		prev, _ := ev.Prev.(*gridcase.Case)
		return caseCounts(d, prev)
	}
	return nil
}

// fields are steps of one each at at.
func fields(at time.Time, names ...string) []Step {
	out := make([]Step, len(names))
	for i, n := range names {
		out[i] = Step{At: at, Field: n}
	}
	return out
}

// incidentCounts: a new incident by category, level, grid, source, hour
// and level per hour; a closing.
func incidentCounts(inc *incident.Summary, prev *incident.Incident, loc *time.Location) []Step {
	if inc == nil || inc.Drill {
		return nil
	}
	if prev == nil {
		local := inc.CreatedAt.In(loc)
		hour := strconv.Itoa(local.Hour())
		names := []string{"inc", "inc:cat:" + inc.Category, "inc:lvl:" + inc.Level.String(), "inc:src:" + inc.Source,
			"inc:hour:" + hour, "inc:how:" + strconv.Itoa(int(local.Weekday())) + ":" + hour,
			"inc:hlvl:" + inc.Level.String() + ":" + hour}
		for _, c := range inc.Grid.Codes() {
			names = append(names, "inc:grid:"+c)
		}
		return fields(inc.CreatedAt, names...)
	}
	if inc.Status == incident.StatusClosed && prev.Status != incident.StatusClosed {
		return fields(inc.UpdatedAt, "inc:closed")
	}
	return nil
}

// prevStatus is the status an order had before the change: Prev is the
// order as it was, or its status ("" or nil for a new order).
func prevStatus(prev any) string {
	switch p := prev.(type) {
	case *dispatch.Dispatch:
		if p != nil {
			return p.Status
		}
	case string:
		return p
	}
	return ""
}

// orderCounts: a new order; the seconds from the order to its
// acknowledgement and to its arrival on scene.
func orderCounts(typ string, d *dispatch.Dispatch, prev string) []Step {
	if d == nil || d.Drill {
		return nil
	}
	switch {
	case typ == vocab.DispatchCreated:
		return fields(d.CreatedAt, "disp")
	case d.Status == dispatch.Acked && prev == dispatch.Offered && d.AckedAt != nil:
		return []Step{{At: d.CreatedAt, List: "ack", Seconds: d.AckedAt.Sub(d.CreatedAt).Seconds()}}
	case d.Status == dispatch.OnScene && prev != dispatch.OnScene && d.OnSceneAt != nil:
		return []Step{{At: d.CreatedAt, List: "scene", Seconds: d.OnSceneAt.Sub(d.CreatedAt).Seconds()}}
	}
	return nil
}

// alarmCounts: a raised alarm by kind; an acknowledgement (the system
// clearing its own alarm is none).
func alarmCounts(typ string, a *alarm.Alarm) []Step {
	if a == nil || a.Drill {
		return nil
	}
	switch {
	case typ == vocab.AlarmRaised && !a.System():
		return fields(a.RaisedAt, "alarm", "alarm:"+a.Kind)
	case typ == vocab.AlarmAcked && a.AckedAt != nil && !(a.System() && a.AckedBy == string(vocab.System)):
		return fields(*a.AckedAt, "alarm:acked")
	}
	return nil
}

// caseCounts: a new case by kind, a closing, a case gone overdue, and the
// outcome of a mediation, also per community.
func caseCounts(c, prev *gridcase.Case) []Step {
	if c == nil || c.Drill {
		return nil
	}
	var out []Step
	switch {
	case prev == nil:
		out = fields(c.CreatedAt, "case", "case:kind:"+c.Kind)
	case c.Status == gridcase.Closed && prev.Status != gridcase.Closed:
		out = fields(c.UpdatedAt, "case:closed")
	case c.Overdue && !prev.Overdue:
		out = fields(c.UpdatedAt, "case:overdue")
	}
	if c.Mediation != "" && prev != nil && prev.Mediation == "" {
		out = append(out, fields(c.UpdatedAt, "med:"+c.Mediation, "med:"+c.Mediation+":"+community(c))...)
	}
	return out
}

// community is the code of the community grid a case lies in, or "".
func community(c *gridcase.Case) string {
	if c.Grid == nil {
		return ""
	}
	for _, r := range c.Grid.Path {
		if r.Level == geo.Community {
			return r.Code
		}
	}
	return ""
}

// Package incident is the life of an incident: the first report and its
// grading, follow-up reports that raise the level, a person's level
// decision, the lifecycle from 接警 to 结束, and the timeline of all of it.
// It declares the storage it needs; Redis implements it in package store.
package incident

import (
	"cmp"
	"strings"
	"time"
	"unicode/utf8"

	"watchfloor/alerts"
	"watchfloor/command/vocab"
	"watchfloor/command/warning"
	"watchfloor/geo"
)

// Statuses of the lifecycle, in order.
const (
	StatusOpen       = "open"       // 接警
	StatusResponding = "responding" // 启动, 行动
	StatusRecovery   = "recovery"   // 恢复
	StatusClosed     = "closed"     // 结束
)

var statusOrder = map[string]int{StatusOpen: 0, StatusResponding: 1, StatusRecovery: 2, StatusClosed: 3}

// Sources a report may come from: the lines an operator takes a call on
// (110 police, 119 fire, 122 traffic, the 12345 citizens' hotline, a
// walk-in, a grid officer, a patrol, other), then call, sensor and citizen,
// kept for earlier clients.
var Sources = []string{"110", "119", "122", "12345", "walk_in", "grid_officer", "patrol", "other", "call", "sensor", "citizen"}

// SourceNames name the sources in Chinese, for printed bulletins.
var SourceNames = map[string]string{"110": "110 报警", "119": "119 火警", "122": "122 交通事故", "12345": "12345 热线",
	"walk_in": "来访", "grid_officer": "网格员上报", "patrol": "巡逻发现", "other": "其他", "call": "电话报警", "sensor": "感知设备", "citizen": "群众上报"}

// Reporter is who reported; masked for roles that do not need it.
type Reporter struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// Incident is the stored state of one incident.
type Incident struct {
	ID          string          `json:"id"`
	Category    string          `json:"category"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Location    *vocab.Location `json:"location"`
	// LocationApproximate is set when only a grid was given and the
	// location is that grid's centre.
	LocationApproximate bool      `json:"location_approximate,omitempty"`
	Address             string    `json:"address,omitempty"`
	OccurredAt          time.Time `json:"occurred_at"`
	Source              string    `json:"source"`
	Reporter            *Reporter `json:"reporter,omitempty"`
	alerts.Facts
	MeasuresTaken string `json:"measures_taken"`
	SupportNeeded string `json:"support_needed"`
	Verified      bool   `json:"verified"`
	Drill         bool   `json:"drill"`
	// CaseID is the grid case this incident was raised from, if any.
	CaseID string `json:"case_id,omitempty"`

	Level        alerts.Level    `json:"level"`
	LevelReasons []alerts.Reason `json:"level_reasons"`
	// ComputedLevel is what the rules give for the facts now known.
	ComputedLevel alerts.Level `json:"computed_level"`
	// LevelDecision is set when a person set the level.
	LevelDecision *LevelDecision `json:"level_decision,omitempty"`

	Grid  *geo.GridRef  `json:"grid"`
	Zones []geo.ZoneRef `json:"zones"`
	// Warnings are the warnings (预警) in force where it happened when it
	// was recorded or its location corrected (none: omitted).
	Warnings  []warning.Ref `json:"warnings,omitempty"`
	Status    string        `json:"status"`
	Deadlines []Deadline    `json:"deadlines"`
	Reports   int           `json:"reports"`
	CreatedAt time.Time     `json:"created_at"`
	CreatedBy string        `json:"created_by"`
	UpdatedAt time.Time     `json:"updated_at"`
	ClosedAt  *time.Time    `json:"closed_at,omitempty"`
	// ReopenedAt is when it was last reopened after being closed.
	ReopenedAt *time.Time `json:"reopened_at,omitempty"`
	// Summary is the after-action summary written when it was closed.
	Summary *AfterAction `json:"summary,omitempty"`
	// ReportedAt is when the last follow-up report (续报) came in.
	ReportedAt *time.Time `json:"reported_at,omitempty"`
	Version    int64      `json:"version"`
}

// LevelDecision records a person setting the level.
type LevelDecision struct {
	Level alerts.Level `json:"level"`
	By    string       `json:"by"`
	Role  vocab.Role   `json:"role"`
	At    time.Time    `json:"at"`
	// Reason is required when lowering.
	Reason string `json:"reason"`
	// ComputedLevel is what the rules gave when the person decided: an
	// automatic rise afterwards needs the rules to exceed it.
	ComputedLevel alerts.Level `json:"computed_level"`
}

// Deadline is a reporting deadline (信息报告时限) running for an incident.
type Deadline struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Level     string    `json:"level"`
	StartedAt time.Time `json:"started_at"`
	DueAt     time.Time `json:"due_at"`
	Status    string    `json:"status"` // pending, sent, overdue
	// WarnedAt is when deadline.due was raised.
	WarnedAt  *time.Time `json:"warned_at,omitempty"`
	OverdueAt *time.Time `json:"overdue_at,omitempty"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
	SentTo    []string   `json:"sent_to,omitempty"`
	Note      string     `json:"note,omitempty"`
	// SentBy, SentRole and SentText record who recorded the report as sent
	// and the text as sent.
	SentBy   string     `json:"sent_by,omitempty"`
	SentRole vocab.Role `json:"sent_role,omitempty"`
	SentText string     `json:"sent_text,omitempty"`
	// Report is the information report's text as a person last saved it.
	Report *ReportEdit `json:"report,omitempty"`
}

// ReportEdit is an information report's text as a person last saved it.
type ReportEdit struct {
	Text string     `json:"text"`
	By   string     `json:"by"`
	Role vocab.Role `json:"role"`
	At   time.Time  `json:"at"`
}

// Entry is one step in an incident's timeline.
type Entry struct {
	At     time.Time      `json:"at"`
	Type   string         `json:"type"`
	By     string         `json:"by"`
	Role   vocab.Role     `json:"role"`
	Level  alerts.Level   `json:"level,omitempty"`
	Status string         `json:"status,omitempty"`
	Reason string         `json:"reason,omitempty"`
	Detail map[string]any `json:"detail,omitempty"`
}

// OpenDue is the earliest due time of inc's reporting deadlines still
// open (pending or overdue) while it is not closed; false when it has none.
func (inc *Incident) OpenDue() (time.Time, bool) {
	var due time.Time
	if inc.Status == StatusClosed {
		return due, false
	}
	for _, d := range inc.Deadlines {
		if (d.Status == "pending" || d.Status == "overdue") && (due.IsZero() || d.DueAt.Before(due)) {
			due = d.DueAt
		}
	}
	return due, !due.IsZero()
}

// DueFirst orders incidents by OpenDue to the millisecond, earliest first,
// then by id (as Redis ranks them); those with none last.
func DueFirst(a, b *Incident) int {
	da, oka := a.OpenDue()
	db, okb := b.OpenDue()
	switch {
	case oka != okb:
		if oka {
			return -1
		}
		return 1
	case da.UnixMilli() != db.UnixMilli():
		return cmp.Compare(da.UnixMilli(), db.UnixMilli())
	}
	return strings.Compare(a.ID, b.ID)
}

// Masked returns a copy with the reporter's name and phone masked, for roles
// that do not need them (viewer, responder) and for the shared screen stream.
func (inc *Incident) Masked() *Incident {
	if inc.Reporter == nil {
		return inc
	}
	c := *inc
	c.Reporter = &Reporter{Name: MaskName(inc.Reporter.Name), Phone: MaskPhone(inc.Reporter.Phone)}
	return &c
}

// Brief is what a plan's task carries of its incident: what happened,
// how grave and where, for a phone's task card (no reporter, reasons or
// deadlines: a plan sends it to thousands of phones).
type Brief struct {
	ID       string          `json:"id"`
	Category string          `json:"category"`
	Title    string          `json:"title"`
	Level    alerts.Level    `json:"level"`
	Location *vocab.Location `json:"location"`
	// LocationApproximate is set when the location is only its grid's centre.
	LocationApproximate bool      `json:"location_approximate,omitempty"`
	Address             string    `json:"address,omitempty"`
	OccurredAt          time.Time `json:"occurred_at"`
	Drill               bool      `json:"drill"`
}

// Brief returns inc's brief.
func (inc *Incident) Brief() *Brief {
	b := &Brief{ID: inc.ID, Category: inc.Category, Title: inc.Title, Level: inc.Level, LocationApproximate: inc.LocationApproximate,
		Address: inc.Address, OccurredAt: inc.OccurredAt, Drill: inc.Drill}
	if inc.Location != nil {
		loc := *inc.Location
		b.Location = &loc
	}
	return b
}

// MaskName keeps the first character of a name: 张三丰 → 张**.
func MaskName(s string) string {
	if s == "" {
		return ""
	}
	r, size := utf8.DecodeRuneInString(s)
	n := utf8.RuneCountInString(s[size:])
	if n == 0 {
		n = 1
	}
	out := string(r)
	for range n {
		out += "*"
	}
	return out
}

// MaskPhone keeps the first three and last four digits: 138****5678.
func MaskPhone(s string) string {
	rs := []rune(s)
	if len(rs) <= 7 {
		out := make([]rune, len(rs))
		for i := range out {
			out[i] = '*'
		}
		if len(rs) > 2 {
			out[len(rs)-1] = rs[len(rs)-1]
		}
		return string(out)
	}
	for i := 3; i < len(rs)-4; i++ {
		rs[i] = '*'
	}
	return string(rs)
}

// ValidStatus reports whether s is a lifecycle status.
func ValidStatus(s string) bool { _, ok := statusOrder[s]; return ok }

// SummaryTextRunes is the longest title or address a Summary carries.
const SummaryTextRunes = 120

// Summary is what lists, markers and counters show of an incident: no
// free text beyond a shortened title and address, no reporter, no
// timeline. Pages fetch the whole incident when a person opens one.
type Summary struct {
	ID                  string          `json:"id"`
	Category            string          `json:"category"`
	Title               string          `json:"title"`
	Location            *vocab.Location `json:"location"`
	LocationApproximate bool            `json:"location_approximate,omitempty"`
	Address             string          `json:"address,omitempty"`
	OccurredAt          time.Time       `json:"occurred_at"`
	Source              string          `json:"source"`
	PeopleInvolved      int64           `json:"people_involved"`
	Deaths              int64           `json:"deaths"`
	Injuries            int64           `json:"injuries"`
	Verified            bool            `json:"verified"`
	Drill               bool            `json:"drill"`

	Level        alerts.Level    `json:"level"`
	LevelReasons []alerts.Reason `json:"level_reasons"`
	Grid         *geo.GridRef    `json:"grid"`
	Zones        []geo.ZoneRef   `json:"zones"`
	Warnings     []warning.Ref   `json:"warnings,omitempty"`
	Status       string          `json:"status"`
	// Deadlines are the incident's deadlines without their notes.
	Deadlines []Deadline `json:"deadlines"`
	Reports   int        `json:"reports"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	// ClosedAt, while closed, and ReopenedAt: a screen tells an incident
	// closed (or still closed) at its snapshot from one open then, which
	// its open total counted.
	ClosedAt   *time.Time `json:"closed_at,omitempty"`
	ReopenedAt *time.Time `json:"reopened_at,omitempty"`
	Version    int64      `json:"version"`
	// Summary is always true: the page knows to fetch the rest.
	Summary bool `json:"summary"`
}

// Summarize returns the incident's summary.
func (inc *Incident) Summarize() *Summary {
	ds := make([]Deadline, len(inc.Deadlines))
	for i, d := range inc.Deadlines {
		d.Note, d.SentTo, d.SentText, d.Report = "", nil, "", nil
		ds[i] = d
	}
	return &Summary{ID: inc.ID, Category: inc.Category, Title: shorten(inc.Title, SummaryTextRunes), Location: inc.Location,
		LocationApproximate: inc.LocationApproximate, Address: shorten(inc.Address, SummaryTextRunes), OccurredAt: inc.OccurredAt,
		Source: inc.Source, PeopleInvolved: inc.PeopleInvolved, Deaths: inc.Deaths, Injuries: inc.Injuries, Verified: inc.Verified,
		Drill: inc.Drill, Level: inc.Level, LevelReasons: inc.LevelReasons, Grid: inc.Grid, Zones: inc.Zones, Warnings: inc.Warnings,
		Status: inc.Status, Deadlines: ds, Reports: inc.Reports, CreatedAt: inc.CreatedAt, UpdatedAt: inc.UpdatedAt, ClosedAt: inc.ClosedAt, ReopenedAt: inc.ReopenedAt, Version: inc.Version, Summary: true}
}

// shorten cuts s to at most n runes, marking a cut with an ellipsis.
func shorten(s string, n int) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n-1 {
			return s[:j] + "…"
		}
		i++
	}
	return s
}

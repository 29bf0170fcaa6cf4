// Package inforeport is the information report (信息报告) that answers an
// incident's reporting deadline: a draft written from the incident's facts
// and timeline, a person's edit of it, and the record of it as sent. It is
// built on the incident service and keeps what it records in the
// incident's deadlines.
package inforeport

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"watchfloor/command/alarm"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/timer"
	"watchfloor/command/vocab"
	"watchfloor/config"
)

// MaxReportText bounds the text of an information report.
const MaxReportText = 8000

// SentReport is what was recorded as sent: by whom, when, to which
// recipients, and the text as sent.
type SentReport struct {
	By   string     `json:"by"`
	Role vocab.Role `json:"role,omitempty"`
	At   time.Time  `json:"at"`
	To   []string   `json:"to"`
	Text string     `json:"text"`
}

// InfoReport is the information report that answers one deadline: the
// saved edit, or a fresh draft from the incident's facts.
type InfoReport struct {
	IncidentID string      `json:"incident_id"`
	DeadlineID string      `json:"deadline_id"`
	Kind       string      `json:"kind"`
	Name       config.Text `json:"name"`
	DueAt      time.Time   `json:"due_at"`
	Status     string      `json:"status"`
	Text       string      `json:"text"`
	// TextEN is a fresh English draft, for reference; only Text is stored.
	TextEN     string             `json:"text_en"`
	Edited     bool               `json:"edited"`
	EditedBy   string             `json:"edited_by"`
	EditedAt   *time.Time         `json:"edited_at"`
	Recipients []config.Recipient `json:"recipients"`
	Sent       *SentReport        `json:"sent"`
}

// SendInput records an information report as sent: To names configured
// recipients; SentTo is the older free-text list, taken only without To.
type SendInput struct {
	To     []string `json:"to"`
	SentTo []string `json:"sent_to"`
	Text   *string  `json:"text"`
	Note   string   `json:"note"`
}

// Service drafts, saves and records information reports.
type Service struct {
	incidents *incident.Service
	opts      Options
	loc       *time.Location
	now       func() time.Time
	ackAlarm  func(ctx context.Context, who vocab.Actor, alarmID string)
}

// Options are what reports read of the configuration: the names a draft
// uses and the bodies a report goes to.
type Options struct {
	// Centre names the command centre (the deployment) in a draft.
	Centre string
	// Location is the time zone a draft's times are written in (UTC when nil).
	Location *time.Location
	// Deadlines name the reporting deadlines.
	Deadlines []config.Deadline
	// Recipients are the bodies a report goes to, by response level.
	Recipients map[string][]config.Recipient
	// Categories and Plans name an incident's category and active plans.
	Categories []config.Category
	Plans      []config.Plan
}

// New builds the service on the incident service. ackAlarm acknowledges
// an open alarm for who (the overdue alarm of a deadline whose report was
// then sent); it may be nil, and a failure leaves the alarm for a person
// to acknowledge. now is the injected clock.
func New(incidents *incident.Service, opts Options, now func() time.Time, ackAlarm func(ctx context.Context, who vocab.Actor, alarmID string)) *Service {
	if now == nil {
		now = time.Now
	}
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	return &Service{incidents: incidents, opts: opts, loc: loc, now: now, ackAlarm: ackAlarm}
}

// deadlineName returns the configured name of a deadline kind.
func (s *Service) deadlineName(kind string) config.Text {
	for _, d := range s.opts.Deadlines {
		if d.Kind == kind {
			return d.Name
		}
	}
	return config.Text{ZH: kind, EN: kind}
}

// recipients returns the recipients configured for a level, never nil.
func (s *Service) recipients(level string) []config.Recipient {
	if r := s.opts.Recipients[level]; r != nil {
		return r
	}
	return []config.Recipient{}
}

// errNoDeadline is the error of a deadline the incident does not have.
func errNoDeadline(incidentID, deadlineID string) error {
	return fmt.Errorf("deadline %s of incident %s: %w", deadlineID, incidentID, fault.ErrNotFound)
}

// InfoReport returns the information report for one deadline of an
// incident.
func (s *Service) InfoReport(ctx context.Context, incidentID, deadlineID string) (*InfoReport, error) {
	inc, tl, err := s.incidents.Get(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	d := inc.Deadline(deadlineID)
	if d == nil {
		return nil, errNoDeadline(incidentID, deadlineID)
	}
	zh, en := s.draft(inc, tl, d)
	r := &InfoReport{IncidentID: inc.ID, DeadlineID: d.ID, Kind: d.Kind, Name: s.deadlineName(d.Kind), DueAt: d.DueAt, Status: d.Status,
		Text: zh, TextEN: en, Recipients: s.recipients(inc.Level.String())}
	if e := d.Report; e != nil {
		r.Text, r.Edited, r.EditedBy, r.EditedAt = e.Text, true, e.By, &e.At
	}
	if d.Status == "sent" && d.SentAt != nil {
		r.Sent = &SentReport{By: d.SentBy, Role: d.SentRole, At: *d.SentAt, To: d.SentTo, Text: d.SentText}
		if r.Sent.To == nil {
			r.Sent.To = []string{}
		}
	}
	return r, nil
}

// reportText cleans and checks the text of a report; field names it.
func reportText(field, text string, bad *fault.Invalid) string {
	t := incident.CleanText(text, true)
	switch {
	case !incident.Visible(t):
		bad.Add(field, "required: text with visible characters")
	case utf8.RuneCountInString(t) > MaxReportText:
		bad.Add(field, "at most %d characters", MaxReportText)
	}
	return t
}

// SaveReport stores a person's edit of the information report for a
// deadline; a report recorded as sent is no longer edited.
func (s *Service) SaveReport(ctx context.Context, who vocab.Actor, incidentID, deadlineID, text string) (*incident.Incident, error) {
	bad := &fault.Invalid{}
	text = reportText("text", text, bad)
	if err := bad.Err(); err != nil {
		return nil, err
	}
	return s.incidents.Update(ctx, incidentID, func(inc *incident.Incident, now time.Time, w *incident.Write) error {
		d := inc.Deadline(deadlineID)
		if d == nil {
			return errNoDeadline(incidentID, deadlineID)
		}
		if d.Status == "sent" {
			return &fault.Conflict{Detail: fmt.Sprintf("the report for %s was recorded as sent at %s: the text as sent is kept", d.Kind, d.SentAt.Format(time.RFC3339))}
		}
		d.Report = &incident.ReportEdit{Text: text, By: who.Username, Role: who.Role, At: now}
		w.Entries = []incident.Entry{{At: now, Type: "deadline.report_saved", By: who.Username, Role: who.Role,
			Detail: map[string]any{"deadline": d.Kind, "chars": utf8.RuneCountInString(text)}}}
		return nil
	})
}

// checkSend cleans and checks in against the recipients of level; it
// returns the text given (cleaned, "" when none), the recipients and
// whether they are the older free-text list.
func (s *Service) checkSend(in *SendInput, level string) (text string, to []string, legacy bool, err error) {
	bad := &fault.Invalid{}
	in.Note = incident.CleanNote(in.Note)
	if len([]rune(in.Note)) > 2000 {
		bad.Add("note", "at most 2000 characters")
	}
	if in.Text != nil {
		text = reportText("text", *in.Text, bad)
	}
	legacy = in.To == nil && in.SentTo != nil
	if !legacy {
		if len(in.To) == 0 {
			bad.Add("to", "required: name at least one recipient configured for the incident's level")
		}
		s.checkTo(in.To, level, bad)
		return text, in.To, false, bad.Err()
	}
	if len(in.SentTo) == 0 || len(in.SentTo) > 20 {
		// Alone: thousands of entries would each be named in the answer.
		bad.Add("sent_to", "name 1 to 20 recipients")
		return text, nil, true, bad.Err()
	}
	sentTo := make([]string, len(in.SentTo))
	for i, r := range in.SentTo {
		r = incident.CleanText(r, false)
		if !incident.Visible(r) || len([]rune(r)) > 100 {
			bad.Add(fmt.Sprintf("sent_to[%d]", i), "1 to 100 characters, some visible")
		}
		sentTo[i] = r
	}
	return text, sentTo, true, bad.Err()
}

// checkTo adds an error for each of to that is not a recipient configured
// for level, or is named twice.
func (s *Service) checkTo(to []string, level string, bad *fault.Invalid) {
	known := s.recipients(level)
	if n := max(len(known), 20); len(to) > n {
		// Alone: each entry's error repeats the list of recipients.
		bad.Add("to", "at most %d recipients", n)
		return
	}
	seen := map[string]bool{}
	for i, id := range to {
		switch {
		case !slices.ContainsFunc(known, func(r config.Recipient) bool { return r.ID == id }):
			bad.Add(fmt.Sprintf("to[%d]", i), "%q is not a recipient configured for level %s (%s)", id, level, recipientIDs(known))
		case seen[id]:
			bad.Add(fmt.Sprintf("to[%d]", i), "%q is named twice", id)
		}
		seen[id] = true
	}
}

// RecordSent records the information report of a deadline as sent: to
// which configured recipients (or, without to, the older free-text
// sent_to), the text as sent (given, saved, or the fresh draft), by whom
// and when. Its timers are cancelled, and a deadline that was overdue has
// its alarm acknowledged.
func (s *Service) RecordSent(ctx context.Context, who vocab.Actor, incidentID, deadlineID string, in SendInput) (*incident.Incident, error) {
	inc, tl, err := s.incidents.Get(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	final, to, legacy, err := s.checkSend(&in, inc.Level.String())
	if err != nil {
		return nil, err
	}
	late := false
	out, err := s.incidents.Update(ctx, incidentID, func(inc *incident.Incident, now time.Time, w *incident.Write) error {
		d := inc.Deadline(deadlineID)
		if d == nil {
			return errNoDeadline(incidentID, deadlineID)
		}
		if d.Status == "sent" {
			return &fault.Conflict{Detail: fmt.Sprintf("the report for %s was already recorded as sent at %s", d.Kind, d.SentAt.Format(time.RFC3339))}
		}
		text := final
		if text == "" && d.Report != nil {
			text = d.Report.Text
		}
		if text == "" {
			text, _ = s.draft(inc, tl, d)
		}
		late = d.Status == "overdue"
		d.Status, d.SentAt, d.SentTo, d.Note = "sent", &now, to, in.Note
		d.SentBy, d.SentRole, d.SentText = who.Username, who.Role, text
		id := inc.ID + "/" + d.Kind
		w.DelTimers = []string{timer.Member(incident.TimerDeadlineDue, id), timer.Member(incident.TimerDeadlineOverdue, id)}
		detail := map[string]any{"deadline": d.Kind, "sent_to": to, "late": late, "chars": utf8.RuneCountInString(text)}
		if !legacy {
			detail["to"] = to
		}
		w.Entries = []incident.Entry{{At: now, Type: "deadline.sent", By: who.Username, Role: who.Role, Reason: d.Note, Detail: detail}}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if late && s.ackAlarm != nil {
		// The overdue alarm was raised with the overdue step; the report is
		// now sent, so it is acknowledged for the person who sent it.
		s.ackAlarm(ctx, who, alarm.ID(alarm.DeadlineOverdue, incidentID+"/"+deadlineID))
	}
	return out, nil
}

func recipientIDs(rs []config.Recipient) string {
	if len(rs) == 0 {
		return "none are configured"
	}
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return "one of " + strings.Join(ids, ", ")
}

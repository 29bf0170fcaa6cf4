package incident

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"watchfloor/command/fault"
	"watchfloor/command/timer"
	"watchfloor/command/vocab"
	"watchfloor/config"
)

// MaxReportText bounds the text of an information report (信息报告).
const MaxReportText = 8000

// ReportEdit is an information report's text as a person last saved it.
type ReportEdit struct {
	Text string     `json:"text"`
	By   string     `json:"by"`
	Role vocab.Role `json:"role"`
	At   time.Time  `json:"at"`
}

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

// deadlineName returns the configured name of a deadline kind.
func (s *Service) deadlineName(kind string) config.Text {
	for _, d := range s.deadlines {
		if d.Kind == kind {
			return d.Name
		}
	}
	return config.Text{ZH: kind, EN: kind}
}

// recipients returns the recipients configured for a level, never nil.
func (s *Service) recipients(level string) []config.Recipient {
	if r := s.cfg.Recipients(level); r != nil {
		return r
	}
	return []config.Recipient{}
}

// InfoReport returns the information report for one deadline of an
// incident.
func (s *Service) InfoReport(ctx context.Context, incidentID, deadlineID string) (*InfoReport, error) {
	inc, tl, err := s.Get(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	d := inc.deadline(deadlineID)
	if d == nil {
		return nil, fmt.Errorf("deadline %s of incident %s: %w", deadlineID, incidentID, fault.ErrNotFound)
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
	t := CleanText(text, true)
	switch {
	case !Visible(t):
		bad.Add(field, "required: text with visible characters")
	case utf8.RuneCountInString(t) > MaxReportText:
		bad.Add(field, "at most %d characters", MaxReportText)
	}
	return t
}

// SaveReport stores a person's edit of the information report for a
// deadline; a report recorded as sent is no longer edited.
func (s *Service) SaveReport(ctx context.Context, who vocab.Actor, incidentID, deadlineID, text string) (*Incident, error) {
	bad := &fault.Invalid{}
	text = reportText("text", text, bad)
	if err := bad.Err(); err != nil {
		return nil, err
	}
	return s.update(ctx, incidentID, func(inc *Incident, now time.Time) ([]Entry, error) {
		d := inc.deadline(deadlineID)
		if d == nil {
			return nil, fmt.Errorf("deadline %s of incident %s: %w", deadlineID, incidentID, fault.ErrNotFound)
		}
		if d.Status == "sent" {
			return nil, &fault.Conflict{Detail: fmt.Sprintf("the report for %s was recorded as sent at %s: the text as sent is kept", d.Kind, d.SentAt.Format(time.RFC3339))}
		}
		d.Report = &ReportEdit{Text: text, By: who.Username, Role: who.Role, At: now}
		return []Entry{{At: now, Type: "deadline.report_saved", By: who.Username, Role: who.Role,
			Detail: map[string]any{"deadline": d.Kind, "chars": utf8.RuneCountInString(text)}}}, nil
	})
}

// RecordSent records the information report of a deadline as sent: to
// which configured recipients (or, without to, the older free-text
// sent_to), the text as sent (given, saved, or the fresh draft), by whom
// and when. Its timers are cancelled, and a deadline that was overdue has
// its alarm acknowledged (AckAlarm).
func (s *Service) RecordSent(ctx context.Context, who vocab.Actor, incidentID, deadlineID string, in SendInput) (*Incident, error) {
	bad := &fault.Invalid{}
	in.Note = CleanNote(in.Note)
	if len([]rune(in.Note)) > 2000 {
		bad.Add("note", "at most 2000 characters")
	}
	var final string
	if in.Text != nil {
		final = reportText("text", *in.Text, bad)
	}
	legacy := in.To == nil && in.SentTo != nil
	if legacy {
		if len(in.SentTo) == 0 || len(in.SentTo) > 20 {
			bad.Add("sent_to", "name 1 to 20 recipients")
		}
		sentTo := make([]string, len(in.SentTo))
		for i, r := range in.SentTo {
			r = CleanText(r, false)
			if !Visible(r) || len([]rune(r)) > 100 {
				bad.Add(fmt.Sprintf("sent_to[%d]", i), "1 to 100 characters, some visible")
			}
			sentTo[i] = r
		}
		in.SentTo = sentTo
	} else if len(in.To) == 0 {
		bad.Add("to", "required: name at least one recipient configured for the incident's level")
	}
	inc, tl, err := s.Get(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	if !legacy {
		known := s.recipients(inc.Level.String())
		seen := map[string]bool{}
		for i, id := range in.To {
			switch {
			case !slices.ContainsFunc(known, func(r config.Recipient) bool { return r.ID == id }):
				bad.Add(fmt.Sprintf("to[%d]", i), "%q is not a recipient configured for level %s (%s)", id, inc.Level, recipientIDs(known))
			case seen[id]:
				bad.Add(fmt.Sprintf("to[%d]", i), "%q is named twice", id)
			}
			seen[id] = true
		}
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	to := in.To
	if legacy {
		to = in.SentTo
	}
	late := false
	out, err := s.updateW(ctx, incidentID, func(inc *Incident, now time.Time, w *Write) error {
		d := inc.deadline(deadlineID)
		if d == nil {
			return fmt.Errorf("deadline %s of incident %s: %w", deadlineID, incidentID, fault.ErrNotFound)
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
		w.DelTimers = []string{timer.Member(TimerDeadlineDue, id), timer.Member(TimerDeadlineOverdue, id)}
		detail := map[string]any{"deadline": d.Kind, "sent_to": to, "late": late, "chars": utf8.RuneCountInString(text)}
		if !legacy {
			detail["to"] = to
		}
		w.Entries = []Entry{{At: now, Type: "deadline.sent", By: who.Username, Role: who.Role, Reason: d.Note, Detail: detail}}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if late && s.AckAlarm != nil {
		// The overdue alarm was raised with the overdue step; the report is
		// now sent, so it is acknowledged for the person who sent it.
		s.AckAlarm(ctx, who, alarmDeadline(incidentID, deadlineID))
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

// draft writes the information report for deadline d from the incident's
// facts and its timeline (orders, units on scene, plans), in Chinese and
// in English.
func (s *Service) draft(inc *Incident, tl []Entry, d *Deadline) (zh, en string) {
	loc := s.loc
	if loc == nil {
		loc = time.UTC
	}
	at := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
	cat := s.cfg.Category(inc.Category)
	catZH, catEN := inc.Category, inc.Category
	if cat != nil {
		catZH, catEN = cat.Name.ZH, cat.Name.EN
	}
	name := s.deadlineName(d.Kind)
	m := measuresOf(tl, s.cfg)

	var place, placeEN []string
	if inc.Address != "" {
		place, placeEN = append(place, inc.Address), append(placeEN, inc.Address)
	}
	if g := inc.Grid; g != nil {
		var zhs, ens []string
		for _, r := range g.Path {
			zhs = append(zhs, r.Name)
			ens = append(ens, cmpOr(r.NameEN, r.Name))
		}
		place, placeEN = append(place, strings.Join(zhs, " / ")), append(placeEN, strings.Join(ens, " / "))
	}
	if l := inc.Location; l != nil {
		c := fmt.Sprintf("%.6f, %.6f", l.Lon, l.Lat)
		if inc.LocationApproximate {
			place, placeEN = append(place, "网格中心（约） "+c), append(placeEN, "grid centre (approximate) "+c)
		} else {
			place, placeEN = append(place, "坐标 "+c), append(placeEN, "coordinates "+c)
		}
	}
	var zones, zonesEN []string
	for _, z := range inc.Zones {
		zones, zonesEN = append(zones, z.Name), append(zonesEN, cmpOr(z.NameEN, z.Name))
	}
	var reasons, reasonsEN []string
	for _, r := range inc.LevelReasons {
		reasons, reasonsEN = append(reasons, r.ZH), append(reasonsEN, r.EN)
	}
	centre := s.cfg.Deployment
	if g := inc.Grid; g != nil && len(g.Path) > 0 {
		centre = g.Path[0].Name
	}

	var b strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	line("信息报告（%s）", name.ZH)
	line("报告时限：%s 前%s", at(d.DueAt), map[bool]string{true: "（已超时）", false: ""}[d.Status == "overdue"])
	line("事件编号：%s%s", inc.ID, map[bool]string{true: "（演练）", false: ""}[inc.Drill])
	line("标题：%s", inc.Title)
	line("一、时间：事发 %s，接报 %s。", at(inc.OccurredAt), at(inc.CreatedAt))
	line("二、地点：%s。%s", orNone(strings.Join(place, "；"), "待核实"), ifAny("涉及敏感区域："+strings.Join(zones, "、")+"。", len(zones) > 0))
	line("三、事件类别和级别：%s；%s级（%s）。%s", catZH, inc.Level, inc.Level.NameZH(), ifAny("定级依据："+strings.Join(reasons, "；")+"。", len(reasons) > 0))
	line("四、现场情况：%s 涉及人数约 %d 人。", orNone(inc.Description, "详情待续报。"), inc.PeopleInvolved)
	line("五、伤亡和损失：死亡 %d 人，受伤 %d 人；直接经济损失约 %s 元。", inc.Deaths, inc.Injuries, yuan(inc.DirectLossYuan))
	line("六、原因：尚在核查，以续报为准。")
	line("七、已采取的措施：%s", orNone(inc.MeasuresTaken, "无补充。"))
	line("    已派出力量：%s。", orNone(strings.Join(m.sentZH, "、"), "暂无"))
	line("    已到场力量：%s。", orNone(strings.Join(m.onScene, "、"), "暂无"))
	line("    已启动预案：%s。", orNone(strings.Join(m.plansZH, "、"), "暂无"))
	line("八、需要的支援：%s", orNone(inc.SupportNeeded, "暂无。"))
	line("九、核实情况：%s", map[bool]string{true: "已经现场核实。", false: "尚未经现场核实（先报后核）。"}[inc.Verified])
	line("十、处置状态：%s；已收到续报 %d 次。", statusZH[inc.Status], inc.Reports)
	line("报告单位：%s应急指挥中心；值班员：%s；报告时间：%s。", centre, cmpOr(inc.CreatedBy, "—"), at(s.now()))
	zh = b.String()

	b.Reset()
	line("Information report (%s)", name.EN)
	line("Due: before %s%s", at(d.DueAt), map[bool]string{true: " (overdue)", false: ""}[d.Status == "overdue"])
	line("Incident: %s%s", inc.ID, map[bool]string{true: " (drill)", false: ""}[inc.Drill])
	line("Title: %s", inc.Title)
	line("1. Time: occurred %s, reported %s.", at(inc.OccurredAt), at(inc.CreatedAt))
	line("2. Place: %s.%s", orNone(strings.Join(placeEN, "; "), "to be verified"), ifAny(" Sensitive zones: "+strings.Join(zonesEN, ", ")+".", len(zones) > 0))
	line("3. Category and level: %s; level %s (%s).%s", catEN, inc.Level, inc.Level.NameEN(), ifAny(" Rules: "+strings.Join(reasonsEN, "; ")+".", len(reasons) > 0))
	line("4. Situation: %s About %d people involved.", orNone(inc.Description, "Details to follow."), inc.PeopleInvolved)
	line("5. Casualties and losses: %d dead, %d injured; direct loss about %s yuan.", inc.Deaths, inc.Injuries, yuan(inc.DirectLossYuan))
	line("6. Cause: being established; see follow-up reports.")
	line("7. Measures taken: %s", orNone(inc.MeasuresTaken, "nothing further."))
	line("   Units sent: %s.", orNone(strings.Join(m.sentEN, ", "), "none yet"))
	line("   Units on scene: %s.", orNone(strings.Join(m.onScene, ", "), "none yet"))
	line("   Plans active: %s.", orNone(strings.Join(m.plansEN, ", "), "none"))
	line("8. Support needed: %s", orNone(inc.SupportNeeded, "none yet."))
	line("9. Verified: %s", map[bool]string{true: "yes, on site.", false: "not yet verified on site (reported first, verified after)."}[inc.Verified])
	line("10. Status: %s; %d follow-up reports.", inc.Status, inc.Reports)
	line("Reported by: %s emergency command centre; operator: %s; at %s.", centre, cmpOr(inc.CreatedBy, "—"), at(s.now()))
	return zh, b.String()
}

var statusZH = map[string]string{StatusOpen: "接警", StatusResponding: "处置中", StatusRecovery: "恢复", StatusClosed: "结束"}

var orderZH = map[string]string{"offered": "已派", "acked": "已接单", "en_route": "途中", "on_scene": "到场", "cleared": "已完成",
	"expired": "超时未接", "cancelled": "已撤销", "redirected": "已改派"}

// measures is what the timeline says was done: orders and their last
// steps, the units on scene, the plans active.
type measures struct {
	sentZH, sentEN, onScene, plansZH, plansEN []string
}

func measuresOf(tl []Entry, cfg *config.Config) measures {
	type order struct{ callsign, status string }
	var ids []string
	orders := map[string]*order{}
	active := map[string]string{} // activation → plan id
	var acts []string
	for _, e := range tl {
		id, _ := e.Detail["dispatch_id"].(string)
		switch {
		case e.Type == "dispatch.created" && id != "":
			cs, _ := e.Detail["callsign"].(string)
			if cs == "" {
				cs, _ = e.Detail["unit_id"].(string)
			}
			orders[id] = &order{callsign: cs, status: "offered"}
			ids = append(ids, id)
		case strings.HasPrefix(e.Type, "dispatch.") && orders[id] != nil:
			orders[id].status = strings.TrimPrefix(e.Type, "dispatch.")
		case e.Type == "plan.activated":
			a, _ := e.Detail["activation_id"].(string)
			p, _ := e.Detail["plan_id"].(string)
			active[a] = p
			acts = append(acts, a)
		case e.Type == "plan.ended":
			a, _ := e.Detail["activation_id"].(string)
			delete(active, a)
		}
	}
	var m measures
	for _, id := range ids {
		o := orders[id]
		m.sentZH = append(m.sentZH, o.callsign+"（"+cmpOr(orderZH[o.status], o.status)+"）")
		m.sentEN = append(m.sentEN, o.callsign+" ("+strings.ReplaceAll(o.status, "_", " ")+")")
		if o.status == "on_scene" {
			m.onScene = append(m.onScene, o.callsign)
		}
	}
	for _, a := range acts {
		p, ok := active[a]
		if !ok {
			continue
		}
		zh, en := p, p
		for _, pl := range cfg.Plans {
			if pl.ID == p {
				zh, en = pl.Name.ZH, pl.Name.EN
			}
		}
		m.plansZH, m.plansEN = append(m.plansZH, zh), append(m.plansEN, en)
	}
	return m
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func orNone(s, none string) string {
	if strings.TrimSpace(s) == "" {
		return none
	}
	return s
}

func ifAny(s string, ok bool) string {
	if ok {
		return s
	}
	return ""
}

func yuan(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

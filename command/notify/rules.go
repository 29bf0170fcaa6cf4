package notify

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"time"

	"watchfloor/alerts"
	"watchfloor/command/alarm"
	"watchfloor/command/incident"
	"watchfloor/command/vocab"
	"watchfloor/config"
)

// subject is what an event is about, as the rules see it.
type subject struct {
	event      string // a config.Notify* event
	about      string // what the message id names: the alarm's id, or the event and the activation's id
	title      string
	text       string
	incidentID string
	leaderLink bool
	drill      bool
}

// activation is what the messages read of a plan's activation event.
type activation struct {
	ID         string       `json:"id"`
	PlanName   alerts.Text  `json:"plan_name"`
	IncidentID string       `json:"incident_id"`
	WarningID  string       `json:"warning_id"`
	Drill      bool         `json:"drill"`
	Level      alerts.Level `json:"level"`
	Approvers  []vocab.Role `json:"approvers"`
	DecidedBy  string       `json:"decided_by"`
	Why        []string     `json:"why"`
}

// Messages returns the messages the rules make of one stored event (an
// envelope as the streams hold it): one per channel of each matching rule,
// and for an SMS gateway one per phone (Split).
func (s *Service) Messages(ctx context.Context, envelope []byte) []Message {
	var env vocab.Envelope
	if err := json.Unmarshal(envelope, &env); err != nil {
		return nil
	}
	sub, ok := s.subjectOf(ctx, env)
	if !ok {
		return nil
	}
	var out []Message
	seen := map[string]bool{}
	leaderPhone, looked := "", false // the leader on duty, read once per event
	for _, r := range s.cfg.Rules {
		if r.Event != sub.event || sub.drill && !r.Drills {
			continue
		}
		var phones []string
		if r.LeaderOnDuty && s.hooks.OnDuty != nil {
			if !looked {
				looked = true
				if _, phone, ok := s.hooks.OnDuty.OnDuty(ctx, env.At); ok {
					leaderPhone = phone
				}
			}
			if leaderPhone != "" {
				phones = []string{leaderPhone}
			}
		}
		for _, chID := range r.Channels {
			ch := s.cfg.Channel(chID)
			id := sub.about + "@" + chID
			if ch == nil || ch.Disabled || seen[id] {
				continue
			}
			seen[id] = true
			m := Message{ID: id, Event: sub.event, Channel: chID, Title: sub.title, Text: sub.text,
				IncidentID: sub.incidentID, Phones: phones, At: env.At}
			if sub.leaderLink && s.cfg.BaseURL != "" {
				m.Link = strings.TrimRight(s.cfg.BaseURL, "/") + "/leader.html"
			}
			out = append(out, Split(ch, m)...)
		}
	}
	return out
}

// subjectOf reads what an event is about; ok is false for events no rule
// may name.
func (s *Service) subjectOf(ctx context.Context, env vocab.Envelope) (subject, bool) {
	switch env.Type {
	case vocab.AlarmRaised:
		var a alarm.Alarm
		if json.Unmarshal(env.Data, &a) != nil {
			return subject{}, false
		}
		return s.alarmSubject(&a)
	case vocab.ActivationProposed, vocab.ActivationApproved:
		var a activation
		if json.Unmarshal(env.Data, &a) != nil || a.ID == "" {
			return subject{}, false
		}
		sub := s.planSubject(env.Type, &a, env.At)
		// A start for a drill warning says so itself; an incident's plan
		// is a drill when its incident is.
		if sub.drill = a.Drill || s.drill(ctx, a.IncidentID); sub.drill {
			sub.title = "【演练】" + sub.title
		}
		return sub, true
	case vocab.WarningIssued, vocab.WarningUpdated:
		return s.warningSubject(env.Type, env.Data)
	}
	return subject{}, false
}

// alarmSubject is the subject of a raised alarm: a level I/II incident,
// an overdue report, an order not acknowledged, an overdue case.
func (s *Service) alarmSubject(a *alarm.Alarm) (subject, bool) {
	sub := subject{event: a.Kind, about: a.ID, incidentID: a.IncidentID, drill: a.Drill}
	title := Mask(a.Title)
	at := a.RaisedAt.In(s.loc).Format("01-02 15:04")
	switch a.Kind {
	case alarm.SeriousIncident:
		// Raised again when the incident rises from II to I: a new message.
		sub.about += ":" + a.Level
		lv := levelName(a.Level)
		sub.title = "【" + lv + "事件】" + title
		sub.text = lv + "事件:" + title + "(" + a.Detail + ")," + at + " 接报,请立即处置。事件编号 " + a.IncidentID
	case alarm.DeadlineOverdue:
		sub.title = "【报告超时】" + title
		sub.text = "事件「" + title + "」的报告(" + a.Detail + ")已超过时限(" + at + "),请立即报送。事件编号 " + a.IncidentID
	case alarm.OrderExpired:
		sub.title = "【派单未确认】" + a.UnitID
		sub.text = "单位 " + a.UnitID + " 未在时限内确认派单 " + a.DispatchID + "(" + at + "),请改派或联系。事件编号 " + a.IncidentID
	case alarm.CaseOverdue:
		sub.title = "【案件超时】" + title
		sub.text = "网格案件「" + title + "」已超过办理时限(" + at + "),请督办。"
	case alarm.SupervisionOverdue:
		sub.title = "【督办到期】" + title
		sub.text = "挂牌督办案件「" + title + "」已过督办期限仍未办结(" + at + ")" + onDuty(a) + ",请跟进。"
	case alarm.AssemblyOverdue:
		sub.title = "【集结超时】" + a.UnitID
		sub.text = "单位 " + title + "(" + a.UnitID + ")未在集结时限内到达现场(派单 " + a.DispatchID + "," + at + "),请联系或增派。事件编号 " + a.IncidentID
	default:
		return subject{}, false
	}
	if a.Drill {
		sub.title = "【演练】" + sub.title
	}
	return sub, true
}

// onDuty names the leader on duty an alarm names, for a message's text.
func onDuty(a *alarm.Alarm) string {
	if a.ApproverName == "" {
		return ""
	}
	return ",带班领导 " + a.ApproverName
}

// planSubject is the subject of a plan proposed (awaiting approval) or
// approved.
func (s *Service) planSubject(typ string, a *activation, at time.Time) subject {
	name := a.PlanName.ZH
	if name == "" {
		name = a.PlanName.EN
	}
	lv := a.Level.NameZH()
	when := at.In(s.loc).Format("01-02 15:04")
	ref := "事件编号 " + a.IncidentID
	switch {
	case a.IncidentID != "":
	case a.WarningID != "": // a plan started by hand for a warning
		ref = "预警 " + a.WarningID + " 启动"
	default: // a plan started by hand on a higher body's request
		ref = "按上级要求启动"
	}
	if typ == vocab.ActivationApproved {
		return subject{event: config.NotifyPlanApproved, about: config.NotifyPlanApproved + ":" + a.ID, incidentID: a.IncidentID, leaderLink: true,
			title: "【预案已启动】" + name,
			text:  "预案「" + name + "」(" + lv + "响应)已由 " + a.DecidedBy + " 于 " + when + " 批准启动。" + ref}
	}
	roles := make([]string, len(a.Approvers))
	for i, r := range a.Approvers {
		roles[i] = roleName(r)
	}
	return subject{event: config.NotifyPlanProposed, about: config.NotifyPlanProposed + ":" + a.ID, incidentID: a.IncidentID, leaderLink: true,
		title: "【预案待批准】" + name,
		text:  "预案「" + name + "」(" + lv + "响应)待" + strings.Join(roles, "或") + "批准(" + when + " 提出),请在领导页面审批。" + ref}
}

// drill reports whether an activation's incident is a drill (activations
// do not say); when it cannot be read, the message is sent as real.
func (s *Service) drill(ctx context.Context, incidentID string) bool {
	if s.hooks.Drill == nil || incidentID == "" {
		return false
	}
	d, err := s.hooks.Drill(ctx, incidentID)
	if err != nil {
		s.hooks.Log.Warn("reading whether an incident is a drill failed; notifying as real", "incident", incidentID, "err", err)
	}
	return d
}

func levelName(s string) string {
	var l alerts.Level
	if l.UnmarshalText([]byte(s)) != nil {
		return s + "级"
	}
	return l.NameZH()
}

func roleName(r vocab.Role) string {
	switch r {
	case vocab.Leader:
		return "领导"
	case vocab.Deputy:
		return "分管领导"
	case vocab.Admin:
		return "管理员"
	case vocab.Operator:
		return "值班员"
	}
	return string(r)
}

// phoneRun finds runs of digits long enough to be a phone number.
var phoneRun = regexp.MustCompile(`\+?\d[\d -]{5,}\d`)

// Mask hides the phone numbers in free text as the screens do.
func Mask(s string) string {
	return phoneRun.ReplaceAllStringFunc(s, func(p string) string {
		digits := strings.NewReplacer(" ", "", "-", "").Replace(p)
		if len(digits) < 7 {
			return p
		}
		return incident.MaskPhone(digits)
	})
}

func mask(phone string) string {
	if phone == "" {
		return ""
	}
	return incident.MaskPhone(phone)
}

func maskAll(phones []string) []string {
	if phones == nil {
		return nil
	}
	out := make([]string, len(phones))
	for i, p := range phones {
		out[i] = incident.MaskPhone(p)
	}
	return out
}

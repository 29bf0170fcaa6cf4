package incident

import (
	"strings"
	"time"
	"unicode/utf8"

	"watchfloor/command/fault"
	"watchfloor/command/vocab"
)

// MaxSummaryText bounds each part of an after-action summary.
const MaxSummaryText = 4000

// SummaryInput is the after-action summary (总结) sent with closing.
type SummaryInput struct {
	Outcome string `json:"outcome"` // 处置结果
	Losses  string `json:"losses"`  // 伤亡损失
	Lessons string `json:"lessons"` // 经验教训
}

// AfterAction is the after-action summary stored on a closed incident,
// with who wrote it and when; reopening keeps it.
type AfterAction struct {
	Outcome string     `json:"outcome"`
	Losses  string     `json:"losses"`
	Lessons string     `json:"lessons"`
	By      string     `json:"by"`
	Role    vocab.Role `json:"role"`
	At      time.Time  `json:"at"`
}

// check cleans the summary's texts and adds an error for each part that is
// missing, blank or too long, naming it summary.outcome and so on.
func (s *SummaryInput) check(bad *fault.Invalid) {
	if s == nil {
		for _, f := range []string{"summary.outcome", "summary.losses", "summary.lessons"} {
			bad.Add(f, "required when closing: the after-action summary has 处置结果 outcome, 伤亡损失 losses and 经验教训 lessons")
		}
		return
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"summary.outcome", &s.Outcome}, {"summary.losses", &s.Losses}, {"summary.lessons", &s.Lessons}} {
		*f.v = CleanText(*f.v, true)
		switch {
		case !Visible(*f.v):
			bad.Add(f.name, "required when closing: text with visible characters")
		case utf8.RuneCountInString(*f.v) > MaxSummaryText:
			bad.Add(f.name, "at most %d characters", MaxSummaryText)
		}
	}
}

// afterAction makes the stored summary.
func (s *SummaryInput) afterAction(who vocab.Actor, now time.Time) *AfterAction {
	return &AfterAction{Outcome: strings.TrimSpace(s.Outcome), Losses: strings.TrimSpace(s.Losses), Lessons: strings.TrimSpace(s.Lessons),
		By: who.Username, Role: who.Role, At: now}
}

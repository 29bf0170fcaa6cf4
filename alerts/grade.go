package alerts

import (
	"fmt"
	"time"
)

// Facts are the numeric facts of a report, as totals now known.
type Facts struct {
	PeopleInvolved int64   `json:"people_involved"`
	Deaths         int64   `json:"deaths"`
	Injuries       int64   `json:"injuries"`
	DirectLossYuan float64 `json:"direct_loss_yuan"`
}

// Situation is everything grading looks at besides the facts.
type Situation struct {
	// ZoneKinds are the kinds of the zones the location falls in.
	ZoneKinds []string
	// At is when the incident occurred (for sensitive periods).
	At time.Time
}

// Reason is one rule that fired, in words and by id.
type Reason struct {
	RuleID string `json:"rule_id"`
	Level  Level  `json:"level"`
	ZH     string `json:"zh"`
	EN     string `json:"en"`
}

// Result is a grading: the most serious level reached and every rule that
// reached a level.
type Result struct {
	Level   Level    `json:"level"`
	Reasons []Reason `json:"level_reasons"`
}

// ErrUnknownCategory is returned for a category that is not configured.
var ErrUnknownCategory = fmt.Errorf("unknown category")

// Grader grades incidents by the configured rules. It is safe for
// concurrent use and never changes after New.
type Grader struct {
	cats    map[string]*Category
	periods []Period
	loc     *time.Location
}

// NewGrader builds a Grader from a validated configuration.
func NewGrader(cats []Category, periods []Period, loc *time.Location) *Grader {
	g := &Grader{cats: make(map[string]*Category, len(cats)), periods: periods, loc: loc}
	if g.loc == nil {
		g.loc = time.UTC
	}
	for i := range cats {
		g.cats[cats[i].ID] = &cats[i]
	}
	return g
}

// Known reports whether the category is configured.
func (g *Grader) Known(category string) bool { _, ok := g.cats[category]; return ok }

// Grade returns the level of an incident of category with facts f in
// situation s: the most serious level any rule reaches, with every rule
// that fired, or the category's base level when none does.
func (g *Grader) Grade(category string, f Facts, s Situation) (Result, error) {
	cat, ok := g.cats[category]
	if !ok {
		return Result{}, fmt.Errorf("%w %q", ErrUnknownCategory, category)
	}
	inPeriod := g.inPeriod(s.At)
	var res Result
	for i := range cat.Rules {
		r := &cat.Rules[i]
		if !matches(&r.When, f, s.ZoneKinds, inPeriod) {
			continue
		}
		res.Reasons = append(res.Reasons, Reason{RuleID: cat.ID + "." + r.ID, Level: r.Level, ZH: r.Reason.ZH, EN: r.Reason.EN})
		if r.Level > res.Level {
			res.Level = r.Level
		}
	}
	if res.Level == LevelNone {
		res.Level = cat.BaseLevel
		res.Reasons = append(res.Reasons, Reason{
			RuleID: cat.ID + ".base",
			Level:  cat.BaseLevel,
			ZH:     fmt.Sprintf("未达到更高级别标准,按%s(%s级)处置", cat.BaseLevel.NameZH(), cat.BaseLevel),
			EN:     fmt.Sprintf("no rule reached a higher level: handled as %s (level %s)", cat.BaseLevel.NameEN(), cat.BaseLevel),
		})
	}
	return res, nil
}

// inPeriod reports whether t falls in a configured sensitive period.
func (g *Grader) inPeriod(t time.Time) bool {
	if t.IsZero() || len(g.periods) == 0 {
		return false
	}
	y, m, d := t.In(g.loc).Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	for _, p := range g.periods {
		if !day.Before(p.FromDate) && !day.After(p.ToDate) {
			return true
		}
	}
	return false
}

func matches(w *Condition, f Facts, zoneKinds []string, inPeriod bool) bool {
	if w.PeopleInvolved != nil && !w.PeopleInvolved.Contains(float64(f.PeopleInvolved)) {
		return false
	}
	if w.Deaths != nil && !w.Deaths.Contains(float64(f.Deaths)) {
		return false
	}
	if w.Injuries != nil && !w.Injuries.Contains(float64(f.Injuries)) {
		return false
	}
	if w.Casualties != nil && !w.Casualties.Contains(float64(f.Deaths+f.Injuries)) {
		return false
	}
	if w.DirectLossYuan != nil && !w.DirectLossYuan.Contains(f.DirectLossYuan) {
		return false
	}
	if w.SensitivePeriod && !inPeriod {
		return false
	}
	if len(w.ZoneKinds) > 0 && !anyIn(w.ZoneKinds, zoneKinds) {
		return false
	}
	return true
}

func anyIn(want, have []string) bool {
	for _, w := range want {
		for _, h := range have {
			if w == h {
				return true
			}
		}
	}
	return false
}

// Holds reports whether condition c holds for facts f in situation s (the
// extra conditions of a preset plan).
func (g *Grader) Holds(c *Condition, f Facts, s Situation) bool {
	return matches(c, f, s.ZoneKinds, g.inPeriod(s.At))
}

// InSensitivePeriod reports whether t falls in a configured sensitive period.
func (g *Grader) InSensitivePeriod(t time.Time) bool { return g.inPeriod(t) }

// Package stats turns the counters kept at write time (per local day) into
// the command centre's reports: the daily bulletin (三通报: calls and
// dispatches, incidents, alarms) and the monthly and quarterly analyses.
// It is pure: days of counters in, figures out, so a year answers as fast
// as a day.
package stats

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"watchfloor/command/fault"
)

// Day is one local day's counters ("inc", "inc:cat:fire", …) and samples
// (seconds to acknowledge, to reach the scene).
type Day struct {
	Date    string
	Counts  map[string]int64
	Ack     []float64
	ToScene []float64
}

// Bulletin is the daily bulletin of API.md.
type Bulletin struct {
	Date      string         `json:"date"`
	Calls     Calls          `json:"calls"`
	Incidents IncidentCounts `json:"incidents"`
	Alarms    AlarmCounts    `json:"alarms"`
	Cases     CaseCounts     `json:"cases"`
}

// Calls are the reports received and the dispatches made.
type Calls struct {
	Total      int64            `json:"total"`
	BySource   map[string]int64 `json:"by_source"`
	Dispatches int64            `json:"dispatches"`
	AckP50     *float64         `json:"ack_s_p50"`
	ToSceneP50 *float64         `json:"to_scene_s_p50"`
}

// IncidentCounts break incidents down.
type IncidentCounts struct {
	Total      int64            `json:"total"`
	ByCategory map[string]int64 `json:"by_category"`
	ByLevel    map[string]int64 `json:"by_level"`
	ByGrid     map[string]int64 `json:"by_grid"`
	Closed     int64            `json:"closed"`
	// ByHourLevel counts the incidents created in each local hour by level
	// (for the wall's chart); levels without incidents are left out.
	ByHourLevel map[string][24]int64 `json:"by_hour_level"`
}

// AlarmCounts are the alarms of the day.
type AlarmCounts struct {
	Raised  int64 `json:"raised"`
	Acked   int64 `json:"acked"`
	Overdue int64 `json:"overdue"`
}

// CaseCounts are the grid cases of the day.
type CaseCounts struct {
	Created int64 `json:"created"`
	Closed  int64 `json:"closed"`
	Overdue int64 `json:"overdue"`
}

// prefixed collects counters under prefix into a map by the rest of the key.
func prefixed(counts map[string]int64, prefix string) map[string]int64 {
	out := map[string]int64{}
	for k, v := range counts {
		if rest, ok := strings.CutPrefix(k, prefix); ok && !strings.Contains(rest, ":") {
			out[rest] += v
		}
	}
	return out
}

// Median of samples, or nil when there are none.
func Median(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	var m float64
	if n := len(s); n%2 == 1 {
		m = s[n/2]
	} else {
		m = (s[n/2-1] + s[n/2]) / 2
	}
	return &m
}

// Sum adds days together.
func Sum(days []Day) Day {
	out := Day{Counts: map[string]int64{}}
	for _, d := range days {
		for k, v := range d.Counts {
			out.Counts[k] += v
		}
		out.Ack = append(out.Ack, d.Ack...)
		out.ToScene = append(out.ToScene, d.ToScene...)
	}
	return out
}

// DailyBulletin is the bulletin of one day; grids keeps the by-grid counts
// to the codes of one level (the lowest), so they add up to the total.
func DailyBulletin(d Day, grids []string) Bulletin {
	c := d.Counts
	b := Bulletin{Date: d.Date,
		Calls: Calls{Total: c["inc"], BySource: prefixed(c, "inc:src:"), Dispatches: c["disp"], AckP50: Median(d.Ack), ToSceneP50: Median(d.ToScene)},
		Incidents: IncidentCounts{Total: c["inc"], ByCategory: prefixed(c, "inc:cat:"), ByLevel: prefixed(c, "inc:lvl:"),
			ByGrid: map[string]int64{}, Closed: c["inc:closed"]},
		Alarms: AlarmCounts{Raised: c["alarm"], Acked: c["alarm:acked"], Overdue: c["alarm:deadline.overdue"]},
		Cases:  CaseCounts{Created: c["case"], Closed: c["case:closed"], Overdue: c["case:overdue"]},
	}
	b.Incidents.ByHourLevel = byHourLevel(c)
	byGrid := prefixed(c, "inc:grid:")
	for _, g := range grids {
		if n := byGrid[g]; n > 0 {
			b.Incidents.ByGrid[g] = n
		}
	}
	return b
}

// byHourLevel collects the "inc:hlvl:{level}:{hour}" counters by level.
func byHourLevel(c map[string]int64) map[string][24]int64 {
	out := map[string][24]int64{}
	for k, v := range c {
		rest, ok := strings.CutPrefix(k, "inc:hlvl:")
		if !ok {
			continue
		}
		lvl, hs, ok := strings.Cut(rest, ":")
		h, err := strconv.Atoi(hs)
		if !ok || err != nil || h < 0 || h > 23 {
			continue
		}
		row := out[lvl]
		row[h] += v
		out[lvl] = row
	}
	return out
}

// CSV renders a bulletin as rows of section, key, value: UTF-8 with a BOM so
// spreadsheet programs read Chinese, cells that start with = + - @ escaped.
func CSV(b Bulletin, names map[string]string) []byte {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	row := func(section, key string, v any) {
		name := names[key]
		if name == "" {
			name = key
		}
		_ = w.Write([]string{safe(section), safe(key), safe(name), safe(fmt.Sprint(v))})
	}
	_ = w.Write([]string{"section", "key", "name", "value"})
	row("date", "date", b.Date)
	row("calls", "total", b.Calls.Total)
	for _, k := range sortedKeys(b.Calls.BySource) {
		row("calls.by_source", k, b.Calls.BySource[k])
	}
	row("calls", "dispatches", b.Calls.Dispatches)
	row("calls", "ack_s_p50", optional(b.Calls.AckP50))
	row("calls", "to_scene_s_p50", optional(b.Calls.ToSceneP50))
	row("incidents", "total", b.Incidents.Total)
	for _, k := range sortedKeys(b.Incidents.ByCategory) {
		row("incidents.by_category", k, b.Incidents.ByCategory[k])
	}
	for _, k := range sortedKeys(b.Incidents.ByLevel) {
		row("incidents.by_level", k, b.Incidents.ByLevel[k])
	}
	for _, k := range sortedKeys(b.Incidents.ByGrid) {
		row("incidents.by_grid", k, b.Incidents.ByGrid[k])
	}
	row("alarms", "raised", b.Alarms.Raised)
	row("alarms", "acked", b.Alarms.Acked)
	row("alarms", "overdue", b.Alarms.Overdue)
	row("cases", "created", b.Cases.Created)
	row("cases", "closed", b.Cases.Closed)
	row("cases", "overdue", b.Cases.Overdue)
	w.Flush()
	return buf.Bytes()
}

func optional(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', 1, 64)
}

func safe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Period is a month (2026-11) or a quarter (2026-Q4) in local time.
type Period struct {
	Kind     string // month or quarter
	Label    string
	From, To time.Time // local dates, both included
}

// The years a period may fall in: the period before each still has a
// four-digit year.
const (
	MinYear = 1970
	MaxYear = 9998
)

// ParsePeriod reads at for kind month (YYYY-MM) or quarter (YYYY-MM, any
// month of it, or YYYY-Qn) of the years MinYear to MaxYear; a bad one is a
// field error naming what is wrong: period (kind) or at.
func ParsePeriod(kind, at string, loc *time.Location) (Period, error) {
	var start time.Time
	switch kind {
	case "month":
		m, err := time.ParseInLocation("2006-01", at, loc)
		if err != nil {
			return Period{}, fault.Field("at", "a month YYYY-MM")
		}
		start = m
	case "quarter":
		if y, q, ok := strings.Cut(at, "-Q"); ok {
			n, err1 := strconv.Atoi(q)
			yr, err2 := strconv.Atoi(y)
			if err1 != nil || err2 != nil || len(y) != 4 || len(q) != 1 || n < 1 || n > 4 {
				return Period{}, fault.Field("at", "a quarter YYYY-Qn")
			}
			start = time.Date(yr, time.Month(3*(n-1)+1), 1, 0, 0, 0, 0, loc)
		} else {
			m, err := time.ParseInLocation("2006-01", at, loc)
			if err != nil {
				return Period{}, fault.Field("at", "a month YYYY-MM or a quarter YYYY-Qn")
			}
			start = time.Date(m.Year(), time.Month(3*((int(m.Month())-1)/3)+1), 1, 0, 0, 0, 0, loc)
		}
	default:
		return Period{}, fault.Field("period", "month or quarter")
	}
	if y := start.Year(); y < MinYear || y > MaxYear {
		return Period{}, fault.Field("at", "%q is out of range: the years %d to %d", at, MinYear, MaxYear)
	}
	if kind == "month" {
		return Period{Kind: kind, Label: start.Format("2006-01"), From: start, To: start.AddDate(0, 1, -1)}, nil
	}
	return Period{Kind: kind, Label: fmt.Sprintf("%d-Q%d", start.Year(), (int(start.Month())-1)/3+1), From: start, To: start.AddDate(0, 3, -1)}, nil
}

// Previous is the period before p.
func (p Period) Previous() Period {
	months := 1
	if p.Kind == "quarter" {
		months = 3
	}
	start := p.From.AddDate(0, -months, 0)
	q := Period{Kind: p.Kind, From: start, To: p.From.AddDate(0, 0, -1)}
	q.Label = start.Format("2006-01")
	if p.Kind == "quarter" {
		q.Label = fmt.Sprintf("%d-Q%d", start.Year(), (int(start.Month())-1)/3+1)
	}
	return q
}

// Analysis is the monthly incident analysis or the quarterly security analysis.
type Analysis struct {
	Period        string           `json:"period"`
	Kind          string           `json:"kind"`
	From          string           `json:"from"`
	To            string           `json:"to"`
	Incidents     int64            `json:"incidents"`
	Previous      int64            `json:"previous_incidents"`
	Change        *float64         `json:"change"`
	ByCategory    []Count          `json:"by_category"`
	ByLevel       map[string]int64 `json:"by_level"`
	ByGrid        []Count          `json:"by_grid"`
	ByHour        [24]int64        `json:"by_hour"`
	ByWeekday     [7]int64         `json:"by_weekday"`
	Closed        int64            `json:"closed"`
	ClearanceRate *float64         `json:"clearance_rate"`
	Mediated      int64            `json:"mediated"`
	MediationRate *float64         `json:"mediation_success_rate"`
	AckP50        *float64         `json:"ack_s_p50"`
	ToSceneP50    *float64         `json:"to_scene_s_p50"`
	Dispatches    int64            `json:"dispatches"`
	Cases         int64            `json:"cases"`
	CasesClosed   int64            `json:"cases_closed"`
	Hotspots      []Count          `json:"hotspots"`
	// PatrolMinutes are grid officers' minutes inside their grids over the
	// period, per grid, recorded each night from the day's tracks.
	PatrolMinutes []Count `json:"patrol_minutes"`
	Frequent      []Count `json:"frequent_categories"`
	Rising        []Count `json:"rising_categories"`
}

// Count is a key with its count and, where compared, its change.
type Count struct {
	Key      string   `json:"key"`
	Count    int64    `json:"count"`
	Previous int64    `json:"previous,omitempty"`
	Change   *float64 `json:"change,omitempty"`
}

func rate(a, b int64) *float64 {
	if b == 0 {
		return nil
	}
	r := math.Round(float64(a)/float64(b)*10000) / 10000
	return &r
}

func change(now, before int64) *float64 {
	if before == 0 {
		return nil
	}
	r := math.Round(float64(now-before)/float64(before)*10000) / 10000
	return &r
}

func ranked(m, prev map[string]int64) []Count {
	out := make([]Count, 0, len(m))
	for k, v := range m {
		out = append(out, Count{Key: k, Count: v, Previous: prev[k], Change: change(v, prev[k])})
	}
	slices.SortFunc(out, func(a, b Count) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// Analyse builds the analysis of p from its days and the previous
// period's; grids are the lowest-level grid codes.
func Analyse(p Period, days, prevDays []Day, grids []string) Analysis {
	cur, prev := Sum(days), Sum(prevDays)
	c, pc := cur.Counts, prev.Counts
	a := Analysis{Period: p.Label, Kind: p.Kind, From: p.From.Format(time.DateOnly), To: p.To.Format(time.DateOnly),
		Incidents: c["inc"], Previous: pc["inc"], Change: change(c["inc"], pc["inc"]),
		ByLevel: prefixed(c, "inc:lvl:"), Closed: c["inc:closed"], ClearanceRate: rate(c["inc:closed"], c["inc"]),
		Mediated: c["med:success"] + c["med:failed"], MediationRate: rate(c["med:success"], c["med:success"]+c["med:failed"]),
		AckP50: Median(cur.Ack), ToSceneP50: Median(cur.ToScene), Dispatches: c["disp"], Cases: c["case"], CasesClosed: c["case:closed"]}
	a.ByCategory = ranked(prefixed(c, "inc:cat:"), prefixed(pc, "inc:cat:"))
	allGrids, prevGrids := prefixed(c, "inc:grid:"), prefixed(pc, "inc:grid:")
	leaf := map[string]int64{}
	for _, g := range grids {
		if n := allGrids[g]; n > 0 {
			leaf[g] = n
		}
	}
	a.ByGrid = ranked(leaf, prevGrids)
	for h := range 24 {
		a.ByHour[h] = c["inc:hour:"+strconv.Itoa(h)]
	}
	for k, v := range c {
		if rest, ok := strings.CutPrefix(k, "inc:how:"); ok {
			wd, _, _ := strings.Cut(rest, ":")
			if n, err := strconv.Atoi(wd); err == nil && n >= 0 && n < 7 {
				a.ByWeekday[n] += v
			}
		}
	}
	a.Hotspots = a.ByGrid[:min(5, len(a.ByGrid))]
	a.PatrolMinutes = ranked(prefixed(c, "patrol:"), prefixed(pc, "patrol:"))
	a.Frequent = a.ByCategory[:min(5, len(a.ByCategory))]
	for _, cat := range a.ByCategory {
		if cat.Count > cat.Previous {
			a.Rising = append(a.Rising, cat)
		}
	}
	if a.Rising == nil {
		a.Rising = []Count{}
	}
	return a
}

// HourOfWeek returns incidents per weekday (0 Sunday) and hour.
func HourOfWeek(days []Day) [7][24]int64 {
	var out [7][24]int64
	for k, v := range Sum(days).Counts {
		rest, ok := strings.CutPrefix(k, "inc:how:")
		if !ok {
			continue
		}
		wd, h, _ := strings.Cut(rest, ":")
		d, err1 := strconv.Atoi(wd)
		hr, err2 := strconv.Atoi(h)
		if err1 == nil && err2 == nil && d >= 0 && d < 7 && hr >= 0 && hr < 24 {
			out[d][hr] += v
		}
	}
	return out
}

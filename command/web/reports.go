package web

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/paulmach/orb/geojson"

	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/stats"
	"watchfloor/geo"
)

// Figures reads the counters kept per local day.
type Figures interface {
	Days(ctx context.Context, from, to time.Time) ([]stats.Day, error)
}

// leafGrids are the codes of the lowest level of the grid hierarchy.
func (a *API) leafGrids() []string {
	var out []string
	for _, g := range a.Map.Grids() {
		if g.Level == geo.Grid {
			out = append(out, g.Code)
		}
	}
	return out
}

func (a *API) localDay(v string) (time.Time, error) {
	loc := a.Config.Location
	if v == "" {
		now := time.Now().In(loc)
		return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc), nil
	}
	d, err := time.ParseInLocation(time.DateOnly, v, loc)
	if err != nil {
		return time.Time{}, fault.Field("date", "a date YYYY-MM-DD")
	}
	return d, nil
}

// names maps the keys of figures to Chinese names, for the CSV and page.
func (a *API) names() map[string]string {
	n := map[string]string{}
	for _, c := range a.Config.Categories {
		n[c.ID] = c.Name.ZH
	}
	for _, g := range a.Map.Grids() {
		n[g.Code] = g.Name
	}
	for code, name := range incident.SourceNames {
		if _, taken := n[code]; !taken {
			n[code] = name
		}
	}
	return n
}

func (a *API) dailyBulletin(c *fiber.Ctx) error {
	day, err := a.localDay(c.Query("date"))
	if err != nil {
		return err
	}
	format := c.Query("format", "json")
	if format != "json" && format != "csv" && format != "html" {
		return fault.Field("format", "json, csv or html")
	}
	days, err := a.Figures.Days(c.UserContext(), day, day)
	if err != nil {
		return err
	}
	b := stats.DailyBulletin(days[0], a.leafGrids())
	switch format {
	case "csv":
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="bulletin-%s.csv"`, b.Date))
		return c.Send(stats.CSV(b, a.names()))
	case "html":
		var buf bytes.Buffer
		if err := bulletinPage.Execute(&buf, bulletinView(b, a.names())); err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "text/html; charset=utf-8")
		return c.Send(buf.Bytes())
	}
	return c.JSON(b)
}

// bar is one row of an SVG bar chart.
type bar struct {
	Label string
	Value int64
	Width float64
	Y     int
}

func bars(m map[string]int64, names map[string]string) []bar {
	var out []bar
	var top int64 = 1
	for _, v := range m {
		top = max(top, v)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y string) int {
		if m[x] != m[y] {
			return int(m[y] - m[x])
		}
		if x < y {
			return -1
		}
		return 1
	})
	for i, k := range keys {
		label := names[k]
		if label == "" {
			label = k
		}
		out = append(out, bar{Label: label, Value: m[k], Width: 380 * float64(m[k]) / float64(top), Y: i * 22})
	}
	return out
}

type bulletinData struct {
	B                     stats.Bulletin
	Sources, Cats, Levels []bar
	Grids                 []bar
	AckP50, ToSceneP50    string
}

func bulletinView(b stats.Bulletin, names map[string]string) bulletinData {
	f := func(v *float64) string {
		if v == nil {
			return "—"
		}
		return fmt.Sprintf("%.0f s", *v)
	}
	return bulletinData{B: b, Sources: bars(b.Calls.BySource, names), Cats: bars(b.Incidents.ByCategory, names),
		Levels: bars(b.Incidents.ByLevel, names), Grids: bars(b.Incidents.ByGrid, names),
		AckP50: f(b.Calls.AckP50), ToSceneP50: f(b.Calls.ToSceneP50)}
}

// bulletinPage is a print-ready A4 page; charts are SVG drawn here, so the
// page needs no script. html/template escapes every name.
var bulletinPage = template.Must(template.New("bulletin").Funcs(template.FuncMap{
	"height": func(bs []bar) int { return max(22, 22*len(bs)) },
}).Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>每日三通报 {{.B.Date}}</title>
<link rel="stylesheet" href="/bulletin.css"></head>
<body><main class="a4">
<h1>每日三通报 <small>Daily bulletin</small></h1><p class="date">{{.B.Date}}(本地时间 0 时起 / since local midnight;演练不计 / drills excluded)</p>
<section><h2>一、接警与派警 <small>Calls and dispatches</small></h2>
<table><tr><th>接警总数 Calls</th><td>{{.B.Calls.Total}}</td><th>派警 Dispatches</th><td>{{.B.Calls.Dispatches}}</td></tr>
<tr><th>接单中位时长 Ack p50</th><td>{{.AckP50}}</td><th>到场中位时长 To scene p50</th><td>{{.ToSceneP50}}</td></tr></table>
{{template "chart" .Sources}}</section>
<section><h2>二、警情 <small>Incidents</small></h2>
<table><tr><th>总数 Total</th><td>{{.B.Incidents.Total}}</td><th>已结束 Closed</th><td>{{.B.Incidents.Closed}}</td></tr></table>
<h3>按类别 By category</h3>{{template "chart" .Cats}}
<h3>按级别 By level</h3>{{template "chart" .Levels}}
<h3>按网格 By grid</h3>{{template "chart" .Grids}}</section>
<section><h2>三、预警与告警 <small>Alarms</small></h2>
<table><tr><th>发出 Raised</th><td>{{.B.Alarms.Raised}}</td><th>已确认 Acknowledged</th><td>{{.B.Alarms.Acked}}</td><th>报告超时 Overdue</th><td>{{.B.Alarms.Overdue}}</td></tr></table></section>
<section><h2>网格事件 <small>Grid cases</small></h2>
<table><tr><th>新增 Created</th><td>{{.B.Cases.Created}}</td><th>结案 Closed</th><td>{{.B.Cases.Closed}}</td><th>超时 Overdue</th><td>{{.B.Cases.Overdue}}</td></tr></table></section>
</main></body></html>
{{define "chart"}}{{if .}}<svg class="chart" width="600" height="{{height .}}" viewBox="0 0 600 {{height .}}" role="img">{{range .}}<g transform="translate(0,{{.Y}})"><text x="0" y="15" class="label">{{.Label}}</text><rect x="170" y="3" height="16" width="{{printf "%.1f" .Width}}" class="bar"></rect><text x="{{printf "%.1f" .Width}}" dx="176" y="15" class="value">{{.Value}}</text></g>{{end}}</svg>{{else}}<p class="none">无 None</p>{{end}}{{end}}
`))

func (a *API) analysis(c *fiber.Ctx) error {
	p, err := stats.ParsePeriod(c.Query("period", "month"), c.Query("at", time.Now().In(a.Config.Location).Format("2006-01")), a.Config.Location)
	if err != nil {
		return fault.Field("period", "%v", err)
	}
	prev := p.Previous()
	days, err := a.Figures.Days(c.UserContext(), p.From, p.To)
	if err != nil {
		return err
	}
	prevDays, err := a.Figures.Days(c.UserContext(), prev.From, prev.To)
	if err != nil {
		return err
	}
	return c.JSON(stats.Analyse(p, days, prevDays, a.leafGrids()))
}

func (a *API) hotspots(c *fiber.Ctx) error {
	to, err := a.localDay(c.Query("to"))
	if err != nil {
		return fault.Field("to", "a date YYYY-MM-DD")
	}
	from := to.AddDate(0, 0, -27)
	if v := c.Query("from"); v != "" {
		if from, err = a.localDay(v); err != nil {
			return fault.Field("from", "a date YYYY-MM-DD")
		}
	}
	if to.Before(from) || to.Sub(from) > 400*24*time.Hour {
		return fault.Field("to", "after from, and at most a year and a month later")
	}
	days, err := a.Figures.Days(c.UserContext(), from, to)
	if err != nil {
		return err
	}
	sum := stats.Sum(days).Counts
	fc := geojson.NewFeatureCollection()
	for _, g := range a.Map.Grids() {
		if g.Level != geo.Grid {
			continue
		}
		f := geojson.NewFeature(g.Shape)
		if len(g.Shape) == 1 {
			f = geojson.NewFeature(g.Shape[0])
		}
		f.Properties["code"], f.Properties["name"], f.Properties["name_en"] = g.Code, g.Name, g.NameEN
		f.Properties["count"] = sum["inc:grid:"+g.Code]
		fc.Append(f)
	}
	return c.JSON(fiber.Map{"from": from.Format(time.DateOnly), "to": to.Format(time.DateOnly), "grids": fc, "hour_of_week": stats.HourOfWeek(days)})
}

func (a *API) patrolAdvice(c *fiber.Ctx) error {
	today, _ := a.localDay("")
	days, err := a.Figures.Days(c.UserContext(), today.AddDate(0, 0, -27), today)
	if err != nil {
		return err
	}
	sum := stats.Sum(days).Counts
	patrol, err := a.Units.Patrol(c.UserContext(), today, today.AddDate(0, 0, 1), a.Config.Patrol.TargetMinutes, a.Config.Patrol.MaxGap)
	if err != nil {
		return err
	}
	minutes := map[string]int{}
	for _, p := range patrol {
		minutes[p.Code] = p.Minutes
	}
	type advice struct {
		Code      string  `json:"code"`
		Name      string  `json:"name"`
		Incidents int64   `json:"incidents_28d"`
		Minutes   int     `json:"patrol_minutes_today"`
		Score     float64 `json:"score"`
	}
	var out []advice
	for _, g := range a.Map.Grids() {
		if g.Level != geo.Grid {
			continue
		}
		n := sum["inc:grid:"+g.Code]
		// Incidents against presence: more incidents and less patrol rank
		// first (警力跟着警情走).
		out = append(out, advice{Code: g.Code, Name: g.Name, Incidents: n, Minutes: minutes[g.Code], Score: float64(n) / (1 + float64(minutes[g.Code])/60)})
	}
	slices.SortFunc(out, func(x, y advice) int {
		if x.Score != y.Score {
			if x.Score > y.Score {
				return -1
			}
			return 1
		}
		if x.Code < y.Code {
			return -1
		}
		return 1
	})
	return c.JSON(fiber.Map{"grids": out, "basis": "incidents over the last 28 days against grid officers' minutes inside the grid today"})
}

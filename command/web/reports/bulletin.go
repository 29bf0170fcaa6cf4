package reports

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"slices"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/stats"
)

func (a *handlers) dailyBulletin(c *fiber.Ctx) error {
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
		if err := a.page.Execute(&buf, bulletinView(b, a.names())); err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "text/html; charset=utf-8")
		return c.Send(buf.Bytes())
	}
	return c.JSON(b)
}

// names maps the keys of figures to Chinese names, for the CSV and page.
func (a *handlers) names() map[string]string {
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

// bulletinHTML is the print-ready A4 page of the bulletin; its charts are
// SVG drawn by the template, so the page needs no script. html/template
// escapes every name.
//
//go:embed bulletin.html
var bulletinHTML string

// bulletinPage parses the bulletin's page.
func bulletinPage() *template.Template {
	return template.Must(template.New("bulletin").Funcs(template.FuncMap{
		"height": func(bs []bar) int { return max(22, 22*len(bs)) },
	}).Parse(bulletinHTML))
}

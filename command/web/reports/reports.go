// Package reports serves the figures read from the daily counters: the
// daily bulletin (JSON, CSV or a print-ready page), analyses, hotspots and
// patrol advice.
package reports

import (
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/paulmach/orb/geojson"

	"watchfloor/command/fault"
	"watchfloor/command/stats"
	"watchfloor/geo"
)

// leafGrids are the codes of the lowest level of the grid hierarchy.
func (a *handlers) leafGrids() []string {
	var out []string
	for _, g := range a.Map.Grids() {
		if g.Level == geo.Grid {
			out = append(out, g.Code)
		}
	}
	return out
}

func (a *handlers) localDay(v string) (time.Time, error) {
	loc := a.Config.Location
	if v == "" {
		now := a.Clock().In(loc)
		return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc), nil
	}
	d, err := time.ParseInLocation(time.DateOnly, v, loc)
	if err != nil {
		return time.Time{}, fault.Field("date", "a date YYYY-MM-DD")
	}
	return d, nil
}

func (a *handlers) analysis(c *fiber.Ctx) error {
	p, err := stats.ParsePeriod(c.Query("period", "month"), c.Query("at", a.Clock().In(a.Config.Location).Format("2006-01")), a.Config.Location)
	if err != nil {
		return err
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

func (a *handlers) hotspots(c *fiber.Ctx) error {
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

func (a *handlers) patrolAdvice(c *fiber.Ctx) error {
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

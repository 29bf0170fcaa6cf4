package config

import (
	"time"
	_ "time/tzdata" // Asia/Shanghai must resolve on any machine.

	"watchfloor/alerts"
)

// resolve fills the values derived from other keys and from the
// environment: the time zone, the dates of sensitive periods, default
// levels and zooms, secrets named by *_env keys, and the units of unit
// sets. It returns the problems of the keys it consumes, which the section
// checks after it can no longer see. A getenv of nil reads no secrets.
func (c *Config) resolve(getenv func(string) string) []error {
	var p problems
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		p.add("timezone: %v", err)
	}
	c.Location = loc
	for i := range c.Periods {
		pd := &c.Periods[i]
		pd.FromDate, _ = time.Parse(time.DateOnly, pd.From)
		pd.ToDate, _ = time.Parse(time.DateOnly, pd.To)
	}
	for i := range c.Categories {
		if c.Categories[i].BaseLevel == alerts.LevelNone {
			c.Categories[i].BaseLevel = alerts.LevelIV
		}
	}
	c.Metrics.resolve(getenv)
	if c.Positions.Workers == 0 {
		c.Positions.Workers = c.Positions.IngestWorkers()
	}
	p = append(p, c.Map.Base.resolve(getenv)...)
	if c.Map.Navigation == "" {
		c.Map.Navigation = NavGeo
	}
	c.Auth.resolve(getenv)
	c.Notifications.resolve(getenv)
	p = append(p, unitSets(c.UnitSets).validate()...)
	c.expandUnitSets()
	return p
}

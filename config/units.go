package config

import "fmt"

// UnitType is a kind of unit (car, motorbike, foot, grid_officer, fire,
// medical…) with the speed used for arrival estimates.
type UnitType struct {
	ID   string `yaml:"id"`
	Name Text   `yaml:"name"`
	// SpeedKMH is the straight-line speed assumed for eta_s.
	SpeedKMH float64 `yaml:"speed_kmh"`
}

// Unit is a patrol car, motorbike, officer on foot, grid officer or team
// that reports positions and takes dispatch orders.
type Unit struct {
	ID       string   `yaml:"id"`
	Callsign string   `yaml:"callsign"`
	Type     string   `yaml:"type"`
	Team     string   `yaml:"team"`
	HomeGrid string   `yaml:"home_grid"`
	Devices  []string `yaml:"device_ids"`
}

// UnitSet adds Count units: ids Prefix00001…, devices DevicePrefix00001…,
// all of one type and team, spread over HomeGrids in turn.
type UnitSet struct {
	Prefix       string   `yaml:"prefix"`
	Count        int      `yaml:"count"`
	Type         string   `yaml:"type"`
	Team         string   `yaml:"team"`
	DevicePrefix string   `yaml:"device_prefix"`
	HomeGrids    []string `yaml:"home_grids"`
}

// expandUnitSets appends the units of every set to Units.
func (c *Config) expandUnitSets() {
	for _, set := range c.UnitSets {
		for i := 1; i <= set.Count; i++ {
			u := Unit{ID: fmt.Sprintf("%s%05d", set.Prefix, i), Type: set.Type, Team: set.Team}
			u.Callsign = u.ID
			if set.DevicePrefix != "" {
				u.Devices = []string{fmt.Sprintf("%s%05d", set.DevicePrefix, i)}
			}
			if len(set.HomeGrids) > 0 {
				u.HomeGrid = set.HomeGrids[(i-1)%len(set.HomeGrids)]
			}
			c.Units = append(c.Units, u)
		}
	}
	c.UnitSets = nil
}

// unitSets are unit_sets as written, before resolve expands them.
type unitSets []UnitSet

// validate checks unit_sets: a lowercase prefix and a count ids can number.
func (ss unitSets) validate() []error {
	var p problems
	for i, set := range ss {
		if !idPattern.MatchString(set.Prefix) || set.Count < 1 || set.Count > 99999 {
			p.add("unit_sets[%d]: a lowercase prefix and a count from 1 to 99999", i)
		}
	}
	return p
}

// unitTypes are unit_types, checked as one list.
type unitTypes []UnitType

// validate checks unit_types: unique ids and a plausible speed.
func (ts unitTypes) validate(scope) []error {
	return unique("unit_types", ts, func(ut UnitType) string { return ut.ID }, UnitType.validate)
}

// validate checks the unit type at path at, but for its id.
func (ut UnitType) validate(at string) []error {
	if ut.SpeedKMH <= 0 || ut.SpeedKMH > 300 {
		return []error{fmt.Errorf("%s.speed_kmh: between 0 and 300", at)}
	}
	return nil
}

// units are the units once unit sets are expanded, checked as one list.
type units []Unit

// validate checks units: unique ids, a callsign, a configured type, and
// device ids that belong to one unit only.
func (us units) validate(in scope) []error {
	devices := map[string]string{} // device id → the unit that has it
	return unique("units", us, func(u Unit) string { return u.ID }, func(u Unit, at string) []error {
		var p problems
		if u.Callsign == "" {
			p.add("%s.callsign: required", at)
		}
		if !in.unitTypes[u.Type] {
			p.add("%s.type: %q is not a configured unit type", at, u.Type)
		}
		for _, d := range u.Devices {
			if d == "" || len(d) > 64 {
				p.add("%s.device_ids: device ids are 1 to 64 characters", at)
			} else if other, dup := devices[d]; dup {
				p.add("%s.device_ids: %q is already the device of %s", at, d, other)
			}
			devices[d] = u.ID
		}
		return p
	})
}

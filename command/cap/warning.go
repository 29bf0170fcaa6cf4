package cap

import (
	"slices"
	"strings"
	"time"

	"watchfloor/command/warning"
	"watchfloor/geo"
)

// warningTypes names each warning type in Chinese and English, with its
// CAP category: weather and water are Met, gatherings Safety.
var warningTypes = map[string]struct {
	name     Text
	category string
}{
	warning.Typhoon:       {Text{"台风", "Typhoon"}, "Met"},
	warning.Rainstorm:     {Text{"暴雨", "Rainstorm"}, "Met"},
	warning.Flood:         {Text{"洪水", "Flood"}, "Met"},
	warning.LargeEvent:    {Text{"大型活动", "Large event"}, "Safety"},
	warning.MassGathering: {Text{"人员聚集", "Mass gathering"}, "Safety"},
	warning.Other:         {Text{"其他", "Other"}, "Safety"},
}

// colourNames names each colour level in Chinese and English.
var colourNames = map[warning.Colour]Text{
	warning.Blue: {"蓝色", "Blue"}, warning.Yellow: {"黄色", "Yellow"},
	warning.Orange: {"橙色", "Orange"}, warning.Red: {"红色", "Red"},
}

// WarningSeverity maps a colour: red Extreme, orange Severe, yellow Moderate, blue Minor.
func WarningSeverity(c warning.Colour) string {
	return [...]string{"Unknown", "Minor", "Moderate", "Severe", "Extreme"}[c.Rank()]
}

// WarningUrgency is Past once a warning has ended, Immediate while it is
// in force at now, else Expected (issued for a period not begun yet).
func WarningUrgency(w *warning.Warning, now time.Time) string {
	switch {
	case w.Status != warning.Active:
		return "Past"
	case !now.Before(w.StartsAt):
		return "Immediate"
	}
	return "Expected"
}

// WarningShapes are the grid areas whose shapes draw a warning's area: its
// streets' or communities' grids, or for the city its districts (none for
// a drawn polygon, which carries its own).
func WarningShapes(w *warning.Warning, m *geo.Map) []*geo.Area {
	if m == nil {
		return nil
	}
	var out []*geo.Area
	switch w.Area.Kind {
	case warning.AreaStreets, warning.AreaCommunities:
		for _, code := range w.Area.Codes {
			if a := m.Area(code); a != nil {
				out = append(out, a)
			}
		}
	case warning.AreaCity:
		for _, a := range m.Grids() {
			if a.Level == geo.District {
				out = append(out, a)
			}
		}
	}
	return out
}

// FromWarning is the message of a warning as it stands: its version is the
// warning's (1 an Alert, later an Update of the earlier ones, a lifted one
// their Cancel); each version's sent is its history step's time. Its urgency
// is judged at its sent time, so one identifier always renders the same.
// shapes are the grids of its area (WarningShapes). Free text is masked.
func FromWarning(w *warning.Warning, src Source, shapes []*geo.Area) *Message {
	kind, ok := warningTypes[w.Type]
	if !ok {
		kind = warningTypes[warning.Other]
		kind.name = Text{w.Type, w.Type}
	}
	colour := colourNames[w.Colour]
	m := &Message{Sender: Sender(src.Deployment), ID: w.ID, Version: max(w.Version, 1),
		FirstSent: w.IssuedAt, Location: src.Location, Drill: w.Drill,
		Cancel: w.Status == warning.Lifted, Category: kind.category, ResponseType: "Prepare",
		Severity: WarningSeverity(w.Colour), Certainty: "Likely",
		Event:      Text{kind.name.ZH + "预警", kind.name.EN + " warning"},
		SenderName: Text{"Watchfloor 应急指挥中心 (" + src.Deployment + ")", "Watchfloor command centre (" + src.Deployment + ")"},
		EventCode:  w.Type, EventCodeName: "watchfloor:warning_type", Level: w.Colour.Level(),
		Parameters: [][2]string{{"watchfloor:colour", string(w.Colour)}},
		Effective:  w.StartsAt, Expires: w.EndsAt,
	}
	m.Earlier = make([]time.Time, m.Version-1)
	for v := range m.Version - 1 {
		m.Earlier[v] = versionSent(w, v+1)
	}
	m.Sent = versionSent(w, m.Version)
	m.Urgency = WarningUrgency(w, m.Sent)
	if w.Status != warning.Active {
		m.ResponseType = "AllClear"
	}
	title := Mask(w.Title)
	m.Headline = Text{kind.name.ZH + colour.ZH + "预警：" + title, colour.EN + " " + strings.ToLower(kind.name.EN) + " warning: " + title}
	if w.Drill {
		m.Headline = Text{"【演练】" + m.Headline.ZH, "[DRILL] " + m.Headline.EN}
	}
	m.Description = warningDescription(w)
	if src.BaseURL != "" {
		m.Web = strings.TrimRight(src.BaseURL, "/") + "/console.html"
	}
	m.Areas = warningAreas(w, shapes)
	return m
}

// warningDescription is the warning's text, masked, with its source.
func warningDescription(w *warning.Warning) Text {
	d := Text{Mask(strings.TrimSpace(w.Text)), Mask(strings.TrimSpace(w.Text))}
	if src := Mask(strings.TrimSpace(w.Source)); src != "" {
		d.ZH = strings.TrimSpace(d.ZH + "\n发布单位：" + src)
		d.EN = strings.TrimSpace(d.EN + "\nSource: " + src)
	}
	return d
}

// warningAreas are a warning's areas: one per grid (its outer rings, its
// names and code), or the drawn polygon's outer ring (CAP has no holes).
func warningAreas(w *warning.Warning, shapes []*geo.Area) []Area {
	if w.Area.Kind == warning.AreaPolygon {
		if len(w.Area.Polygon) == 0 {
			return nil
		}
		desc := Text{"划定区域", "Drawn area"}
		if zh, en := names(w.Area.Names); zh != "" {
			desc = Text{desc.ZH + "（" + zh + "）", desc.EN + " (" + en + ")"}
		}
		return []Area{{Desc: desc, Polygons: [][][2]float64{w.Area.Polygon[0]}}}
	}
	if w.Area.Kind == warning.AreaCity {
		out := make([]Area, 0, len(shapes))
		for _, g := range shapes {
			out = append(out, gridArea(areaName(w.Area.Names, g.Code, g), g))
		}
		if len(out) == 0 {
			out = append(out, Area{Desc: Text{"全市", "Whole city"}})
		}
		return out
	}
	// Streets or communities: one area per code, drawn when the map knows
	// its grid, else named (from the warning's names) with its code alone.
	byCode := make(map[string]*geo.Area, len(shapes))
	for _, g := range shapes {
		byCode[g.Code] = g
	}
	out := make([]Area, 0, len(w.Area.Codes))
	for _, code := range w.Area.Codes {
		out = append(out, gridArea(areaName(w.Area.Names, code, byCode[code]), byCode[code]))
	}
	return out
}

// areaName is the name of grid code: the warning's names' entry, else its
// grid g's (nil: none), else the code itself.
func areaName(names []warning.Name, code string, g *geo.Area) warning.Name {
	if i := slices.IndexFunc(names, func(n warning.Name) bool { return n.Code == code }); i >= 0 {
		return names[i]
	}
	if g != nil {
		return warning.Name{Code: code, Name: g.Name, NameEN: g.NameEN}
	}
	return warning.Name{Code: code, Name: code}
}

// gridArea is the area of grid code n: its names, its grid's outer rings
// when g is known (nil: none) and its code.
func gridArea(n warning.Name, g *geo.Area) Area {
	a := Area{Desc: Text{n.Name, or(n.NameEN, n.Name)}, Geocodes: [][2]string{{"watchfloor:grid", n.Code}}}
	if g != nil {
		a.Polygons = outerRings(g.Shape)
	}
	return a
}

// names joins area names in Chinese and in English.
func names(ns []warning.Name) (zh, en string) {
	z, e := make([]string, len(ns)), make([]string, len(ns))
	for i, n := range ns {
		z[i], e[i] = n.Name, or(n.NameEN, n.Name)
	}
	return strings.Join(z, "、"), strings.Join(e, ", ")
}

// versionSent is when version v of w was made: its history step's time
// (version 1 its issue; a step missing: its last change).
func versionSent(w *warning.Warning, v int64) time.Time {
	switch {
	case v >= 1 && int(v) <= len(w.History) && !w.History[v-1].At.IsZero():
		return w.History[v-1].At
	case v == 1:
		return w.IssuedAt
	}
	return w.UpdatedAt
}

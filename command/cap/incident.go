package cap

import (
	"regexp"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"watchfloor/alerts"
	"watchfloor/command/incident"
	"watchfloor/geo"
)

// Source is what an incident's alert needs besides the incident.
type Source struct {
	// Deployment is config deployment; the sender is "watchfloor.{deployment}".
	Deployment string
	Location   *time.Location
	// BaseURL is where people open the pages (notifications.base_url); web
	// is its console page (which has no link to one incident yet); empty leaves web out.
	BaseURL string
	// Category is the configured category of the incident, nil if unknown.
	Category *alerts.Category
	// Grid is the incident's grid from the map, nil if none.
	Grid *geo.Area
}

// SiteRadiusKM is the circle drawn around an incident's reported location.
const SiteRadiusKM = 0.5

// Sender is the CAP sender of a deployment.
func Sender(deployment string) string { return "watchfloor." + deployment }

// Category is the CAP category of a configured category (its
// cap_category), Other when it names none or is unknown.
func Category(c *alerts.Category) string {
	if c == nil || c.CAPCategory == "" {
		return "Other"
	}
	return c.CAPCategory
}

// Severity maps a response level: I Extreme, II Severe, III Moderate, IV Minor, none Unknown.
func Severity(l alerts.Level) string {
	return [...]string{"Unknown", "Minor", "Moderate", "Severe", "Extreme"}[l%5]
}

// Urgency maps an incident's level and status: Past once it is in
// recovery or closed, else Immediate for I and II and Expected for III, IV
// and none.
func Urgency(l alerts.Level, status string) string {
	switch {
	case status == incident.StatusRecovery || status == incident.StatusClosed:
		return "Past"
	case l == alerts.LevelI || l == alerts.LevelII:
		return "Immediate"
	}
	return "Expected"
}

// Certainty is Observed for a report verified on site, else Likely.
func Certainty(verified bool) string {
	if verified {
		return "Observed"
	}
	return "Likely"
}

// ResponseType is AllClear for a closed incident, Monitor in recovery, else none.
func ResponseType(status string) string {
	switch status {
	case incident.StatusClosed:
		return "AllClear"
	case incident.StatusRecovery:
		return "Monitor"
	}
	return ""
}

// personal matches what may be personal data in free text: mainland
// mobile numbers (with an optional +86), landlines with an area code and
// 18-digit identity card numbers.
var personal = regexp.MustCompile(`(?:\+?86[- ]?)?1[3-9]\d{9}|0\d{2,3}-\d{7,8}|\d{17}[\dXx]`)

// Mask masks the phone and identity numbers in user text as the screens do (138****5678).
func Mask(s string) string { return personal.ReplaceAllStringFunc(s, incident.MaskPhone) }

// FromIncident is the message of an incident as it stands: the version is
// the incident's, sent is its last change and the first version's sent its
// creation. The reporter is never exported; free text is masked.
func FromIncident(inc *incident.Incident, src Source) *Message {
	m := &Message{Sender: Sender(src.Deployment), ID: inc.ID, Version: max(inc.Version, 1),
		Sent: inc.UpdatedAt, FirstSent: inc.CreatedAt, Location: src.Location, Drill: inc.Drill,
		Category: Category(src.Category), ResponseType: ResponseType(inc.Status),
		Urgency: Urgency(inc.Level, inc.Status), Severity: Severity(inc.Level), Certainty: Certainty(inc.Verified),
		SenderName: Text{"Watchfloor 应急指挥中心 (" + src.Deployment + ")", "Watchfloor command centre (" + src.Deployment + ")"},
		EventCode:  inc.Category, Level: inc.Level.String(),
	}
	if m.Sent.Before(m.FirstSent) || m.Version == 1 {
		m.Sent = m.FirstSent
	}
	cat := Text{inc.Category, inc.Category}
	if src.Category != nil {
		cat = Text{or(src.Category.Name.ZH, inc.Category), or(src.Category.Name.EN, inc.Category)}
	}
	m.Event = cat
	title := Mask(inc.Title)
	m.Headline = Text{headlineZH(inc, cat.ZH, title), headlineEN(inc, cat.EN, title)}
	if d := Mask(strings.TrimSpace(inc.Description)); d != "" {
		m.Description = Text{d, d}
	}
	if src.BaseURL != "" {
		m.Web = strings.TrimRight(src.BaseURL, "/") + "/console.html"
	}
	if a, ok := incidentArea(inc, src.Grid); ok {
		m.Areas = []Area{a}
	}
	return m
}

func headlineZH(inc *incident.Incident, cat, title string) string {
	h := cat + "：" + title
	if inc.Level.Valid() {
		h = inc.Level.String() + "级（" + inc.Level.NameZH() + "）" + h
	}
	if inc.Drill {
		h = "【演练】" + h
	}
	return h
}

func headlineEN(inc *incident.Incident, cat, title string) string {
	h := cat + ": " + title
	if inc.Level.Valid() {
		h = "Level " + inc.Level.String() + " (" + inc.Level.NameEN() + ") " + h
	}
	if inc.Drill {
		h = "[DRILL] " + h
	}
	return h
}

// incidentArea is where the incident is: its grid path and zones as the
// description, a circle around an exact location or the grid's polygons
// for a location that is only the grid's centre, and the grid code.
func incidentArea(inc *incident.Incident, grid *geo.Area) (Area, bool) {
	var a Area
	var zh, en []string
	if inc.Grid != nil {
		for _, r := range inc.Grid.Path {
			zh, en = append(zh, r.Name), append(en, or(r.NameEN, r.Name))
		}
		if len(inc.Grid.Path) == 0 {
			zh, en = append(zh, inc.Grid.Name), append(en, or(inc.Grid.NameEN, inc.Grid.Name))
		}
		a.Geocodes = [][2]string{{"watchfloor:grid", inc.Grid.Code}}
	}
	for _, z := range inc.Zones {
		zh, en = append(zh, z.Name), append(en, or(z.NameEN, z.Name))
	}
	if addr := Mask(strings.TrimSpace(inc.Address)); addr != "" {
		zh, en = append(zh, addr), append(en, addr)
	}
	switch {
	case inc.LocationApproximate && grid != nil:
		a.Polygons = outerRings(grid.Shape)
	case inc.Location != nil:
		a.Circles = []Circle{{Lon: inc.Location.Lon, Lat: inc.Location.Lat, RadiusKM: SiteRadiusKM}}
	}
	if len(zh) == 0 && len(a.Polygons) == 0 && len(a.Circles) == 0 {
		return a, false
	}
	if len(zh) == 0 {
		zh, en = []string{"事发地"}, []string{"Incident site"}
	}
	a.Desc = Text{strings.Join(zh, " "), strings.Join(en, ", ")}
	return a, true
}

// outerRings are the outer rings of a grid's polygons, as [lon, lat] points.
func outerRings(shape orb.MultiPolygon) [][][2]float64 {
	var out [][][2]float64
	for _, poly := range shape {
		if len(poly) > 0 {
			ring := make([][2]float64, len(poly[0]))
			for i, p := range poly[0] {
				ring[i] = [2]float64(p)
			}
			out = append(out, ring)
		}
	}
	return out
}

func or(s, alt string) string {
	if s != "" {
		return s
	}
	return alt
}

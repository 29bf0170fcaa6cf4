package cap_test

import (
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"watchfloor/alerts"
	"watchfloor/command/cap"
	"watchfloor/command/cap/captest"
	"watchfloor/command/incident"
	"watchfloor/command/vocab"
	"watchfloor/geo"
)

var shanghai = time.FixedZone("CST", 8*3600)

// sample is a level II fire at an exact location in Dongmen street.
func sample() *incident.Incident {
	at := time.Date(2026, 12, 5, 1, 2, 3, 456e6, time.UTC)
	return &incident.Incident{ID: "INC-20261205-0001", Category: "fire", Title: "东门 <script>alert(1)</script> & \"火\"",
		Description: "报警人 13812345678，身份证 440303199001011234。", Location: &vocab.Location{Lon: 114.1201, Lat: 22.5432},
		Level: alerts.LevelII, Status: incident.StatusResponding, Verified: true, Version: 1, CreatedAt: at, UpdatedAt: at,
		Reporter: &incident.Reporter{Name: "张三", Phone: "13900001111"},
		Grid: &geo.GridRef{Code: "440303001", Name: "东门街道", NameEN: "Dongmen Street",
			Path: []geo.Ref{{Code: "440303", Name: "罗湖区", NameEN: "Luohu District"}, {Code: "440303001", Name: "东门街道", NameEN: "Dongmen Street"}}}}
}

func src() cap.Source {
	return cap.Source{Deployment: "luohu", Location: shanghai, BaseURL: "https://wf.example/",
		Category: &alerts.Category{ID: "fire", Name: alerts.Text{ZH: "火灾", EN: "Fire"}, CAPCategory: "Fire"}}
}

func render(t *testing.T, inc *incident.Incident, s cap.Source) (string, *captest.Node) {
	t.Helper()
	b, err := cap.Render(cap.FromIncident(inc, s))
	return valid(t, b, err)
}

// valid fails the test unless b, rendered without err, is valid CAP 1.2,
// and returns it as text and parsed.
func valid(t *testing.T, b []byte, err error) (string, *captest.Node) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if bad := captest.Validate(b); len(bad) > 0 {
		t.Fatalf("not valid CAP 1.2:\n%s\n%s", strings.Join(bad, "\n"), b)
	}
	root, _ := captest.Parse(b)
	return string(b), root
}

func TestLevelMapping(t *testing.T) {
	cases := []struct {
		name                         string
		level                        alerts.Level
		status                       string
		verified                     bool
		urgency, severity, certainty string
		response                     string
	}{
		{"I open verified", alerts.LevelI, incident.StatusOpen, true, "Immediate", "Extreme", "Observed", ""},
		{"II responding unverified", alerts.LevelII, incident.StatusResponding, false, "Immediate", "Severe", "Likely", ""},
		{"III open", alerts.LevelIII, incident.StatusOpen, true, "Expected", "Moderate", "Observed", ""},
		{"IV open", alerts.LevelIV, incident.StatusOpen, false, "Expected", "Minor", "Likely", ""},
		{"ungraded", alerts.LevelNone, incident.StatusOpen, false, "Expected", "Unknown", "Likely", ""},
		{"I recovery", alerts.LevelI, incident.StatusRecovery, true, "Past", "Extreme", "Observed", "Monitor"},
		{"II closed", alerts.LevelII, incident.StatusClosed, true, "Past", "Severe", "Observed", "AllClear"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inc := sample()
			inc.Level, inc.Status, inc.Verified = c.level, c.status, c.verified
			_, root := render(t, inc, src())
			for _, in := range root.All("info") {
				got := [4]string{in.Kid("urgency").Text, in.Kid("severity").Text, in.Kid("certainty").Text, ""}
				if r := in.Kid("responseType"); r != nil {
					got[3] = r.Text
				}
				if want := [4]string{c.urgency, c.severity, c.certainty, c.response}; got != want {
					t.Errorf("%s: urgency, severity, certainty, responseType = %v, want %v", in.Kid("language").Text, got, want)
				}
			}
		})
	}
}

func TestCategoryMapping(t *testing.T) {
	cases := []struct {
		name string
		cat  *alerts.Category
		want string
	}{
		{"configured Fire", &alerts.Category{ID: "fire", CAPCategory: "Fire"}, "Fire"},
		{"configured Security", &alerts.Category{ID: "public_order", CAPCategory: "Security"}, "Security"},
		{"none configured", &alerts.Category{ID: "enterprise_risk"}, "Other"},
		{"unknown category", nil, "Other"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := src()
			s.Category = c.cat
			_, root := render(t, sample(), s)
			for _, in := range root.All("info") {
				if got := in.Kid("category").Text; got != c.want {
					t.Errorf("%s category %q, want %q", in.Kid("language").Text, got, c.want)
				}
			}
		})
	}
}

func TestAreaLatLonOrder(t *testing.T) {
	_, root := render(t, sample(), src())
	for _, in := range root.All("info") {
		ar := in.Kid("area")
		if got := ar.Kid("circle").Text; got != "22.5432,114.1201 0.5" {
			t.Errorf("circle %q, want lat,lon radius 22.5432,114.1201 0.5", got)
		}
		if g := ar.Kid("geocode"); g == nil || g.Kid("value").Text != "440303001" {
			t.Errorf("geocode: %+v", g)
		}
	}
	if got := root.All("info")[0].Kid("area").Kid("areaDesc").Text; got != "罗湖区 东门街道" {
		t.Errorf("zh areaDesc %q", got)
	}
	if got := root.All("info")[1].Kid("area").Kid("areaDesc").Text; got != "Luohu District, Dongmen Street" {
		t.Errorf("en areaDesc %q", got)
	}
}

func TestGridPolygonClosed(t *testing.T) {
	open := orb.Ring{{114.1, 22.5}, {114.2, 22.5}, {114.2, 22.6}, {114.1, 22.6}} // not closed
	closed := append(orb.Ring{}, append(open, open[0])...)
	for name, ring := range map[string]orb.Ring{"open ring": open, "closed ring": closed} {
		t.Run(name, func(t *testing.T) {
			inc := sample()
			inc.LocationApproximate = true
			s := src()
			s.Grid = &geo.Area{Code: "440303001", Shape: orb.MultiPolygon{{ring}}}
			_, root := render(t, inc, s)
			ar := root.Kid("info").Kid("area")
			if ar.Kid("circle") != nil {
				t.Error("a grid's area also has a circle")
			}
			want := "22.5,114.1 22.5,114.2 22.6,114.2 22.6,114.1 22.5,114.1"
			if got := ar.Kid("polygon").Text; got != want {
				t.Errorf("polygon %q, want %q", got, want)
			}
		})
	}
	if got := cap.Polygon([][2]float64{{1, 2}, {3, 4}}); got != "" {
		t.Errorf("a two-point ring gave %q", got)
	}
}

func TestStatusAndMsgType(t *testing.T) {
	cases := []struct {
		name            string
		drill           bool
		version         int64
		status, msgType string
		refs            string
	}{
		{"first version", false, 1, "Actual", "Alert", ""},
		{"drill", true, 1, "Exercise", "Alert", ""},
		{"update", false, 4, "Actual", "Update", "watchfloor.luohu,watchfloor.luohu.INC-20261205-0001.v1,2026-12-05T09:02:03+08:00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inc := sample()
			inc.Drill, inc.Version = c.drill, c.version
			inc.UpdatedAt = inc.CreatedAt.Add(10 * time.Minute)
			_, root := render(t, inc, src())
			if got := root.Kid("status").Text; got != c.status {
				t.Errorf("status %q, want %q", got, c.status)
			}
			if got := root.Kid("msgType").Text; got != c.msgType {
				t.Errorf("msgType %q, want %q", got, c.msgType)
			}
			got := ""
			if r := root.Kid("references"); r != nil {
				got = r.Text
			}
			if got != c.refs {
				t.Errorf("references %q, want %q", got, c.refs)
			}
			wantID := "watchfloor.luohu.INC-20261205-0001.v" + string(rune('0'+c.version))
			if id := root.Kid("identifier").Text; id != wantID {
				t.Errorf("identifier %q, want %q", id, wantID)
			}
			wantSent := "2026-12-05T09:02:03+08:00"
			if c.version > 1 {
				wantSent = "2026-12-05T09:12:03+08:00"
			}
			if s := root.Kid("sent").Text; s != wantSent {
				t.Errorf("sent %q, want %q", s, wantSent)
			}
		})
	}
}

func TestTimeUTC(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 999e6, time.UTC)
	if got := cap.Time(at, time.UTC); got != "2026-01-02T03:04:05-00:00" {
		t.Errorf("UTC: %q", got)
	}
	if got := cap.Time(at, shanghai); got != "2026-01-02T11:04:05+08:00" {
		t.Errorf("+08:00: %q", got)
	}
}

func TestTextEscapedAndMasked(t *testing.T) {
	out, root := render(t, sample(), src())
	for _, leak := range []string{"<script>", "13812345678", "440303199001011234", "13900001111", "张三"} {
		if strings.Contains(out, leak) {
			t.Errorf("output carries %q", leak)
		}
	}
	zh, en := root.All("info")[0], root.All("info")[1]
	if zh.Kid("language").Text != "zh-CN" || en.Kid("language").Text != "en-US" {
		t.Errorf("languages %q, %q", zh.Kid("language").Text, en.Kid("language").Text)
	}
	if got, want := zh.Kid("headline").Text, `II级（重大）火灾：东门 <script>alert(1)</script> & "火"`; got != want {
		t.Errorf("zh headline %q, want %q", got, want)
	}
	if got := en.Kid("headline").Text; !strings.HasPrefix(got, "Level II (serious) Fire: ") {
		t.Errorf("en headline %q", got)
	}
	if got := zh.Kid("description").Text; got != "报警人 138****5678，身份证 440***********1234。" {
		t.Errorf("description %q", got)
	}
	if got := zh.Kid("web").Text; got != "https://wf.example/console.html" {
		t.Errorf("web %q", got)
	}
	s := src()
	s.BaseURL = ""
	_, root = render(t, sample(), s)
	if root.Kid("info").Kid("web") != nil {
		t.Error("web without a base URL")
	}
	if root.Kid("scope").Text != "Restricted" || root.Kid("restriction") == nil {
		t.Error("scope is not Restricted with a restriction")
	}
}

// TestValidatorRejects shows the schema check can fail: each broken
// document is refused with the problem named.
func TestValidatorRejects(t *testing.T) {
	good, err := cap.Render(cap.FromIncident(sample(), src()))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, from, to, want string }{
		{"order", "<status>Actual</status>\n  <msgType>Alert</msgType>", "<msgType>Alert</msgType>\n  <status>Actual</status>", "out of order"},
		{"missing", "<event>火灾</event>", "", "<event>"},
		{"enum", "<severity>Severe</severity>", "<severity>Big</severity>", "not one of"},
		{"zulu", "<sent>2026-12-05T09:02:03+08:00</sent>", "<sent>2026-12-05T01:02:03Z</sent>", "dateTime"},
		{"polygon open", "<circle>22.5432,114.1201 0.5</circle>", "<polygon>22.5,114.1 22.5,114.2 22.6,114.2 22.6,114.1</polygon>", "first = last"},
		{"namespace", "urn:oasis:names:tc:emergency:cap:1.2", "urn:oasis:names:tc:emergency:cap:1.1", "namespace"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(string(good), c.from) {
				t.Fatalf("document lacks %q", c.from)
			}
			bad := captest.Validate([]byte(strings.Replace(string(good), c.from, c.to, 1)))
			if !strings.Contains(strings.Join(bad, "\n"), c.want) {
				t.Errorf("problems %q, want one with %q", bad, c.want)
			}
		})
	}
}

// TestMessageCancelAndPolygons renders a Message as a warning will fill
// it (polygons of a drawn area, a lift as Cancel): still valid CAP 1.2.
func TestMessageCancelAndPolygons(t *testing.T) {
	at := time.Date(2026, 7, 1, 6, 0, 0, 0, time.UTC)
	m := &cap.Message{Sender: "watchfloor.luohu", ID: "WRN-1", Version: 3, Sent: at.Add(time.Hour), FirstSent: at,
		Location: time.UTC, Cancel: true, Category: "Met", Urgency: "Expected", Severity: "Extreme", Certainty: "Likely",
		Event: cap.Text{ZH: "暴雨", EN: "Rainstorm"}, Headline: cap.Text{ZH: "暴雨红色预警解除", EN: "Red rainstorm warning lifted"},
		Areas: []cap.Area{{Desc: cap.Text{ZH: "东门街道", EN: "Dongmen Street"},
			Polygons: [][][2]float64{{{114.1, 22.5}, {114.2, 22.5}, {114.2, 22.6}, {114.1, 22.5}}}}}}
	b, err := cap.Render(m)
	if err != nil {
		t.Fatal(err)
	}
	if bad := captest.Validate(b); len(bad) > 0 {
		t.Fatalf("not valid CAP 1.2: %v\n%s", bad, b)
	}
	root, _ := captest.Parse(b)
	if got := root.Kid("msgType").Text; got != "Cancel" {
		t.Errorf("msgType %q", got)
	}
	if got := root.Kid("references").Text; got != "watchfloor.luohu,watchfloor.luohu.WRN-1.v1,2026-07-01T06:00:00-00:00" {
		t.Errorf("references %q", got)
	}
	if got := root.Kid("info").Kid("area").Kid("polygon").Text; got != "22.5,114.1 22.5,114.2 22.6,114.2 22.5,114.1" {
		t.Errorf("polygon %q", got)
	}
}

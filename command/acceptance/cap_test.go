package acceptance_test

import (
	"encoding/xml"
	"strings"
	"testing"
)

// capAlert is the part of a CAP 1.2 alert the export test reads.
type capAlert struct {
	XMLName    xml.Name `xml:"urn:oasis:names:tc:emergency:cap:1.2 alert"`
	Identifier string   `xml:"identifier"`
	Sent       string   `xml:"sent"`
	Status     string   `xml:"status"`
	MsgType    string   `xml:"msgType"`
	Scope      string   `xml:"scope"`
	References string   `xml:"references"`
	Info       []struct {
		Language string `xml:"language"`
		Category string `xml:"category"`
		Headline string `xml:"headline"`
		Severity string `xml:"severity"`
		Area     []struct {
			AreaDesc string   `xml:"areaDesc"`
			Circle   []string `xml:"circle"`
			Polygon  []string `xml:"polygon"`
			Geocode  []struct {
				Value string `xml:"value"`
			} `xml:"geocode"`
		} `xml:"area"`
	} `xml:"info"`
}

func (h *harness) capOf(id, token string, want int) (*capAlert, string) {
	h.t.Helper()
	res, b := h.do("GET", "/api/v1/incidents/"+id+".cap", token, nil)
	if res.StatusCode != want {
		h.t.Fatalf("GET %s.cap: %d %s, want %d", id, res.StatusCode, b, want)
	}
	if want != 200 {
		return nil, string(b)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/cap+xml; charset=utf-8" {
		h.t.Errorf("Content-Type %q", ct)
	}
	var a capAlert
	if err := xml.Unmarshal(b, &a); err != nil {
		h.t.Fatalf("CAP does not parse: %v\n%s", err, b)
	}
	return &a, string(b)
}

// TestCAPExport reads an incident created through the API as CAP 1.2: both
// languages, the site as a circle in lat,lon order, a hostile title
// escaped, the reporter left out; a follow-up makes it an Update that
// references the first; unknown ids are 404.
func TestCAPExport(t *testing.T) {
	h := newHarness(t)
	body := publicOrder(`<script>alert("x")</script> & '引号' "quotes"`)
	inc := h.create(body)
	id := inc["id"].(string)
	a, raw := h.capOf(id, h.token("viewer"), 200)
	if a.Status != "Actual" || a.MsgType != "Alert" || a.Scope != "Restricted" || a.References != "" {
		t.Errorf("status %q msgType %q scope %q references %q", a.Status, a.MsgType, a.Scope, a.References)
	}
	if !strings.HasSuffix(a.Sent, "+08:00") || !strings.HasSuffix(a.Identifier, id+".v1") {
		t.Errorf("sent %q identifier %q", a.Sent, a.Identifier)
	}
	if len(a.Info) != 2 || a.Info[0].Language != "zh-CN" || a.Info[1].Language != "en-US" {
		t.Fatalf("info blocks: %+v", a.Info)
	}
	for _, in := range a.Info {
		if in.Category != "Security" { // the sample's public_order
			t.Errorf("%s category %q, want Security", in.Language, in.Category)
		}
		if !strings.Contains(in.Headline, `<script>alert("x")</script> & '引号' "quotes"`) {
			t.Errorf("%s headline %q lost the title", in.Language, in.Headline)
		}
		if len(in.Area) != 1 || len(in.Area[0].Circle) != 1 || !strings.HasPrefix(in.Area[0].Circle[0], "22.547,114.1118 ") {
			t.Errorf("%s area %+v: want a circle at 22.547,114.1118 (lat,lon)", in.Language, in.Area)
		}
	}
	for _, leak := range []string{"<script>", "13900001111", "李四"} {
		if strings.Contains(raw, leak) {
			t.Errorf("the CAP carries %q:\n%s", leak, raw)
		}
	}
	if !strings.Contains(raw, "&lt;script&gt;") {
		t.Errorf("title not escaped:\n%s", raw)
	}
	if res, b := h.do("POST", "/api/v1/incidents/"+id+"/reports", h.token("operator"), map[string]any{"people_involved": 40}); res.StatusCode != 200 {
		t.Fatalf("report: %d %s", res.StatusCode, b)
	}
	a, _ = h.capOf(id, h.token("leader"), 200)
	if a.MsgType != "Update" || !strings.Contains(a.References, id+".v1,") || strings.HasSuffix(a.Identifier, ".v1") {
		t.Errorf("after a report: msgType %q identifier %q references %q", a.MsgType, a.Identifier, a.References)
	}
	h.capOf("INC-20000101-9999", h.token("operator"), 404)
	if res, _ := h.do("GET", "/api/v1/incidents/"+id+".cap", h.token("car-01"), nil); res.StatusCode != 403 {
		t.Errorf("responder: %d, want 403", res.StatusCode)
	}
}

// TestCAPExportGridAndArea: an incident located only by its grid carries
// the grid's polygon (lat,lon, closed) and code; an account limited to an
// area reads it exactly as it reads the incident itself (incidents are not
// limited by area, only cases are), and a drill is an Exercise.
func TestCAPExportGridAndArea(t *testing.T) {
	h := newHarness(t)
	inc := h.create(map[string]any{"category": "fire", "title": "网格火情", "grid": "440303002002001", "drill": true})
	id := inc["id"].(string)
	a, _ := h.capOf(id, h.token("operator"), 200)
	if a.Status != "Exercise" {
		t.Errorf("drill status %q", a.Status)
	}
	ar := a.Info[0].Area
	if len(ar) != 1 || len(ar[0].Polygon) == 0 || len(ar[0].Circle) != 0 || len(ar[0].Geocode) != 1 || ar[0].Geocode[0].Value != "440303002002001" {
		t.Fatalf("area %+v", ar)
	}
	for _, p := range ar[0].Polygon {
		pts := strings.Fields(p)
		if len(pts) < 4 || pts[0] != pts[len(pts)-1] {
			t.Errorf("polygon not closed: %q", p)
		}
		for _, pt := range pts {
			if lat, _, _ := strings.Cut(pt, ","); !strings.HasPrefix(lat, "22.") {
				t.Errorf("point %q is not lat,lon", pt)
			}
		}
	}
	for _, user := range []string{"hubei-operator", "dongmen-operator"} {
		get, _ := h.do("GET", "/api/v1/incidents/"+id, h.token(user), nil)
		capRes, _ := h.do("GET", "/api/v1/incidents/"+id+".cap", h.token(user), nil)
		if get.StatusCode != capRes.StatusCode {
			t.Errorf("%s: GET %d but .cap %d", user, get.StatusCode, capRes.StatusCode)
		}
	}
}

// Package cap renders Watchfloor's alerts as OASIS CAP 1.2 messages
// (Common Alerting Protocol, urn:oasis:names:tc:emergency:cap:1.2) for
// other systems: incidents and warnings (预警).
//
// The package has two halves. A Message is what a CAP alert is made of,
// independent of what it reports; Render turns one into the XML, elements
// in the order the CAP 1.2 schema gives. FromIncident fills a Message from
// an incident, FromWarning from a warning: its colour level mapped to
// severity (red Extreme, orange Severe, yellow Moderate, blue Minor),
// urgency Expected (Immediate when sent once it started, Past once ended),
// certainty Likely, Effective/Expires from its validity period, category
// Met for weather and water and Safety for gatherings, msgType Update on a
// raise, lower or extension (referencing every earlier version) and Cancel
// when it is lifted, and its area's polygons
// (lon,lat rings, as the map keeps them) in Areas: Render converts them to
// CAP's lat,lon order and closes every ring.
package cap

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Namespace is the XML namespace of CAP 1.2.
const Namespace = "urn:oasis:names:tc:emergency:cap:1.2"

// ContentType is the media type of a CAP document (RFC 6838 registration by OASIS).
const ContentType = "application/cap+xml; charset=utf-8"

// Text is a text in Chinese and in English.
type Text struct{ ZH, EN string }

// Circle is a point and a radius, in degrees of longitude and latitude (WGS-84) and kilometres.
type Circle struct {
	Lon, Lat, RadiusKM float64
}

// Area is one area of a message: its description, and either polygons
// (rings of [lon, lat] points, as GeoJSON keeps them) or circles, with the
// grid codes it covers.
type Area struct {
	Desc     Text
	Polygons [][][2]float64
	Circles  []Circle
	// Geocodes are value name → value pairs, in order.
	Geocodes [][2]string
}

// Message is what an alert is made of, whatever it reports.
type Message struct {
	// Sender identifies the deployment (CAP sender: no spaces, commas or '<').
	Sender string
	// ID and Version make the identifier; Version 1 is the first alert,
	// a later one is an Update that references the first.
	ID      string
	Version int64
	// Sent is when this version was made; FirstSent when version 1 was.
	Sent, FirstSent time.Time
	// Earlier are when versions 1 … Version-1 were made, each referenced
	// by an Update or Cancel (empty: the first alone, sent at FirstSent).
	Earlier  []time.Time
	Location *time.Location
	Drill    bool
	// Cancel makes the message a Cancel of the first (a warning lifted;
	// an incident has no state that withdraws it).
	Cancel bool
	// Category is the CAP category (Safety, Security, Fire, …).
	Category                     string
	ResponseType                 string // optional
	Urgency, Severity, Certainty string
	Event, Headline, Description Text
	SenderName                   Text
	Web                          string // optional
	// EventCode is the Watchfloor category id (a warning's type), under
	// the value name EventCodeName ("" is watchfloor:category); Level its
	// response level.
	EventCode, EventCodeName, Level string
	// Parameters are further value name → value pairs, after the level.
	Parameters [][2]string
	// Effective and Expires bound when the message applies (zero: left out).
	Effective, Expires time.Time
	Areas              []Area
}

// alert is the XML of a CAP 1.2 alert (CAP 1.2 §3.2.1), fields in schema order.
type alert struct {
	XMLName     xml.Name `xml:"urn:oasis:names:tc:emergency:cap:1.2 alert"`
	Identifier  string   `xml:"identifier"`
	Sender      string   `xml:"sender"`
	Sent        string   `xml:"sent"`
	Status      string   `xml:"status"`
	MsgType     string   `xml:"msgType"`
	Scope       string   `xml:"scope"`
	Restriction string   `xml:"restriction,omitempty"`
	Note        string   `xml:"note,omitempty"`
	References  string   `xml:"references,omitempty"`
	Incidents   string   `xml:"incidents,omitempty"`
	Info        []info   `xml:"info"`
}

// info is one language's block (CAP 1.2 §3.2.2), fields in schema order.
type info struct {
	Language     string      `xml:"language"`
	Category     []string    `xml:"category"`
	Event        string      `xml:"event"`
	ResponseType []string    `xml:"responseType,omitempty"`
	Urgency      string      `xml:"urgency"`
	Severity     string      `xml:"severity"`
	Certainty    string      `xml:"certainty"`
	EventCode    []valuePair `xml:"eventCode,omitempty"`
	Effective    string      `xml:"effective,omitempty"`
	Expires      string      `xml:"expires,omitempty"`
	SenderName   string      `xml:"senderName,omitempty"`
	Headline     string      `xml:"headline,omitempty"`
	Description  string      `xml:"description,omitempty"`
	Web          string      `xml:"web,omitempty"`
	Parameter    []valuePair `xml:"parameter,omitempty"`
	Area         []area      `xml:"area,omitempty"`
}

// valuePair is CAP's valueName/value pair.
type valuePair struct {
	ValueName string `xml:"valueName"`
	Value     string `xml:"value"`
}

// area is one area block (CAP 1.2 §3.2.4), fields in schema order.
type area struct {
	AreaDesc string      `xml:"areaDesc"`
	Polygon  []string    `xml:"polygon,omitempty"`
	Circle   []string    `xml:"circle,omitempty"`
	Geocode  []valuePair `xml:"geocode,omitempty"`
}

// Restriction is the scope's restriction text: incidents are the command
// centre's working picture, with unverified first reports, for the bodies
// it shares them with, not a public warning.
const Restriction = "仅限应急指挥机构内部使用 For emergency command bodies only; not for public dissemination"

// Identifier is the CAP identifier of version v of the alert id of sender.
func Identifier(sender, id string, v int64) string {
	return fmt.Sprintf("%s.%s.v%d", sender, id, v)
}

// Time writes t as CAP's dateTime (CAP 1.2 §3.3.2): seconds, no
// fraction, an explicit offset in loc, and -00:00 for UTC, never "Z".
func Time(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc).Truncate(time.Second)
	s := t.Format("2006-01-02T15:04:05-07:00")
	if strings.HasSuffix(s, "+00:00") {
		s = strings.TrimSuffix(s, "+00:00") + "-00:00"
	}
	return s
}

// Render writes m as a CAP 1.2 alert with an XML declaration.
func Render(m *Message) ([]byte, error) {
	a := alert{
		Identifier: Identifier(m.Sender, m.ID, m.Version),
		Sender:     m.Sender, Sent: Time(m.Sent, m.Location),
		Status: "Actual", MsgType: "Alert", Scope: "Restricted", Restriction: Restriction,
		Incidents: m.ID,
	}
	if m.Drill {
		a.Status, a.Note = "Exercise", "演练 Drill"
	}
	if m.Version > 1 || m.Cancel {
		a.MsgType = "Update"
		a.References = m.references()
	}
	if m.Cancel {
		a.MsgType = "Cancel"
	}
	for _, lang := range []string{"zh-CN", "en-US"} {
		a.Info = append(a.Info, m.info(lang))
	}
	out, err := xml.MarshalIndent(a, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("rendering CAP alert %s: %w", m.ID, err)
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}

// references are the earlier versions an Update or Cancel refers to,
// "sender,identifier,sent" each, separated by spaces (CAP 1.2 §3.2.1).
func (m *Message) references() string {
	if len(m.Earlier) == 0 {
		return m.Sender + "," + Identifier(m.Sender, m.ID, 1) + "," + Time(m.FirstSent, m.Location)
	}
	refs := make([]string, len(m.Earlier))
	for i, at := range m.Earlier {
		refs[i] = m.Sender + "," + Identifier(m.Sender, m.ID, int64(i+1)) + "," + Time(at, m.Location)
	}
	return strings.Join(refs, " ")
}

// info is m's block in lang (zh-CN or en-US).
func (m *Message) info(lang string) info {
	pick := func(t Text) string {
		if lang == "zh-CN" || t.EN == "" {
			return t.ZH
		}
		return t.EN
	}
	in := info{Language: lang, Category: []string{m.Category}, Event: pick(m.Event),
		Urgency: m.Urgency, Severity: m.Severity, Certainty: m.Certainty,
		SenderName: pick(m.SenderName), Headline: pick(m.Headline), Description: pick(m.Description), Web: m.Web}
	if m.ResponseType != "" {
		in.ResponseType = []string{m.ResponseType}
	}
	if m.EventCode != "" {
		in.EventCode = []valuePair{{or(m.EventCodeName, "watchfloor:category"), m.EventCode}}
	}
	if !m.Effective.IsZero() {
		in.Effective = Time(m.Effective, m.Location)
	}
	if !m.Expires.IsZero() {
		in.Expires = Time(m.Expires, m.Location)
	}
	if m.Level != "" {
		in.Parameter = []valuePair{{"watchfloor:level", m.Level}}
	}
	for _, p := range m.Parameters {
		in.Parameter = append(in.Parameter, valuePair{p[0], p[1]})
	}
	for _, ar := range m.Areas {
		x := area{AreaDesc: pick(ar.Desc)}
		for _, ring := range ar.Polygons {
			if p := Polygon(ring); p != "" {
				x.Polygon = append(x.Polygon, p)
			}
		}
		for _, c := range ar.Circles {
			x.Circle = append(x.Circle, coord(c.Lat)+","+coord(c.Lon)+" "+coord(c.RadiusKM))
		}
		for _, g := range ar.Geocodes {
			x.Geocode = append(x.Geocode, valuePair{g[0], g[1]})
		}
		in.Area = append(in.Area, x)
	}
	return in
}

// Polygon writes a ring of [lon, lat] points as CAP's polygon: "lat,lon"
// pairs separated by spaces, closed (first = last), at least four pairs;
// "" for a ring of fewer than three distinct points.
func Polygon(ring [][2]float64) string {
	if len(ring) > 1 && ring[0] == ring[len(ring)-1] {
		ring = ring[:len(ring)-1]
	}
	if len(ring) < 3 {
		return ""
	}
	parts := make([]string, 0, len(ring)+1)
	for _, p := range ring {
		parts = append(parts, coord(p[1])+","+coord(p[0]))
	}
	return strings.Join(append(parts, parts[0]), " ")
}

// coord writes a coordinate or radius with at most 6 decimals (about 0.1 m).
func coord(v float64) string {
	return strconv.FormatFloat(float64(int64(v*1e6+sign(v)*0.5))/1e6, 'f', -1, 64)
}

func sign(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}

package incident

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"watchfloor/alerts"
	"watchfloor/command/fault"
	"watchfloor/geo"
)

// Input is a report as sent: the first report, a follow-up, or a request
// to classify. Every field is optional at this stage so that follow-ups can
// carry any of them; Check enforces what a first report needs.
type Input struct {
	Category       *string   `json:"category"`
	Title          *string   `json:"title"`
	Description    *string   `json:"description"`
	Location       *Location `json:"location"`
	Address        *string   `json:"address"`
	Grid           *string   `json:"grid"`
	OccurredAt     *string   `json:"occurred_at"`
	Source         *string   `json:"source"`
	Reporter       *Reporter `json:"reporter"`
	PeopleInvolved *int64    `json:"people_involved"`
	Deaths         *int64    `json:"deaths"`
	Injuries       *int64    `json:"injuries"`
	DirectLossYuan *float64  `json:"direct_loss_yuan"`
	MeasuresTaken  *string   `json:"measures_taken"`
	SupportNeeded  *string   `json:"support_needed"`
	Verified       *bool     `json:"verified"`
	Drill          *bool     `json:"drill"`

	occurredAt time.Time
}

// Limits on text a report may carry.
const (
	maxTitle    = 200
	maxText     = 4000
	maxName     = 64
	maxPhone    = 32
	maxCount    = 10_000_000
	maxLossYuan = 1e15
)

// DecodeJSON strictly decodes a JSON object into v: unknown fields, wrong
// types, trailing data and malformed JSON are field errors.
func DecodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fault.Field("", "unexpected data after the JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fault.Field("", "malformed JSON at byte %d: %v", syn.Offset, err)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return fault.Field("", "the body must be a JSON object")
		}
		return fault.Field(field, "must be %s, not %s", kindName(typ.Type.Kind().String()), typ.Value)
	case errors.Is(err, io.EOF):
		return fault.Field("", "the body is empty: a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fault.Field("", "malformed JSON: the body ends too early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return fault.Field(name, "unknown field")
	}
	return fault.Field("", "malformed JSON: %v", err)
}

func kindName(k string) string {
	switch k {
	case "int64", "int", "float64", "uint64":
		return "a number of the right kind (" + k + ")"
	case "ptr", "struct":
		return "an object"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	}
	return "a " + k
}

// Decode parses a report from a request body.
func Decode(body []byte) (*Input, error) {
	var in Input
	if err := DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	return &in, nil
}

// check validates the fields present; first says whether this is a first
// report (category, title and a place are then required).
func (in *Input) check(first bool, now time.Time, grader *alerts.Grader, m *geo.Map) error {
	bad := &fault.Invalid{}
	if in.Category == nil || *in.Category == "" {
		if first {
			bad.Add("category", "required")
		}
	} else if !grader.Known(*in.Category) {
		bad.Add("category", "unknown category %q", *in.Category)
	}
	if in.Title == nil || strings.TrimSpace(*in.Title) == "" {
		if first || in.Title != nil {
			bad.Add("title", "required")
		}
	}
	text := func(field string, v *string, max int) {
		if v != nil && (utf8.RuneCountInString(*v) > max || !utf8.ValidString(*v)) {
			bad.Add(field, "at most %d characters of valid UTF-8", max)
		}
	}
	text("title", in.Title, maxTitle)
	text("description", in.Description, maxText)
	text("address", in.Address, maxTitle)
	text("measures_taken", in.MeasuresTaken, maxText)
	text("support_needed", in.SupportNeeded, maxText)
	if in.Location != nil {
		l := in.Location
		if math.IsNaN(l.Lon) || l.Lon < -180 || l.Lon > 180 {
			bad.Add("location.lon", "must be a longitude between -180 and 180")
		}
		if math.IsNaN(l.Lat) || l.Lat < -90 || l.Lat > 90 {
			bad.Add("location.lat", "must be a latitude between -90 and 90")
		}
	}
	if in.Grid != nil && m.Area(*in.Grid) == nil {
		bad.Add("grid", "unknown grid code %q", *in.Grid)
	}
	if first && in.Location == nil && (in.Grid == nil || *in.Grid == "") {
		bad.Add("location", "required: give location {lon, lat}, or address with a grid code")
	}
	if in.OccurredAt != nil {
		t, err := time.Parse(time.RFC3339, *in.OccurredAt)
		switch {
		case err != nil:
			bad.Add("occurred_at", "must be an RFC 3339 time such as 2026-11-23T08:30:00Z")
		case t.After(now.Add(5 * time.Minute)):
			bad.Add("occurred_at", "is in the future")
		default:
			in.occurredAt = t.UTC()
		}
	}
	if in.Source != nil && !slices.Contains(Sources, *in.Source) {
		bad.Add("source", "must be one of %s", strings.Join(Sources, ", "))
	}
	if in.Reporter != nil {
		text("reporter.name", &in.Reporter.Name, maxName)
		text("reporter.phone", &in.Reporter.Phone, maxPhone)
	}
	count := func(field string, v *int64) {
		if v != nil && (*v < 0 || *v > maxCount) {
			bad.Add(field, "must be a whole number from 0 to %d", maxCount)
		}
	}
	count("people_involved", in.PeopleInvolved)
	count("deaths", in.Deaths)
	count("injuries", in.Injuries)
	if v := in.DirectLossYuan; v != nil && (math.IsNaN(*v) || *v < 0 || *v > maxLossYuan) {
		bad.Add("direct_loss_yuan", "must be a number of yuan from 0 to %g", maxLossYuan)
	}
	if !first && in.Drill != nil {
		bad.Add("drill", "is fixed when the incident is created")
	}
	return bad.Err()
}

// apply copies the fields present onto inc.
func (in *Input) apply(inc *Incident) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&inc.Category, in.Category)
	set(&inc.Title, in.Title)
	set(&inc.Description, in.Description)
	set(&inc.Address, in.Address)
	set(&inc.Source, in.Source)
	set(&inc.MeasuresTaken, in.MeasuresTaken)
	set(&inc.SupportNeeded, in.SupportNeeded)
	if in.Location != nil {
		l := *in.Location
		inc.Location = &l
		inc.LocationApproximate = false
	}
	if !in.occurredAt.IsZero() {
		inc.OccurredAt = in.occurredAt
	}
	if in.Reporter != nil {
		r := *in.Reporter
		inc.Reporter = &r
	}
	if in.PeopleInvolved != nil {
		inc.PeopleInvolved = *in.PeopleInvolved
	}
	if in.Deaths != nil {
		inc.Deaths = *in.Deaths
	}
	if in.Injuries != nil {
		inc.Injuries = *in.Injuries
	}
	if in.DirectLossYuan != nil {
		inc.DirectLossYuan = *in.DirectLossYuan
	}
	if in.Verified != nil {
		inc.Verified = *in.Verified
	}
	if in.Drill != nil {
		inc.Drill = *in.Drill
	}
}

// changes lists the fields a follow-up carried, for the timeline and the
// audit trail, which viewers see: a reporter's name and phone are masked
// there (the incident itself keeps them for those who may see them).
func (in *Input) changes() map[string]any {
	c := *in
	if c.Reporter != nil {
		c.Reporter = &Reporter{Name: MaskName(c.Reporter.Name), Phone: MaskPhone(c.Reporter.Phone)}
	}
	b, _ := json.Marshal(&c)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for k, v := range m {
		if v == nil {
			delete(m, k)
		}
	}
	return m
}

func (in *Input) String() string { return fmt.Sprintf("%+v", *in) }

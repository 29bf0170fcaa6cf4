package incident

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"watchfloor/alerts"
	"watchfloor/command/cleantext"
	"watchfloor/command/fault"
	"watchfloor/command/strictjson"
	"watchfloor/command/vocab"
	"watchfloor/geo"
)

// Input is a report as sent: the first report, a follow-up, or a request
// to classify. Every field is optional at this stage so that follow-ups can
// carry any of them; Check enforces what a first report needs.
type Input struct {
	Category       *string         `json:"category"`
	Title          *string         `json:"title"`
	Description    *string         `json:"description"`
	Location       *vocab.Location `json:"location"`
	Address        *string         `json:"address"`
	Grid           *string         `json:"grid"`
	OccurredAt     *string         `json:"occurred_at"`
	Source         *string         `json:"source"`
	Reporter       *Reporter       `json:"reporter"`
	PeopleInvolved *int64          `json:"people_involved"`
	Deaths         *int64          `json:"deaths"`
	Injuries       *int64          `json:"injuries"`
	DirectLossYuan *float64        `json:"direct_loss_yuan"`
	MeasuresTaken  *string         `json:"measures_taken"`
	SupportNeeded  *string         `json:"support_needed"`
	Verified       *bool           `json:"verified"`
	Drill          *bool           `json:"drill"`
	// CaseID links a new incident to the grid case it was raised from; it
	// is set by the server, never decoded from a body.
	CaseID string `json:"-"`

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

// Decode parses a report from a request body.
func Decode(body []byte) (*Input, error) {
	var in Input
	if err := strictjson.Decode(body, &in); err != nil {
		return nil, err
	}
	return &in, nil
}

// CleanText drops control and format characters and trims white space
// (cleantext.Clean; tabs and newlines kept in multi-line text).
func CleanText(s string, multiline bool) string { return cleantext.Clean(s, multiline) }

// CleanNote cleans a note, reason or comment; one with nothing visible
// counts as none (cleantext.Note).
func CleanNote(s string) string { return cleantext.Note(s) }

// Visible reports whether s holds a character one can see (cleantext.Visible).
func Visible(s string) bool { return cleantext.Visible(s) }

// futureTolerance is how far ahead of the server's clock a report's time
// may be (clocks differ); times before 1970 are refused.
const futureTolerance = 5 * time.Minute

// clean normalises the text fields present (see CleanText).
func (in *Input) clean() {
	for _, f := range []struct {
		v         *string
		multiline bool
	}{{in.Title, false}, {in.Description, true}, {in.Address, false}, {in.MeasuresTaken, true}, {in.SupportNeeded, true}, {in.Category, false}, {in.Source, false}, {in.Grid, false}} {
		if f.v != nil {
			*f.v = CleanText(*f.v, f.multiline)
		}
	}
	if in.Reporter != nil {
		in.Reporter.Name = CleanText(in.Reporter.Name, false)
		in.Reporter.Phone = CleanText(in.Reporter.Phone, false)
	}
}

// check validates the fields present; first says whether this is a first
// report (category, title and a place are then required).
func (in *Input) check(first bool, now time.Time, grader *alerts.Grader, m *geo.Map) error {
	bad := &fault.Invalid{}
	in.clean()
	switch {
	case (in.Category == nil || *in.Category == "") && first:
		bad.Add("category", "required")
	case in.Category == nil: // a follow-up keeps its category
	case *in.Category == "":
		bad.Add("category", "must not be blank: a configured category, or leave category out to keep it")
	case !grader.Known(*in.Category):
		bad.Add("category", "unknown category %q", *in.Category)
	}
	if in.Title == nil || !Visible(*in.Title) {
		if first || in.Title != nil {
			bad.Add("title", "required: a title with visible characters")
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
		if math.IsNaN(l.Lon) || math.IsInf(l.Lon, 0) || l.Lon < -180 || l.Lon > 180 {
			bad.Add("location.lon", "must be a longitude between -180 and 180")
		}
		if math.IsNaN(l.Lat) || math.IsInf(l.Lat, 0) || l.Lat < -90 || l.Lat > 90 {
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
		case t.Before(time.Unix(0, 0)):
			bad.Add("occurred_at", "must not be before 1970-01-01, not %s", t.UTC().Format(time.RFC3339))
		case t.After(now.Add(futureTolerance)):
			bad.Add("occurred_at", "is in the future (more than %s ahead of the server's clock)", futureTolerance)
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
	if in.CaseID != "" {
		inc.CaseID = in.CaseID
	}
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

package warning

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"watchfloor/command/change"
	"watchfloor/command/cleantext"
	"watchfloor/command/fault"
	"watchfloor/command/vocab"
	"watchfloor/config"
	"watchfloor/geo"
)

// Kind is the kind of a warning's document (warning:{id} in Redis).
const Kind = "warning"

// ExpiryKind is the kind of the timer that expires a warning at its end:
// id is the warning's id.
const ExpiryKind = "warning.expiry"

// Ended is the list filter of warnings lifted or expired.
const Ended = "ended"

// Bounds of a warning's period and text.
const (
	MaxPeriod   = 30 * 24 * time.Hour
	MaxAhead    = 7 * 24 * time.Hour
	MaxBehind   = 24 * time.Hour
	MaxTitle    = 200
	MaxText     = 4000
	MaxSource   = 200
	MaxReason   = 1000
	DefaultList = 100
	MaxList     = 500
)

// Store keeps warnings.
type Store interface {
	// NextID returns the next warning number of a local day.
	NextID(ctx context.Context, day string) (int64, error)
	// Load returns a warning (a not-found error when there is none).
	Load(ctx context.Context, id string) (*Warning, error)
	// List returns the warnings q asks for, newest issued first.
	List(ctx context.Context, q Query) ([]*Warning, error)
	// Replayed returns what a change stored under the idempotency key
	// ("" when none, or it has expired).
	Replayed(ctx context.Context, key string) (string, error)
	Apply(ctx context.Context, c *change.Change) (change.Result, error)
}

// Query asks for warnings: Status Active, Ended or "" (all), issued in
// [From, To] when set, at most Limit.
type Query struct {
	Status   string
	From, To time.Time
	Limit    int
}

// Who is who acts: an account and the area it is limited to ("" for all).
type Who struct {
	Username string
	Role     vocab.Role
	Area     string
}

// Options are what the service needs of the configuration.
type Options struct {
	// Plans are the preset plans, with the warnings that put them on stand-by.
	Plans []config.Plan
	// Members lists the units in service of the teams a group names.
	Members func(teams []string) []string
	// Location is the deployment's time zone: ids are numbered by its day.
	Location *time.Location
	// Index, when set, learns every change this instance stores at once.
	Index *Index
}

// Service issues and changes warnings.
type Service struct {
	store Store
	geo   *geo.Map
	opts  Options
	now   func() time.Time
}

// NewService returns the warnings of st on the map m.
func NewService(st Store, m *geo.Map, opts Options, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	return &Service{store: st, geo: m, opts: opts, now: now}
}

// Get returns a warning.
func (s *Service) Get(ctx context.Context, id string) (*Warning, error) {
	return s.store.Load(ctx, id)
}

// List returns the warnings q asks for, newest first.
func (s *Service) List(ctx context.Context, q Query) ([]*Warning, error) {
	if q.Limit <= 0 || q.Limit > MaxList {
		q.Limit = DefaultList
	}
	return s.store.List(ctx, q)
}

// Input is a warning to issue.
type Input struct {
	Type     string     `json:"type"`
	Colour   Colour     `json:"colour"`
	Title    string     `json:"title"`
	Text     string     `json:"text"`
	Area     *AreaInput `json:"area"`
	StartsAt string     `json:"starts_at"`
	EndsAt   string     `json:"ends_at"`
	Source   string     `json:"source"`
	Drill    bool       `json:"drill"`
	Reason   string     `json:"reason"`
}

// Issue checks in and issues the warning: stored with its stand-by, its
// expiry timer, its events and audit record in one change. A repeat of an
// Idempotency-Key returns the first warning (replayed true), looked up
// before in is checked.
func (s *Service) Issue(ctx context.Context, who Who, in *Input, idem *vocab.Idempotency) (*Warning, bool, error) {
	if idem != nil {
		dup, err := s.store.Replayed(ctx, idem.Key)
		if err != nil {
			return nil, false, fmt.Errorf("read an idempotency key: %w", err)
		}
		if dup != "" { // the first answer, even once its times have passed
			return s.replay(ctx, dup, idem)
		}
	}
	now := s.now().UTC()
	w, err := s.check(in, now)
	if err != nil {
		return nil, false, err
	}
	if err := s.mayAct(who, w.Area); err != nil {
		return nil, false, err
	}
	day := now.In(s.opts.Location).Format("20060102")
	n, err := s.store.NextID(ctx, day)
	if err != nil {
		return nil, false, fmt.Errorf("number a warning of %s: %w", day, err)
	}
	w.ID = fmt.Sprintf("W-%s-%04d", day, n)
	w.Status, w.IssuedAt, w.IssuedBy, w.IssuedRole, w.UpdatedAt, w.Version = Active, now, who.Username, who.Role, now, 1
	w.StandBy = s.standBy(w.Type, w.Colour, nil, now)
	w.History = []Step{{At: now, Action: StepIssued, By: who.Username, Role: who.Role, To: string(w.Colour), Reason: in.Reason}}
	wr := &write{w: w, event: vocab.WarningIssued, expiry: &w.EndsAt, idem: idem}
	switch dup, err := s.save(ctx, wr); {
	case err != nil:
		return nil, false, err
	case dup != "":
		return s.replay(ctx, dup, idem)
	}
	return w, false, nil
}

// replay answers a repeated Idempotency-Key with the warning the first
// request issued (dup is "id|fingerprint"), or refuses a key reused for
// another body.
func (s *Service) replay(ctx context.Context, dup string, idem *vocab.Idempotency) (*Warning, bool, error) {
	id, err := change.FirstOf(dup, idem)
	if err != nil {
		return nil, false, err
	}
	first, err := s.store.Load(ctx, id)
	return first, true, err
}

// check cleans in's text and validates it, naming every bad field, and
// returns the warning it describes (area names filled).
func (s *Service) check(in *Input, now time.Time) (*Warning, error) {
	bad := &fault.Invalid{}
	if !slices.Contains(Types(), in.Type) {
		bad.Add("type", "unknown warning type %q: one of %s", in.Type, strings.Join(Types(), ", "))
	}
	if !in.Colour.Valid() {
		bad.Add("colour", "unknown colour %q: one of blue, yellow, orange, red", in.Colour)
	}
	in.Title = cleanText(bad, "title", in.Title, MaxTitle, true, false)
	in.Text = cleanText(bad, "text", in.Text, MaxText, false, true)
	in.Source = cleanText(bad, "source", in.Source, MaxSource, false, false)
	in.Reason = cleanText(bad, "reason", in.Reason, MaxReason, false, true)
	area := s.checkArea(bad, in.Area)
	starts, ends := s.checkPeriod(bad, in.StartsAt, in.EndsAt, now)
	if err := bad.Err(); err != nil {
		return nil, err
	}
	return &Warning{Type: in.Type, Colour: in.Colour, Title: in.Title, Text: in.Text,
		Area: area, StartsAt: starts, EndsAt: ends, Drill: in.Drill, Source: in.Source}, nil
}

// checkPeriod checks the validity period: starts_at (default now) at most
// MaxAhead ahead and MaxBehind behind, ends_at after it, in the future and
// within MaxPeriod of it.
func (s *Service) checkPeriod(bad *fault.Invalid, startsAt, endsAt string, now time.Time) (time.Time, time.Time) {
	starts, ends := now, time.Time{}
	startsOK := true
	if startsAt != "" {
		t, err := time.Parse(time.RFC3339, startsAt)
		switch {
		case err != nil:
			bad.Add("starts_at", "must be an RFC 3339 time")
			startsOK = false
		case t.After(now.Add(MaxAhead)):
			bad.Add("starts_at", "at most 7 days ahead")
		case t.Before(now.Add(-MaxBehind)):
			bad.Add("starts_at", "at most 1 day in the past")
		}
		starts = t.UTC()
	}
	if endsAt == "" {
		bad.Add("ends_at", "required: an RFC 3339 time")
		return starts, ends
	}
	t, err := time.Parse(time.RFC3339, endsAt)
	if err != nil {
		bad.Add("ends_at", "must be an RFC 3339 time")
		return starts, ends
	}
	ends = t.UTC()
	switch {
	case startsOK && !ends.After(starts):
		bad.Add("ends_at", "must be after starts_at")
	case !ends.After(now):
		bad.Add("ends_at", "must be in the future")
	case startsOK && ends.Sub(starts) > MaxPeriod:
		bad.Add("ends_at", "at most 30 days after starts_at")
	}
	return starts, ends
}

// checkArea checks the area of a request and returns it with its names.
func (s *Service) checkArea(bad *fault.Invalid, in *AreaInput) Area {
	if in == nil {
		bad.Add("area", "required: {kind, codes or polygon}")
		return Area{}
	}
	a := Area{Kind: in.Kind}
	switch in.Kind {
	case AreaCity:
		if len(in.Codes) > 0 || len(in.Polygon) > 0 {
			bad.Add("area", "a city-wide warning takes no codes and no polygon")
		}
	case AreaStreets, AreaCommunities:
		if len(in.Polygon) > 0 {
			bad.Add("area.polygon", "only for kind polygon")
		}
		a.Codes = s.checkCodes(bad, in.Kind, in.Codes)
	case AreaPolygon:
		if len(in.Codes) > 0 {
			bad.Add("area.codes", "only for kind streets or communities")
		}
		p, why := ParsePolygon(in.Polygon, s.geo.Bound())
		if len(why) > 0 {
			bad.Add("area.polygon", "%s", strings.Join(why, "; "))
		}
		a.Polygon = p
	default:
		bad.Add("area.kind", "unknown area kind %q: one of city, streets, communities, polygon", in.Kind)
		return a
	}
	a.Names = s.names(a)
	return a
}

// checkCodes checks the grid codes of a streets or communities area: known,
// of that level, no duplicates, at most MaxCodes.
func (s *Service) checkCodes(bad *fault.Invalid, kind string, codes []string) []string {
	level := map[string]geo.GridLevel{AreaStreets: geo.Street, AreaCommunities: geo.Community}[kind]
	switch {
	case len(codes) == 0:
		bad.Add("area.codes", "required: at least one %s grid code", level)
		return nil
	case len(codes) > MaxCodes:
		bad.Add("area.codes", "at most %d codes, not %d", MaxCodes, len(codes))
		return nil
	}
	var why []string
	for i, c := range codes {
		g := s.geo.Area(c)
		switch {
		case g == nil:
			why = append(why, fmt.Sprintf("%q is not a grid code of the city", c))
		case g.Level != level:
			why = append(why, fmt.Sprintf("%q is a %s, not a %s", c, g.Level, level))
		case slices.Contains(codes[:i], c):
			why = append(why, fmt.Sprintf("%q is named twice", c))
		}
	}
	if len(why) > 0 {
		bad.Add("area.codes", "%s", strings.Join(why, "; "))
	}
	return codes
}

// names are the named areas a covers: its grids, the city's districts, or
// the streets a polygon touches.
func (s *Service) names(a Area) []Name {
	var out []Name
	add := func(g *geo.Area) { out = append(out, Name{Code: g.Code, Name: g.Name, NameEN: g.NameEN}) }
	switch a.Kind {
	case AreaCity:
		for _, g := range s.geo.Grids() {
			if g.Level == geo.District {
				add(g)
			}
		}
	case AreaPolygon:
		if len(a.Polygon) == 0 {
			return nil
		}
		sh := toPolygon(a.Polygon)
		for _, g := range s.geo.Grids() {
			if g.Level == geo.Street && g.Overlaps(sh) {
				add(g)
			}
		}
	default:
		for _, c := range a.Codes {
			if g := s.geo.Area(c); g != nil {
				add(g)
			}
		}
	}
	return out
}

// cleanText cleans a free-text field as incidents' are (control and format
// characters dropped, newlines and tabs kept in multi-line text; one with
// nothing visible counts as none) and checks it: something visible when
// required, at most max characters.
func cleanText(bad *fault.Invalid, field, v string, max int, required, multiline bool) string {
	if v = cleantext.Clean(v, multiline); !cleantext.Visible(v) {
		v = ""
	}
	switch {
	case required && v == "":
		bad.Add(field, "required: something visible, at most %d characters", max)
	case len([]rune(v)) > max:
		bad.Add(field, "at most %d characters", max)
	}
	return v
}

// mayAct refuses an account limited to an area a warning for an area
// beyond it.
func (s *Service) mayAct(who Who, a Area) error {
	if who.Area == "" || s.inside(who.Area, a) {
		return nil
	}
	return &fault.Forbidden{Detail: fmt.Sprintf("the warning's area lies beyond your area %s", who.Area)}
}

// inside reports whether area a lies inside the grid code (a polygon's
// corners and edges).
func (s *Service) inside(code string, a Area) bool {
	switch a.Kind {
	case AreaStreets, AreaCommunities:
		for _, c := range a.Codes {
			if !s.geo.Within(c, code) {
				return false
			}
		}
		return len(a.Codes) > 0
	case AreaPolygon:
		g := s.geo.Area(code)
		return g != nil && len(a.Polygon) > 0 && g.ContainsRing(a.Polygon[0])
	}
	return false
}

// Matches reports whether w is one q asks for (its status and when it was
// issued; not the limit).
func Matches(w *Warning, q Query) bool {
	switch {
	case q.Status == Active && w.Status != Active, q.Status == Ended && w.Status == Active:
		return false
	case !q.From.IsZero() && w.IssuedAt.UnixMilli() < q.From.UnixMilli():
		return false
	case !q.To.IsZero() && w.IssuedAt.UnixMilli() > q.To.UnixMilli():
		return false
	}
	return true
}

// Newest sorts warnings newest issued first (then by id, descending), as
// every store lists them.
func Newest(ws []*Warning) {
	slices.SortStableFunc(ws, func(a, b *Warning) int {
		if c := b.IssuedAt.Compare(a.IssuedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
}

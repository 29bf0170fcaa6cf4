package incident

import (
	"cmp"
	"context"
	"math"
	"slices"
	"time"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"

	"watchfloor/alerts"
	"watchfloor/command/fault"
	"watchfloor/command/vocab"
	"watchfloor/geo"
)

// Duplicate is an open incident a new call may repeat.
type Duplicate struct {
	ID        string          `json:"id"`
	Title     string          `json:"title"`
	Category  string          `json:"category"`
	Level     alerts.Level    `json:"level"`
	Status    string          `json:"status"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
	Location  *vocab.Location `json:"location"`
	Grid      *geo.GridRef    `json:"grid"`
	// DistanceM is the haversine distance from the new call, in metres.
	DistanceM float64 `json:"distance_m"`
	// AgeS is the seconds since its creation or its last follow-up report,
	// whichever is later.
	AgeS int64 `json:"age_s"`
}

// Duplicates is the answer of a duplicate search with the rule it used.
type Duplicates struct {
	RadiusM    float64     `json:"radius_m"`
	WindowS    int64       `json:"window_s"`
	Duplicates []Duplicate `json:"duplicates"`
}

// Near is where a new call is: a point, or a grid whose centre stands for it.
type Near struct {
	Category string
	Location *vocab.Location
	Grid     string
}

// Searchable reports whether a search near a point can find an incident at
// (lon, lat): Redis's geo sets hold no latitude beyond 85.05°.
func Searchable(lon, lat float64) bool {
	return lon >= -180 && lon <= 180 && lat >= -85.05112878 && lat <= 85.05112878
}

// Duplicates returns the incidents not closed, of the call's category,
// within the configured distance of it and created or last reported within
// the configured window, nearest first.
func (s *Service) Duplicates(ctx context.Context, q Near) (*Duplicates, error) {
	bad := &fault.Invalid{}
	if q.Category == "" {
		bad.Add("category", "required: the category of the new call")
	} else if !s.grader.Known(q.Category) {
		bad.Add("category", "unknown category %q", q.Category)
	}
	var p orb.Point
	switch {
	case q.Location != nil:
		l := q.Location
		if math.IsNaN(l.Lon) || math.IsInf(l.Lon, 0) || l.Lon < -180 || l.Lon > 180 {
			bad.Add("lon", "must be a longitude between -180 and 180")
		}
		if math.IsNaN(l.Lat) || math.IsInf(l.Lat, 0) || l.Lat < -90 || l.Lat > 90 {
			bad.Add("lat", "must be a latitude between -90 and 90")
		}
		p = orb.Point{l.Lon, l.Lat}
	case q.Grid != "":
		a := s.geo.Area(q.Grid)
		if a == nil {
			bad.Add("grid", "unknown grid code %q", q.Grid)
			break
		}
		p = a.Centroid()
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	rule := s.opts.Duplicates
	out := &Duplicates{RadiusM: rule.RadiusM, WindowS: int64(rule.Window / time.Second), Duplicates: []Duplicate{}}
	now := s.now().UTC()
	// Only those within the radius are read, however many are open.
	list, err := s.store.Near(ctx, q.Category, p, rule.RadiusM)
	if err != nil {
		return nil, err
	}
	for _, inc := range list { // not closed, of the category, within the radius
		last := inc.CreatedAt
		if inc.ReportedAt != nil && inc.ReportedAt.After(last) {
			last = *inc.ReportedAt
		}
		age := now.Sub(last)
		if age > rule.Window {
			continue
		}
		d := orbgeo.DistanceHaversine(p, orb.Point{inc.Location.Lon, inc.Location.Lat})
		out.Duplicates = append(out.Duplicates, Duplicate{ID: inc.ID, Title: inc.Title, Category: inc.Category, Level: inc.Level,
			Status: inc.Status, CreatedAt: inc.CreatedAt, UpdatedAt: inc.UpdatedAt, Location: inc.Location, Grid: inc.Grid,
			DistanceM: math.Round(d*10) / 10, AgeS: int64(max(age, 0) / time.Second)})
	}
	slices.SortFunc(out.Duplicates, func(a, b Duplicate) int {
		return cmp.Or(cmp.Compare(a.DistanceM, b.DistanceM), cmp.Compare(a.AgeS, b.AgeS), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

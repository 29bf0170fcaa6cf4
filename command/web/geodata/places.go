// Package geodata serves the map's data: the base-map archive, the grids
// and zones, and the gazetteer's places.
package geodata

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/paulmach/orb"

	"watchfloor/command/fault"
	"watchfloor/command/web/rest"
	"watchfloor/geo"
)

// placeOut is a gazetteer match as the console shows it: the place, where
// it is, and the grid and zones it lies in.
type placeOut struct {
	geo.Place
	Location struct {
		Lon float64 `json:"lon"`
		Lat float64 `json:"lat"`
	} `json:"location"`
	Grid  *geo.GridRef  `json:"grid"`
	Zones []geo.ZoneRef `json:"zones"`
}

// searchPlaces serves GET /api/v1/places?q=&limit=: the gazetteer searched
// by prefix and substring of name, address and code.
func (a *handlers) searchPlaces(c *fiber.Ctx) error {
	bad := &fault.Invalid{}
	q := strings.TrimSpace(c.Query("q"))
	switch {
	case q == "":
		bad.Add("q", "missing: the text to search for")
	case !utf8.ValidString(q):
		bad.Add("q", "must be UTF-8 text")
	case strings.ContainsFunc(q, unicode.IsControl):
		bad.Add("q", "must not contain control characters")
	case utf8.RuneCountInString(q) > geo.MaxQueryRunes:
		bad.Add("q", "longer than %d characters", geo.MaxQueryRunes)
	}
	limit := rest.QueryLimit(c, bad, 10, 50)
	if err := bad.Err(); err != nil {
		return err
	}
	matches := a.Places.Search(q, limit)
	out := make([]placeOut, len(matches))
	for i, m := range matches {
		p := &out[i]
		p.Place = m.Place
		p.Location.Lon, p.Location.Lat = m.Lon, m.Lat
		pt := orb.Point{m.Lon, m.Lat}
		p.Grid = a.Map.Locate(pt)
		p.Zones = a.Map.ZonesAt(pt)
		if p.Zones == nil {
			p.Zones = []geo.ZoneRef{}
		}
	}
	return c.JSON(fiber.Map{"places": out, "total": a.Places.Len()})
}

func (a *handlers) geojson(get func() []byte) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, "application/geo+json")
		c.Set(fiber.HeaderCacheControl, "private, max-age=300")
		return c.Send(get())
	}
}

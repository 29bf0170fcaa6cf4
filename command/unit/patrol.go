package unit

import (
	"context"
	"time"

	"github.com/paulmach/orb"
)

// GridPatrol is a grid's patrol for one day: the minutes its grid officers
// spent inside it (网格巡查) against the daily target.
type GridPatrol struct {
	Code     string         `json:"code"`
	Name     string         `json:"name"`
	Officers map[string]int `json:"officers"`
	Minutes  int            `json:"minutes"`
	Target   int            `json:"target"`
	Met      bool           `json:"met"`
}

// Minutes counts the time between consecutive fixes that both lie inside
// (by the inside test) and are at most maxGap apart: time inside the grid.
func Minutes(fixes []Fix, inside func(orb.Point) bool, maxGap time.Duration) float64 {
	var total time.Duration
	for i := 1; i < len(fixes); i++ {
		a, b := fixes[i-1], fixes[i]
		gap := b.At.Sub(a.At)
		if gap <= 0 || gap > maxGap || a.Flags&Implausible != 0 || b.Flags&Implausible != 0 {
			continue
		}
		if inside(orb.Point{a.Lon, a.Lat}) && inside(orb.Point{b.Lon, b.Lat}) {
			total += gap
		}
	}
	return total.Minutes()
}

// Patrol returns, for every grid with grid officers, their minutes inside
// it between from and to (a local day).
func (s *Service) Patrol(ctx context.Context, from, to time.Time, target int, maxGap time.Duration) ([]GridPatrol, error) {
	byGrid := map[string]*GridPatrol{}
	var order []string
	for _, id := range s.Fleet.order {
		u := s.Fleet.units[id].cfg
		if u.Type != "grid_officer" || u.HomeGrid == "" {
			continue
		}
		area := s.Fleet.geo.Area(u.HomeGrid)
		if area == nil {
			continue
		}
		fixes, err := s.store.Track(ctx, u.ID, from, to, 100000)
		if err != nil {
			return nil, err
		}
		gp := byGrid[u.HomeGrid]
		if gp == nil {
			gp = &GridPatrol{Code: area.Code, Name: area.Name, Officers: map[string]int{}, Target: target}
			byGrid[u.HomeGrid] = gp
			order = append(order, u.HomeGrid)
		}
		m := int(Minutes(fixes, area.Contains, maxGap))
		gp.Officers[u.ID] = m
		gp.Minutes += m
	}
	out := make([]GridPatrol, 0, len(order))
	for _, code := range order {
		gp := byGrid[code]
		gp.Met = gp.Minutes >= gp.Target
		out = append(out, *gp)
	}
	return out, nil
}

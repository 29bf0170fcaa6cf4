package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"

	"watchfloor/cmd/internal/apiclient"
	"watchfloor/config"
	"watchfloor/geo"
)

type simOptions struct {
	API, OsmAnd      string
	Every, Incidents time.Duration
	User, Password   string
	Seed             int64
	Log              *slog.Logger
}

// walker is one simulated unit heading for a waypoint.
type walker struct {
	unit    config.Unit
	device  string
	speed   float64 // m/s
	pos     orb.Point
	target  orb.Point
	heading float64
	battery float64
	json    bool // reports with the JSON body instead of the query string
}

type sim struct {
	opt     simOptions
	cfg     *config.Config
	m       *geo.Map
	rnd     *rand.Rand
	mu      sync.Mutex
	walkers []*walker
	http    *http.Client
	token   string
}

func newSim(cfg *config.Config, opt simOptions) (*sim, error) {
	grids, err := os.ReadFile(cfg.Path(cfg.Map.Grids))
	if err != nil {
		return nil, err
	}
	zones, err := os.ReadFile(cfg.Path(cfg.Map.Zones))
	if err != nil {
		return nil, err
	}
	m, err := geo.NewMap(grids, zones)
	if err != nil {
		return nil, err
	}
	s := &sim{opt: opt, cfg: cfg, m: m, rnd: rand.New(rand.NewPCG(uint64(opt.Seed), 7)), http: &http.Client{Timeout: 10 * time.Second}}
	for i, u := range cfg.Units {
		if len(u.Devices) == 0 {
			continue
		}
		speed := 5.0 / 3.6
		if t := cfg.UnitType(u.Type); t != nil {
			speed = t.SpeedKMH / 3.6
		}
		start := s.randomPoint()
		if a := m.Area(u.HomeGrid); a != nil {
			start = a.Centroid()
		}
		w := &walker{unit: u, device: u.Devices[0], speed: speed * (0.6 + 0.4*s.rnd.Float64()), pos: start, battery: 60 + 40*s.rnd.Float64(), json: i%2 == 1}
		w.target = s.waypoint(w)
		s.walkers = append(s.walkers, w)
	}
	return s, nil
}

// randomPoint returns a point inside some grid of the map.
func (s *sim) randomPoint() orb.Point {
	b := s.m.Bound()
	for range 1000 {
		p := orb.Point{b.Min[0] + s.rnd.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + s.rnd.Float64()*(b.Max[1]-b.Min[1])}
		if s.m.Locate(p) != nil {
			return p
		}
	}
	return b.Center()
}

// waypoint picks where a unit goes next: mostly inside its home grid's
// community (patrol follows its beat), sometimes anywhere.
func (s *sim) waypoint(w *walker) orb.Point {
	if ref := s.m.Ref(w.unit.HomeGrid); ref != nil && len(ref.Path) >= 2 && s.rnd.Float64() < 0.7 {
		beat := s.m.Area(ref.Path[len(ref.Path)-2].Code)
		for range 200 {
			b := beat.Bound
			p := orb.Point{b.Min[0] + s.rnd.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + s.rnd.Float64()*(b.Max[1]-b.Min[1])}
			if beat.Contains(p) {
				return p
			}
		}
	}
	return s.randomPoint()
}

// step moves a walker dt along a path of short legs towards its waypoint.
func (s *sim) step(w *walker, dt float64) {
	d := orbgeo.DistanceHaversine(w.pos, w.target)
	travel := w.speed * dt
	if d <= travel {
		w.pos = w.target
		w.target = s.waypoint(w)
		return
	}
	w.heading = orbgeo.Bearing(w.pos, w.target)
	// Streets are not straight lines: wander a little around the bearing.
	bearing := w.heading + (s.rnd.Float64()-0.5)*30
	next := orbgeo.PointAtBearingAndDistance(w.pos, bearing, travel)
	if s.m.Locate(next) == nil {
		next = orbgeo.PointAtBearingAndDistance(w.pos, w.heading, travel)
	}
	w.pos = next
	w.battery = math.Max(5, w.battery-0.01)
}

// Run moves and reports until ctx ends.
func (s *sim) Run(ctx context.Context) error {
	s.opt.Log.Info("simulating", "units", len(s.walkers), "api", s.opt.API, "osmand", s.opt.OsmAnd)
	var wg sync.WaitGroup
	for i, w := range s.walkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Spread the reports over the interval, as real devices are.
			offset := time.Duration(i) * s.opt.Every / time.Duration(len(s.walkers))
			select {
			case <-ctx.Done():
				return
			case <-time.After(offset):
			}
			t := time.NewTicker(s.opt.Every)
			defer t.Stop()
			last := time.Now()
			for {
				now := time.Now()
				s.mu.Lock()
				s.step(w, now.Sub(last).Seconds())
				s.mu.Unlock()
				last = now
				if err := s.report(ctx, w, now); err != nil && ctx.Err() == nil {
					s.opt.Log.Debug("report failed", "unit", w.unit.ID, "err", err)
				}
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
	if s.opt.Incidents > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.fileIncidents(ctx)
		}()
	}
	wg.Wait()
	return nil
}

// report sends one position the way the unit's device does.
func (s *sim) report(ctx context.Context, w *walker, at time.Time) error {
	speed := w.speed * (0.8 + 0.4*rand.Float64())
	var req *http.Request
	var err error
	if w.json {
		body, _ := json.Marshal(map[string]any{
			"device_id": w.device,
			"location": map[string]any{
				"timestamp": at.UTC().Format(time.RFC3339Nano),
				"coords":    map[string]any{"latitude": w.pos[1], "longitude": w.pos[0], "speed": speed, "heading": w.heading, "accuracy": 5 + 10*rand.Float64(), "altitude": 10},
				"battery":   map[string]any{"level": w.battery / 100, "is_charging": false},
			},
		})
		req, err = http.NewRequestWithContext(ctx, "POST", s.opt.OsmAnd+"/", bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
	} else {
		q := url.Values{
			"id": {w.device}, "lat": {fmt.Sprintf("%.6f", w.pos[1])}, "lon": {fmt.Sprintf("%.6f", w.pos[0])},
			"timestamp": {fmt.Sprint(at.UnixMilli())}, "speed": {fmt.Sprintf("%.1f", speed*3600/1852)},
			"bearing": {fmt.Sprintf("%.0f", math.Mod(w.heading+360, 360))}, "batt": {fmt.Sprintf("%.0f", w.battery)}, "accuracy": {"8"},
		}
		req, err = http.NewRequestWithContext(ctx, "GET", s.opt.OsmAnd+"/?"+q.Encode(), nil)
	}
	if err != nil {
		return err
	}
	res, err := s.http.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	return nil
}

var titles = map[string][]string{
	"mass_incident":     {"人员聚集讨薪", "商户聚集反映问题"},
	"public_order":      {"打架斗殴", "盗窃报警", "醉酒滋事"},
	"fire":              {"商铺起火", "电动车充电起火"},
	"crowd":             {"步行街人流密集", "促销活动人员拥挤"},
	"traffic":           {"两车相撞", "电动车与行人碰撞"},
	"civil_dispute":     {"邻里纠纷", "商铺租赁纠纷"},
	"labour_dispute":    {"工人讨薪", "拖欠工资纠纷"},
	"production_safety": {"工地高处坠落", "脚手架坍塌"},
	"food_safety":       {"餐馆疑似食物中毒"},
}

// fileIncidents files a plausible incident now and then.
func (s *sim) fileIncidents(ctx context.Context) {
	t := time.NewTicker(s.opt.Incidents)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.fileIncident(ctx); err != nil && ctx.Err() == nil {
			s.opt.Log.Warn("filing an incident failed", "err", err)
			s.token = ""
		}
	}
}

func (s *sim) fileIncident(ctx context.Context) error {
	if s.token == "" {
		if s.opt.Password == "" {
			return fmt.Errorf("set WATCHFLOOR_DEMO_PASSWORD so %s can log in", s.opt.User)
		}
		tok, err := apiclient.Login(ctx, s.http, s.opt.API, s.opt.User, s.opt.Password)
		if err != nil {
			return err
		}
		s.token = tok
	}
	cats := make([]string, 0, len(titles))
	for c := range titles {
		if s.cfg.Category(c) != nil {
			cats = append(cats, c)
		}
	}
	if len(cats) == 0 {
		return nil
	}
	s.mu.Lock()
	cat := cats[s.rnd.IntN(len(cats))]
	names := titles[cat]
	p := s.randomPoint()
	people := []int{1, 2, 5, 12, 35, 120}[s.rnd.IntN(6)]
	injuries := []int{0, 0, 0, 1, 3}[s.rnd.IntN(5)]
	s.mu.Unlock()
	body, _ := json.Marshal(map[string]any{
		"category": cat, "title": names[rand.IntN(len(names))], "description": "模拟器生成的事件(演练)",
		"location": map[string]float64{"lon": p[0], "lat": p[1]}, "source": "call",
		"reporter":        map[string]string{"name": "王小明", "phone": "13800000000"},
		"people_involved": people, "injuries": injuries, "drill": true,
	})
	return apiclient.Post(ctx, s.http, s.opt.API, "/api/v1/incidents", s.token, body, nil)
}

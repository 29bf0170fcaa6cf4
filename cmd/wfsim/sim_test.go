package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"

	"watchfloor/command/osmand"
	"watchfloor/config"
)

func TestSimulatorReportsPlausiblePositions(t *testing.T) {
	cfg, err := config.Load("../../config/sample/watchfloor.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	last := map[string]osmand.Report{}
	forms := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rep, err := osmand.Decode([]byte(r.URL.RawQuery), body, r.Header.Get("Content-Type"))
		if err != nil || !rep.HasPosition {
			t.Errorf("undecodable report: %v %q %s", err, r.URL.RawQuery, body)
			w.WriteHeader(400)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("Content-Type") == "application/json" {
			forms["json"]++
		} else {
			forms["query"]++
		}
		if prev, ok := last[rep.DeviceID]; ok {
			d := orbgeo.DistanceHaversine(orb.Point{prev.Lon, prev.Lat}, orb.Point{rep.Lon, rep.Lat})
			if dt := rep.Time.Sub(prev.Time).Seconds(); dt > 0 && d/dt > 250/3.6 {
				t.Errorf("%s jumped %.0f m in %.1f s", rep.DeviceID, d, dt)
			}
		}
		last[rep.DeviceID] = rep
	}))
	defer srv.Close()
	s, err := newSim(cfg, simOptions{API: srv.URL, OsmAnd: srv.URL, Every: 300 * time.Millisecond, Seed: 1, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(last) != len(cfg.Units) || forms["json"] == 0 || forms["query"] == 0 {
		t.Fatalf("%d of %d units reported; forms %v", len(last), len(cfg.Units), forms)
	}
	for dev, r := range last {
		if s.m.Locate(orb.Point{r.Lon, r.Lat}) == nil {
			t.Errorf("%s left the map: %v,%v", dev, r.Lon, r.Lat)
		}
	}
	// Walking many steps keeps every unit on the map.
	for range 2000 {
		for _, w := range s.walkers {
			s.step(w, 3)
			if s.m.Locate(w.pos) == nil {
				t.Fatalf("%s walked off the map to %v", w.unit.ID, w.pos)
			}
		}
	}
}

package main

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// TestBatchBodyPositions: a batch body is the JSON the batch API takes,
// with each position's unit, place and time as wfload always sent them
// (unit n % units at its spot for lap n / units, 1 µs apart), across a
// second's end and in a reused buffer.
func TestBatchBodyPositions(t *testing.T) {
	l := &load{o: options{Units: 10000}}
	now := time.Date(2026, 12, 5, 5, 59, 59, 999_998_500, time.UTC)
	ns := []int{0, 1, 9999, 10000, 123456}
	buf := l.batchBody([]byte("old bytes"), ns, now)[len("old bytes"):]
	var body struct {
		Positions []struct {
			UnitID string    `json:"unit_id"`
			Lon    float64   `json:"lon"`
			Lat    float64   `json:"lat"`
			At     time.Time `json:"at"`
			Speed  float64   `json:"speed_mps"`
		}
	}
	if err := json.Unmarshal(buf, &body); err != nil || len(body.Positions) != len(ns) {
		t.Fatalf("%s: %v", buf, err)
	}
	for i, n := range ns {
		p := body.Positions[i]
		u := n % 10000
		lon, lat := spot(u, n/10000)
		at := now.Add(time.Duration(i) * time.Microsecond)
		if p.UnitID != fmt.Sprintf("load-%05d", u+1) || fmt.Sprintf("%.6f", p.Lon) != fmt.Sprintf("%.6f", lon) ||
			fmt.Sprintf("%.6f", p.Lat) != fmt.Sprintf("%.6f", lat) || !p.At.Equal(at) || p.Speed != 8 {
			t.Fatalf("position %d: %+v, want load-%05d %.6f %.6f %v", i, p, u+1, lon, lat, at)
		}
	}
}

// TestOsmAndURL: an OsmAnd request is the very URL wfload always sent
// (fmt.Sprintf of it), more than 99,999 units too.
func TestOsmAndURL(t *testing.T) {
	now := time.Now()
	for _, units := range []int{10000, 200000} {
		l := &load{o: options{Units: units}}
		for _, n := range []int{0, 1, 9999, 10000, 123456, 199999} {
			u := n % units
			lon, lat := spot(u, n/units)
			want := fmt.Sprintf("%s/?id=L%05d&lat=%.6f&lon=%.6f&timestamp=%d&speed=10", "http://h:1", u+1, lat, lon, now.UnixMilli())
			if got := l.osmandURL("http://h:1", n, now); got != want {
				t.Fatalf("%d of %d units: %s, want %s", n, units, got, want)
			}
		}
	}
}

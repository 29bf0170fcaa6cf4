package incident_test

import (
	"encoding/json"
	"testing"

	"watchfloor/alerts"
	"watchfloor/command/incident"
	"watchfloor/command/vocab"
)

// TestBriefOfAnIncident: the brief keeps what a phone shows and where, and
// a location of its own (changing the incident's later does not move it).
func TestBriefOfAnIncident(t *testing.T) {
	loc := &vocab.Location{Lon: 114.1, Lat: 22.5}
	inc := &incident.Incident{ID: "INC-2", Category: "fire", Title: "厂房起火", Level: alerts.LevelI, Location: loc, LocationApproximate: true,
		Address: "福田区", Reporter: &incident.Reporter{Name: "张三", Phone: "13812345678"}, Drill: true}
	b := inc.Brief()
	loc.Lon = 0
	want := incident.Brief{ID: "INC-2", Category: "fire", Title: "厂房起火", Level: alerts.LevelI, Location: &vocab.Location{Lon: 114.1, Lat: 22.5},
		LocationApproximate: true, Address: "福田区", Drill: true}
	got, _ := json.Marshal(b)
	w, _ := json.Marshal(want)
	if string(got) != string(w) {
		t.Fatalf("brief %s, want %s", got, w)
	}
}

package registry_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"watchfloor/command/change"
	"watchfloor/command/fault"
	"watchfloor/command/memstore"
	"watchfloor/command/unit"
	"watchfloor/command/unit/registry"
	"watchfloor/command/vocab"
	"watchfloor/config"
	"watchfloor/geo"
)

var admin = vocab.Actor{Username: "admin", Role: vocab.Admin}

// sampleFleet is the fleet of the sample city's configuration.
func sampleFleet(t *testing.T) (*unit.Fleet, *config.Config) {
	t.Helper()
	cfg, err := config.Load("../../../config/sample/watchfloor.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	g, _ := os.ReadFile(cfg.Path(cfg.Map.Grids))
	z, _ := os.ReadFile(cfg.Path(cfg.Map.Zones))
	m, err := geo.NewMap(g, z)
	if err != nil {
		t.Fatal(err)
	}
	f, err := unit.NewFleet(cfg.UnitTypes, cfg.Units, m)
	if err != nil {
		t.Fatal(err)
	}
	return f, cfg
}

// registryFloor is a seeded registry of the sample city on a memory store.
func registryFloor(t *testing.T) (*registry.Registry, *unit.Fleet, *memstore.Store, *config.Config) {
	t.Helper()
	f, cfg := sampleFleet(t)
	st := memstore.New(memstore.Options{})
	r := registry.New(f, st.Units(time.Hour), nil, nil)
	if err := r.Seed(context.Background(), cfg.Units); err != nil {
		t.Fatal(err)
	}
	return r, f, st, cfg
}

func fields(err error) []string {
	var bad *fault.Invalid
	if !errors.As(err, &bad) {
		return nil
	}
	var out []string
	for _, e := range bad.Errors {
		out = append(out, e.Field)
	}
	return out
}

func TestRegistryCreateRules(t *testing.T) {
	good := registry.Input{ID: "car-99", Callsign: "巡逻99", Type: "car", Team: "t", HomeGrid: "440303001001001", Devices: []string{"dev-99"}, Capabilities: []string{"aed"}}
	cases := []struct {
		name  string
		edit  func(*registry.Input)
		wants []string // the fields named, nil when accepted
	}{
		{"accepted", func(*registry.Input) {}, nil},
		{"duplicateID", func(in *registry.Input) { in.ID = "car-01" }, []string{"id"}},
		{"badID", func(in *registry.Input) { in.ID = "Car 1" }, []string{"id"}},
		{"unknownType", func(in *registry.Input) { in.Type = "tank" }, []string{"type"}},
		{"gridOutside", func(in *registry.Input) { in.HomeGrid = "999" }, []string{"home_grid"}},
		{"deviceTaken", func(in *registry.Input) { in.Devices = []string{"860000000000001"} }, []string{"device_ids[0]"}},
		{"deviceTwice", func(in *registry.Input) { in.Devices = []string{"a", "a"} }, []string{"device_ids[1]"}},
		{"badCapability", func(in *registry.Input) { in.Capabilities = []string{"AED!"} }, []string{"capabilities[0]"}},
		{"everyField", func(in *registry.Input) { in.Callsign, in.Type, in.HomeGrid = "", "x", "y" }, []string{"callsign", "type", "home_grid"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, f, st, _ := registryFloor(t)
			in := good
			tc.edit(&in)
			before := len(f.List(true, true))
			v, err := r.Create(context.Background(), in, admin)
			if tc.wants == nil {
				if err != nil || v.ID != "car-99" || v.Status != unit.Available || v.Version != 1 || !f.Known("car-99") {
					t.Fatalf("create: %+v %v", v, err)
				}
				if id, ok := f.ByDevice("dev-99"); !ok || id != "car-99" {
					t.Fatalf("device: %s %v", id, ok)
				}
				if st.Field(change.KindUnitDevices, "", "dev-99") != "car-99" {
					t.Fatal("device map not stored")
				}
				return
			}
			if got := strings.Join(fields(err), ","); got != strings.Join(tc.wants, ",") {
				t.Fatalf("fields %q, want %q (%v)", got, tc.wants, err)
			}
			if len(f.List(true, true)) != before || f.Exists("car-99") {
				t.Fatal("a refused unit was added")
			}
			if us, _ := st.Units(time.Hour).LoadUnits(context.Background()); len(us) != before {
				t.Fatalf("stored %d units, want %d", len(us), before)
			}
		})
	}
}

func TestRegistryUpdateRetireRestore(t *testing.T) {
	ctx := context.Background()
	r, f, st, _ := registryFloor(t)
	in := registry.Input{Callsign: "新呼号", Type: "car", Devices: []string{"new-dev"}}
	if _, err := r.Update(ctx, "car-01", in, 7, admin); !errors.As(err, new(*fault.Conflict)) {
		t.Fatalf("stale version: %v", err)
	}
	v, err := r.Update(ctx, "car-01", in, 1, admin)
	if err != nil || v.Callsign != "新呼号" || v.Version != 2 {
		t.Fatalf("update: %+v %v", v, err)
	}
	if _, ok := f.ByDevice("new-dev"); !ok {
		t.Fatal("new device not mapped")
	}
	// Retiring frees the device, takes the unit out of the nearest search
	// and the list, and keeps it in history.
	if v, err = r.Retire(ctx, "car-01", admin); err != nil || !v.Retired || v.Status != unit.Retired {
		t.Fatalf("retire: %+v %v", v, err)
	}
	if _, ok := f.ByDevice("new-dev"); ok || f.Known("car-01") || !f.Exists("car-01") {
		t.Fatal("retired unit still takes positions")
	}
	if st.Field(change.KindUnitStatus, "", "car-01") != unit.Retired || st.Field(change.KindUnitDevices, "", "new-dev") != "" {
		t.Fatal("retirement not stored")
	}
	for _, u := range f.List(false, false) {
		if u.ID == "car-01" {
			t.Fatal("retired unit listed")
		}
	}
	if _, err := r.Retire(ctx, "car-01", admin); !errors.As(err, new(*fault.Conflict)) {
		t.Fatalf("second retire: %v", err)
	}
	if v, err = r.Restore(ctx, "car-01", admin); err != nil || v.Retired || v.Status != unit.Available || !f.Known("car-01") {
		t.Fatalf("restore: %+v %v", v, err)
	}
	if id, _ := f.ByDevice("new-dev"); id != "car-01" {
		t.Fatal("restored unit lost its device")
	}
	lastStatus(t, st, "car-01", unit.Available)
	if _, err := r.Create(ctx, registry.Input{ID: "zz-9", Callsign: "Z", Type: "car"}, admin); err != nil {
		t.Fatal(err)
	}
	lastStatus(t, st, "zz-9", unit.Available)
}

// lastStatus checks that the screen stream's last unit.status of id says
// status: another instance replaying the stream over what it loaded ends
// at the status stored.
func lastStatus(t *testing.T, st *memstore.Store, id, status string) {
	t.Helper()
	msgs, _, err := st.Range(context.Background(), vocab.ScreenStream, 1, 10000)
	if err != nil {
		t.Fatal(err)
	}
	got := "none"
	for _, m := range msgs {
		var ev struct {
			Type string
			Data vocab.UnitStatusData
		}
		if json.Unmarshal(m.JSON, &ev) == nil && ev.Type == vocab.UnitStatus && ev.Data.UnitID == id {
			got = ev.Data.Status
		}
	}
	if got != status {
		t.Errorf("the last unit.status of %s on the screens: %s, want %s", id, got, status)
	}
}

func TestRegistryRefusesRetiringAUnitOnAnOrder(t *testing.T) {
	ctx := context.Background()
	r, f, st, _ := registryFloor(t)
	// An order binds the unit: its status moves off available.
	if _, err := st.Apply(ctx, &change.Change{Fields: []change.Field{{Kind: change.KindUnitStatus, Field: "car-02", Value: unit.Dispatched}}}); err != nil {
		t.Fatal(err)
	}
	_, err := r.Retire(ctx, "car-02", admin)
	var conflict *fault.Conflict
	if !errors.As(err, &conflict) || !strings.Contains(conflict.Detail, "car-02") || !f.Known("car-02") {
		t.Fatalf("retire on an order: %v", err)
	}
}

func TestRegistrySeedNeverOverwrites(t *testing.T) {
	ctx := context.Background()
	r, f, st, cfg := registryFloor(t)
	if _, err := r.Update(ctx, "car-01", registry.Input{Callsign: "改过", Type: "car"}, 1, admin); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Create(ctx, registry.Input{ID: "zz-1", Callsign: "Z", Type: "car"}, admin); err != nil {
		t.Fatal(err)
	}
	// A second instance starts from the same configuration.
	f2, _ := sampleFleet(t)
	r2 := registry.New(f2, st.Units(time.Hour), nil, nil)
	if err := r2.Seed(ctx, cfg.Units); err != nil {
		t.Fatal(err)
	}
	v, _ := f2.Get("car-01", true)
	if v.Callsign != "改过" || !f2.Known("zz-1") || f2.Len() != f.Len() {
		t.Fatalf("second start: %+v known zz-1 %v, %d units want %d", v, f2.Known("zz-1"), f2.Len(), f.Len())
	}
	list := f2.List(false, true)
	if list[len(list)-1].ID != "zz-1" || list[0].ID != cfg.Units[0].ID {
		t.Fatalf("order: first %s last %s", list[0].ID, list[len(list)-1].ID)
	}
}

func TestRegistryFollowAppliesAnotherInstancesChange(t *testing.T) {
	ctx := context.Background()
	r, _, st, cfg := registryFloor(t)
	f2, _ := sampleFleet(t)
	r2 := registry.New(f2, st.Units(time.Hour), nil, nil)
	if err := r2.Seed(ctx, cfg.Units); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Create(ctx, registry.Input{ID: "zz-2", Callsign: "Z", Type: "car", Devices: []string{"zdev"}}, admin); err != nil {
		t.Fatal(err)
	}
	msgs, _, err := st.Range(ctx, vocab.ScreenStream, 0, 100)
	if err != nil || len(msgs) == 0 {
		t.Fatalf("events %v %v", msgs, err)
	}
	var last vocab.Envelope // the last unit.changed (a unit.status follows it)
	for _, m := range msgs {
		var ev vocab.Envelope
		if err := json.Unmarshal(m.JSON, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Type == vocab.UnitChanged {
			last = ev
		}
	}
	if last.Type != vocab.UnitChanged || strings.Contains(string(last.Data), "zdev") {
		t.Fatalf("event %s %s", last.Type, last.Data)
	}
	r2.Follow(last)
	if id, ok := f2.ByDevice("zdev"); !ok || id != "zz-2" {
		t.Fatal("the other fleet did not follow")
	}
}

// An instance that has not yet heard of a retirement cannot put the unit
// back on duty: the status write is guarded.
func TestRegistryRetirementStandsAgainstAStaleInstance(t *testing.T) {
	ctx := context.Background()
	r, _, st, cfg := registryFloor(t)
	f2, _ := sampleFleet(t)
	if err := registry.New(f2, st.Units(time.Hour), nil, nil).Seed(ctx, cfg.Units); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Retire(ctx, "car-03", admin); err != nil {
		t.Fatal(err)
	}
	stale := unit.NewService(f2, st.Units(time.Hour), nil)
	if _, err := stale.SetStatus(ctx, "car-03", unit.OffDuty, "operator", vocab.Operator); !errors.As(err, new(*fault.Conflict)) {
		t.Fatalf("stale status: %v", err)
	}
	if got := st.Field(change.KindUnitStatus, "", "car-03"); got != unit.Retired {
		t.Fatalf("status %q, want retired", got)
	}
}

package unit

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"

	"watchfloor/command/vocab"
	"watchfloor/config"
	"watchfloor/geo"
)

// state is one unit's live state. Its own lock guards every field, so
// ingest workers moving different units never wait on each other; the
// fleet's lock guards only which units there are (taken first).
type state struct {
	id  string // the unit's, never changed
	mu  sync.Mutex
	cfg Unit
	// retired mirrors cfg.Retired, read with no lock by every position's
	// check (live).
	retired atomic.Bool
	status  string
	pos     *Position
	// anchor is the last fix within the speed limit alone: jitter is
	// measured from it, so it never adds up into a jump.
	anchor Position
	grid   string   // code of the grid it is in, "" outside
	inHome bool     // inside its home grid (or its parents' tree below it)
	zones  []string // ids of the sensitive zones it is in
	dirty  bool     // changed since the last frame: listed in its mark shard
	mark   uint8    // its list of the fleet's frame marks (unitHash)
	place  int32    // its place in the fleet's order: frames list units in it
	cell   cell     // the cell its position is in, once it has one
	// heard is the ingester's count of notes when another instance's note
	// last moved it (0: never): a write of this instance begun before then
	// may have crossed that instance's in Redis.
	heard uint64

	// Where the fleet's cells hold it, guarded by their lock.
	in      cell
	slot    int
	indexed bool
}

// Fleet is the units and their live state, held in memory for frames,
// plausibility and the nearest search. It is a cache: Redis holds the
// truth, Load fills it at start and every instance's writes reach it
// (positions by publish, statuses through the screen stream).
type Fleet struct {
	geo   *geo.Map
	types map[string]config.UnitType

	mu      sync.RWMutex
	units   map[string]*state
	order   []string // ids in configuration order, then as created
	devices map[string]string
	// known is units as of the last unit added, read with no lock: every
	// position looks its unit up (ID at its decoding, live at its check,
	// which hands the state on to its storage) and a lock taken there, even
	// a read lock, is a counter that every core writes. Dropped
	// when a unit is added (rare), built again at the next lookup.
	known atomic.Pointer[map[string]unitRef]
	// devs is devices as of the last registry change of a unit, read with
	// no lock by every OsmAnd request; dropped on each such change, built
	// again at the next ByDevice.
	devs atomic.Pointer[map[string]string]
	// build lets one caller at a time build a dropped copy (known, devs):
	// the others wait for it rather than each making its own.
	build sync.Mutex

	// cells index the placed units by position, for Nearest.
	cells cells

	// marks list the units that changed since the last frame, so that a
	// frame reads those only, not every unit of the city; the padding keeps
	// the first list off the cells' line.
	_     [64]byte
	marks [markShards]markShard
	// framing lets one frame at a time use framed, the units it lists.
	framing sync.Mutex
	framed  []marked
}

// markShards is how many lists the changed units are marked in: a unit's
// by the hash that gives it its ingest worker, so that with a number of
// workers that divides it the positions of one instance's workers each
// write their own lists (notes from other instances, statuses and registry
// changes write any).
const markShards = 64

// markShard is one list of changed units, padded so that no two lists
// share a cache line.
type markShard struct {
	mu    sync.Mutex
	units []marked
	_     [96]byte // to 128 bytes: 32 used, the array aligned to 8
}

// marked is a unit in a mark list, with its place in the fleet's order
// for the frame's sort (which then reads no unit's state).
type marked struct {
	place int32
	s     *state
}

// changed marks s, whose lock the caller holds, for the next frame: listed
// once however often it changes before then.
func (f *Fleet) changed(s *state) {
	if s.dirty {
		return
	}
	s.dirty = true
	m := &f.marks[s.mark]
	m.mu.Lock()
	m.units = append(m.units, marked{s.place, s})
	m.mu.Unlock()
}

// NewFleet builds the fleet of the configured units and their types; every
// unit's home grid must exist.
func NewFleet(types []config.UnitType, units []config.Unit, m *geo.Map) (*Fleet, error) {
	f := &Fleet{geo: m, types: map[string]config.UnitType{}, units: map[string]*state{}, devices: map[string]string{}}
	for _, t := range types {
		f.types[t.ID] = t
	}
	for _, u := range units {
		if u.HomeGrid != "" && m.Area(u.HomeGrid) == nil {
			return nil, fmt.Errorf("unit %s: home grid %s is not in the map", u.ID, u.HomeGrid)
		}
		s := f.add(u.ID)
		s.cfg = FromConfig(u)
		s.retired.Store(s.cfg.Retired)
		for _, d := range u.Devices {
			f.devices[d] = u.ID
		}
	}
	return f, nil
}

// add makes unit id's state, available, last in the fleet's order (its
// place) and in its mark list by unitHash; the caller holds f.mu or owns f.
func (f *Fleet) add(id string) *state {
	s := &state{id: id, status: Available, mark: uint8(unitHash(id) % markShards), place: int32(len(f.order))}
	f.units[id] = s
	f.order = append(f.order, id)
	return s
}

// unitRef is a unit in known: the fleet's own copy of its id (for ID) and
// its state.
type unitRef struct {
	id string
	s  *state
}

// knownUnits returns known, made again if it was dropped.
func (f *Fleet) knownUnits() map[string]unitRef {
	return *copied(f, &f.known, func() map[string]unitRef {
		m := make(map[string]unitRef, len(f.units))
		for id, s := range f.units {
			m[id] = unitRef{id, s}
		}
		return m
	})
}

// state returns the state of unit id, or nil.
func (f *Fleet) state(id string) *state { return f.knownUnits()[id].s }

// ByDevice returns the unit id of a device id; a retired unit's devices
// are no one's.
func (f *Fleet) ByDevice(device string) (string, bool) {
	id, ok := (*copied(f, &f.devs, func() map[string]string { return maps.Clone(f.devices) }))[device]
	return id, ok
}

// ID returns the fleet's own copy of the unit id b, retired or not, so
// that a decoded position needs no string of its own; false when b is no unit.
func (f *Fleet) ID(b []byte) (string, bool) {
	r := f.knownUnits()[string(b)] // indexed with the bytes: no string made
	return r.id, r.s != nil
}

// copied returns the copy p holds, or when it was dropped makes it with
// fill under the read lock and keeps it: one caller at a time makes it,
// the others wait for it, and a change made meanwhile waits for it and
// drops what it kept. fill is called only then, and never kept: the
// callers' closures stay on their stacks.
func copied[M any](f *Fleet, p *atomic.Pointer[M], fill func() M) *M {
	if m := p.Load(); m != nil {
		return m
	}
	f.build.Lock()
	defer f.build.Unlock()
	if m := p.Load(); m != nil {
		return m // made while this caller waited
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	m := fill()
	p.Store(&m)
	return &m
}

// Known reports whether id is a unit in service (not retired): one that
// takes positions and orders.
func (f *Fleet) Known(id string) bool { return f.live(id) != nil }

// live returns the state of unit id when it is known and not retired, for
// a position to carry from its check to its storage: looked up once.
func (f *Fleet) live(id string) *state {
	if s := f.state(id); s != nil && !s.retired.Load() {
		return s
	}
	return nil
}

// TypeKnown reports whether typ is a configured unit type.
func (f *Fleet) TypeKnown(typ string) bool { _, ok := f.types[typ]; return ok }

// GridKnown reports whether code is a grid of the map.
func (f *Fleet) GridKnown(code string) bool { return f.geo.Area(code) != nil }

// Exists reports whether id is a unit, retired or not.
func (f *Fleet) Exists(id string) bool { return f.state(id) != nil }

// Len is the number of units, retired ones included.
func (f *Fleet) Len() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return len(f.order)
}

// Put adds a unit or replaces its registry fields (a newer version than
// the fleet holds, or any when force); its status and position stay. A
// retired unit keeps its place and history but loses its devices.
func (f *Fleet) Put(u Unit, force bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.units[u.ID]
	if !ok {
		s = f.add(u.ID)
		f.known.Store(nil) // built again with it at the next lookup
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ok && !force && u.Version <= s.cfg.Version {
		return
	}
	for _, d := range s.cfg.Devices {
		if f.devices[d] == u.ID {
			delete(f.devices, d)
		}
	}
	s.cfg = u
	s.retired.Store(u.Retired)
	if !u.Retired {
		for _, d := range u.Devices {
			f.devices[d] = u.ID
		}
	}
	f.devs.Store(nil)
	switch {
	case u.Retired:
		s.status = Retired
	case s.status == Retired:
		s.status = Available
	}
	f.changed(s)
}

// registered returns every unit's registry document (retired ones too), in
// the fleet's order: a copy, since units change at run time.
func (f *Fleet) registered() []Unit {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]Unit, 0, len(f.order))
	for _, id := range f.order {
		s := f.units[id]
		s.mu.Lock()
		out = append(out, s.cfg)
		s.mu.Unlock()
	}
	return out
}

// Version returns the registry version of a unit the fleet holds (-1 when
// it holds none).
func (f *Fleet) Version(id string) int64 {
	s := f.state(id)
	if s == nil {
		return -1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.Version
}

// View is a unit as the API shows it.
type View struct {
	ID       string    `json:"id"`
	Callsign string    `json:"callsign"`
	Type     string    `json:"type"`
	Team     string    `json:"team"`
	Status   string    `json:"status"`
	HomeGrid string    `json:"home_grid"`
	Grid     *string   `json:"grid"`
	Zones    []string  `json:"zones"`
	Devices  []string  `json:"device_ids,omitempty"`
	Position *Position `json:"position"`
	// Capabilities, Retired and Version are the registry's (admin page).
	Capabilities []string `json:"capabilities"`
	Retired      bool     `json:"retired"`
	Version      int64    `json:"version"`
}

// view is the unit as the API shows it; the caller holds s.mu.
func (s *state) view(devices bool) View {
	v := View{ID: s.cfg.ID, Callsign: s.cfg.Callsign, Type: s.cfg.Type, Team: s.cfg.Team, Status: s.status, HomeGrid: s.cfg.HomeGrid, Zones: s.zones,
		Capabilities: slices.Clone(s.cfg.Capabilities), Retired: s.cfg.Retired, Version: s.cfg.Version}
	if v.Capabilities == nil {
		v.Capabilities = []string{}
	}
	if v.Zones == nil {
		v.Zones = []string{}
	}
	if s.grid != "" {
		g := s.grid
		v.Grid = &g
	}
	if s.pos != nil {
		p := *s.pos
		v.Position = &p
	}
	if devices {
		v.Devices = slices.Clone(s.cfg.Devices)
	}
	return v
}

// Get returns the view of one unit.
func (f *Fleet) Get(id string, devices bool) (View, bool) {
	s := f.state(id)
	if s == nil {
		return View{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.view(devices), true
}

// List returns every unit in service (retired ones too when retired), in
// configuration order, then as created.
func (f *Fleet) List(devices, retired bool) []View {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]View, 0, len(f.order))
	for _, id := range f.order {
		s := f.units[id]
		s.mu.Lock()
		if retired || !s.cfg.Retired {
			out = append(out, s.view(devices))
		}
		s.mu.Unlock()
	}
	return out
}

// InTeams returns the ids of the units in service of any of teams, in the
// fleet's order (plans' working groups name teams).
func (f *Fleet) InTeams(teams []string) []string {
	var out []string
	f.mu.RLock()
	defer f.mu.RUnlock()
	for _, id := range f.order {
		s := f.units[id]
		s.mu.Lock()
		if !s.cfg.Retired && slices.Contains(teams, s.cfg.Team) {
			out = append(out, id)
		}
		s.mu.Unlock()
	}
	return out
}

// Last returns a unit's last position.
func (f *Fleet) Last(id string) (Position, bool) {
	s := f.state(id)
	if s == nil {
		return Position{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pos == nil {
		return Position{}, false
	}
	return *s.pos, true
}

// fix returns a unit's last position and its anchor (see state.anchor).
func (f *Fleet) fix(id string) (last, anchor Position, ok bool) { return fixOf(f.state(id)) }

// fixOf is fix of a unit's state (nil: none).
func fixOf(s *state) (last, anchor Position, ok bool) {
	if s == nil {
		return Position{}, Position{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pos == nil {
		return Position{}, Position{}, false
	}
	return *s.pos, s.anchor, true
}

// Status returns a unit's status.
func (f *Fleet) Status(id string) string {
	s := f.state(id)
	if s == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// SetStatus records a status seen in storage (a retired unit keeps its
// own).
func (f *Fleet) SetStatus(id, status string) {
	s := f.state(id)
	if s == nil {
		return
	}
	s.mu.Lock()
	if s.status != status && !s.cfg.Retired {
		s.status = status
		f.changed(s)
	}
	s.mu.Unlock()
}

// Follow applies an event of the screen stream to the fleet: a unit.status
// event, whichever instance stored it, sets the unit's status; every other
// event is ignored. It is the hub's observer (live.Observer).
func (f *Fleet) Follow(ev vocab.Envelope) {
	if ev.Type != vocab.UnitStatus {
		return
	}
	var d vocab.UnitStatusData
	if json.Unmarshal(ev.Data, &d) == nil {
		f.SetStatus(d.UnitID, d.Status)
	}
}

// Transition is a unit entering or leaving its home grid or a sensitive zone.
type Transition struct {
	UnitID   string    `json:"unit_id"`
	Callsign string    `json:"callsign"`
	Entered  bool      `json:"-"`
	Kind     string    `json:"kind"` // home_grid or zone
	Code     string    `json:"code"`
	Name     string    `json:"name"`
	NameEN   string    `json:"name_en,omitempty"`
	ZoneKind string    `json:"zone_kind,omitempty"`
	At       time.Time `json:"at"`
}

// place computes the grid and sensitive zones of p.
func (f *Fleet) place(p orb.Point) (grid *geo.Area, zones []geo.ZoneRef) {
	grid, all := f.geo.Place(p)
	for _, z := range all {
		if z.Kind == "sensitive" {
			zones = append(zones, z)
		}
	}
	return grid, zones
}

// origin is where a move comes from: with heard set, the note of another
// instance the ingester counted as heard; otherwise this instance's own
// write, begun when the ingester had counted since notes.
type origin struct{ heard, since uint64 }

// move applies a position newer than the unit's (a non-nil anchor becomes
// its anchor) under the unit's own lock only, and returns its transitions
// and whether two instances' writes of the unit may have crossed in Redis,
// leaving there an older position than the fleet's: a note not newer than
// the unit's position, or this instance's write with a note heard since it
// began.
func (f *Fleet) move(id string, p Position, anchor *Position, o origin) (out []Transition, crossed bool) {
	out, crossed, into := f.moveInto(id, p, anchor, o, nil)
	f.reindex(into)
	return out, crossed
}

// moveInto is move, leaving the cells index to the caller: a unit that
// entered another cell is appended to into, for reindex. A writer of many
// positions takes the index's lock once for them all, not once a unit.
func (f *Fleet) moveInto(id string, p Position, anchor *Position, o origin, into []*state) (out []Transition, crossed bool, _ []*state) {
	return f.moveState(f.state(id), id, p, anchor, o, into)
}

// moveState is moveInto of the unit's state s, looked up by the caller
// (nil: no such unit, nothing moves).
func (f *Fleet) moveState(s *state, id string, p Position, anchor *Position, o origin, into []*state) (out []Transition, crossed bool, _ []*state) {
	if s == nil {
		return nil, false, into
	}
	pt := orb.Point{p.Lon, p.Lat}
	grid, zones := f.place(pt)
	s.mu.Lock()
	defer s.mu.Unlock()
	first := s.pos == nil
	if o.heard == 0 {
		crossed = s.heard > o.since
	} else {
		// Heard even when it moves nothing: its write may have landed
		// after one of this instance's under way.
		s.heard = max(s.heard, o.heard)
	}
	if !first && !p.At.After(s.pos.At) {
		// Not newer than what it holds: a write that finished after a
		// later fix arrived from another instance never moves it back. A
		// note strictly older may have been stored over the later fix (the
		// same fix twice leaves the same behind).
		return nil, crossed || o.heard > 0 && p.At.Before(s.pos.At), into
	}
	if first {
		s.pos = new(Position)
	}
	*s.pos = p // every reader copies it under the lock
	switch {
	case anchor != nil:
		s.anchor = *anchor
	case first:
		s.anchor = p
	}
	f.changed(s)
	if c := cellOf(pt); first || c != s.cell {
		s.cell = c
		into = append(into, s) // the index follows once the unit's lock is released
	}
	s.grid = ""
	if grid != nil {
		s.grid = grid.Code
	}
	home := s.cfg.HomeGrid
	a := f.geo.Area(home)
	if a == nil {
		home = "" // none, or a stored unit's grid that a later map no longer has
	}
	inHome := home != "" && grid != nil && f.geo.Within(grid.Code, home)
	if home != "" && inHome != s.inHome && !first {
		out = append(out, Transition{UnitID: id, Callsign: s.cfg.Callsign, Entered: inHome, Kind: "home_grid", Code: home, Name: a.Name, NameEN: a.NameEN, At: p.At})
	}
	s.inHome = inHome
	ids := make([]string, 0, len(zones))
	for _, z := range zones {
		ids = append(ids, z.ID)
		if !slices.Contains(s.zones, z.ID) && !first {
			out = append(out, Transition{UnitID: id, Callsign: s.cfg.Callsign, Entered: true, Kind: "zone", Code: z.ID, Name: z.Name, NameEN: z.NameEN, ZoneKind: z.Kind, At: p.At})
		}
	}
	if !first {
		for _, old := range s.zones {
			if !slices.Contains(ids, old) {
				a := f.zoneByID(old)
				out = append(out, Transition{UnitID: id, Callsign: s.cfg.Callsign, Entered: false, Kind: "zone", Code: old, Name: a.Name, NameEN: a.NameEN, ZoneKind: a.Kind, At: p.At})
			}
		}
	}
	s.zones = ids
	return out, crossed, into
}

// reindex moves the units moveInto gathered to the cells their positions
// are in, under one hold of the index's lock, then clears into so that a
// reused buffer keeps no unit alive.
func (f *Fleet) reindex(into []*state) {
	if len(into) > 0 {
		f.cells.syncAll(into)
		clear(into)
	}
}

func (f *Fleet) zoneByID(id string) *geo.Area {
	for _, z := range f.geo.Zones() {
		if z.Code == id {
			return z
		}
	}
	return &geo.Area{Code: id, Name: id}
}

// restore sets a unit's position and status from storage at start, without
// transitions.
func (f *Fleet) restore(id string, p *Position, status string) {
	if p != nil {
		f.move(id, *p, p, origin{})
	}
	if status != "" {
		f.SetStatus(id, status)
	}
}

// Candidate is a unit that may respond to an incident.
type Candidate struct {
	View
	DistanceM float64 `json:"distance_m"`
	ETAS      float64 `json:"eta_s"`
}

// Nearest returns up to limit available units of the given types (any type
// when types is empty) nearest to p first, by haversine distance (ties by
// id), with the straight-line time to get there at their type's speed. It
// looks at the cells around p, ring by ring, until no unit farther out
// could be nearer than those found.
func (f *Fleet) Nearest(p orb.Point, types []string, limit int, exclude func(id string) bool) []Candidate {
	type hit struct {
		s  *state
		id string
		d  float64
	}
	order := func(a, b hit) int {
		if a.d != b.d {
			return cmp.Compare(a.d, b.d)
		}
		return strings.Compare(a.id, b.id)
	}
	if limit <= 0 {
		return []Candidate{}
	}
	// Keep the best limit hits in a small sorted slice, no sort of all.
	hits := make([]hit, 0, limit+1)
	consider := func(list []*state) {
		for _, s := range list {
			s.mu.Lock()
			ok := s.status == Available && s.pos != nil && (len(types) == 0 || slices.Contains(types, s.cfg.Type))
			id := s.cfg.ID
			var d float64
			if ok {
				d = orbgeo.DistanceHaversine(p, orb.Point{s.pos.Lon, s.pos.Lat})
			}
			s.mu.Unlock()
			if !ok || exclude != nil && exclude(id) {
				continue
			}
			h := hit{s, id, d}
			if len(hits) == limit && order(h, hits[limit-1]) >= 0 {
				continue
			}
			i, _ := slices.BinarySearchFunc(hits, h, order)
			hits = slices.Insert(hits, i, h)
			if len(hits) > limit {
				hits = hits[:limit]
			}
		}
	}
	f.cells.mu.RLock()
	f.cells.search(p, consider, func(bound float64) bool { return len(hits) == limit && bound > hits[limit-1].d })
	f.cells.mu.RUnlock()
	out := make([]Candidate, len(hits))
	for i, h := range hits {
		h.s.mu.Lock()
		v := h.s.view(false)
		h.s.mu.Unlock()
		speed := f.types[v.Type].SpeedKMH / 3.6
		eta := math.Inf(1)
		if speed > 0 {
			eta = math.Round(h.d / speed)
		}
		out[i] = Candidate{View: v, DistanceM: math.Round(h.d*10) / 10, ETAS: eta}
	}
	return out
}

// frame appends the units that moved or changed status since the last
// frame to b as a JSON array and clears their marks; n is how many. It
// reads the units marked, not every unit, in the fleet's order, where
// neighbours compress best (a screen's frames 18–57 % smaller than in the
// lists' order). A unit with no position yet, or retired, is left out; its
// next move or its return to service marks it again.
func (f *Fleet) frame(b []byte) ([]byte, int) {
	f.framing.Lock()
	defer f.framing.Unlock()
	units := f.framed[:0]
	for i := range f.marks {
		m := &f.marks[i]
		m.mu.Lock()
		units = append(units, m.units...)
		m.units = m.units[:0]
		m.mu.Unlock()
	}
	slices.SortFunc(units, func(x, y marked) int { return cmp.Compare(x.place, y.place) })
	n := 0
	b = append(b, '[')
	for _, u := range units {
		s := u.s
		s.mu.Lock()
		s.dirty = false
		if s.pos == nil || s.cfg.Retired {
			s.mu.Unlock()
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = append(b, `{"id":`...)
		b = appendString(b, s.id)
		b = append(b, `,"status":"`...)
		b = append(b, s.status...)
		b = append(b, `","position":`...)
		b = s.pos.AppendJSON(b)
		b = append(b, '}')
		s.mu.Unlock()
	}
	f.framed = units[:0]
	return append(b, ']'), n
}

// appendString appends s as a JSON string: as it is when it holds only
// printable ASCII that needs no escape (every unit id in practice), else
// as json.Marshal writes it.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := jsonString(s)
			return append(b, q...)
		}
	}
	return append(append(append(b, '"'), s...), '"')
}

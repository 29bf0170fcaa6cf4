// Package registry manages units at run time: create, edit, retire and
// restore, each a change that every instance's fleet follows
// (unit.changed); configured units are seeds written at first start.
package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"watchfloor/command/audit"
	"watchfloor/command/change"
	"watchfloor/command/cleantext"
	"watchfloor/command/fault"
	"watchfloor/command/unit"
	"watchfloor/command/vocab"
	"watchfloor/config"
)

// Store is the storage the registry needs.
type Store interface {
	Apply(ctx context.Context, c *change.Change) (change.Result, error)
	// LoadUnits returns every stored unit, in no order.
	LoadUnits(ctx context.Context) ([]*unit.Unit, error)
	// LoadUnit returns one stored unit (fault.ErrNotFound when none).
	LoadUnit(ctx context.Context, id string) (*unit.Unit, error)
	// ActiveOrders returns the ids of a unit's active orders.
	ActiveOrders(ctx context.Context, id string) ([]string, error)
}

// Registry creates, edits, retires and restores units at run time: each a
// change that every instance's fleet follows (unit.changed).
type Registry struct {
	fleet *unit.Fleet
	store Store
	now   func() time.Time
	log   *slog.Logger
}

// New builds the registry of the fleet's units.
func New(f *unit.Fleet, st Store, now func() time.Time, log *slog.Logger) *Registry {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Registry{fleet: f, store: st, now: now, log: log}
}

// Input is what a person sets on a unit (the id on creation only).
type Input struct {
	ID           string
	Callsign     string
	Type         string
	Team         string
	HomeGrid     string
	Devices      []string
	Capabilities []string
}

var (
	unitIDPattern     = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,63}$`)
	capabilityPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
)

// check cleans in's texts (cleantext) and reports every bad field of in
// for the unit id (the unit's own devices are its to keep).
func (r *Registry) check(in *Input, id string, bad *fault.Invalid) {
	in.Callsign = cleantext.Clean(in.Callsign, false)
	if !cleantext.Visible(in.Callsign) || utf8.RuneCountInString(in.Callsign) > 64 {
		bad.Add("callsign", "required: visible characters, at most 64")
	}
	if !r.fleet.TypeKnown(in.Type) {
		bad.Add("type", "%q is not a configured unit type", in.Type)
	}
	team := cleantext.Clean(in.Team, false)
	switch {
	case in.Team != "" && !cleantext.Visible(team):
		bad.Add("team", "has no visible characters: a team name, or empty for none")
	case utf8.RuneCountInString(team) > 64:
		bad.Add("team", "at most 64 characters")
	}
	in.Team = team
	if in.HomeGrid != "" && !r.fleet.GridKnown(in.HomeGrid) {
		bad.Add("home_grid", "%q is not a grid of the map", in.HomeGrid)
	}
	if len(in.Devices) > 4 {
		bad.Add("device_ids", "at most 4 device ids")
	}
	for i, d := range in.Devices {
		at := fmt.Sprintf("device_ids[%d]", i)
		switch other, taken := r.fleet.ByDevice(d); {
		case d == "" || len(d) > 64 || strings.TrimSpace(d) != d:
			bad.Add(at, "device ids are 1 to 64 characters without surrounding spaces")
		case slices.Index(in.Devices, d) < i:
			bad.Add(at, "%q is listed twice", d)
		case taken && other != id:
			bad.Add(at, "%q is already the device of %s", d, other)
		}
	}
	if len(in.Capabilities) > 20 {
		bad.Add("capabilities", "at most 20 capabilities")
	}
	for i, c := range in.Capabilities {
		at := fmt.Sprintf("capabilities[%d]", i)
		switch {
		case !capabilityPattern.MatchString(c):
			bad.Add(at, "%q: a lowercase word (a-z, 0-9, _ or -), at most 32 characters", c)
		case slices.Index(in.Capabilities, c) < i:
			bad.Add(at, "%q is listed twice", c)
		}
	}
}

// Create adds a unit in service.
func (r *Registry) Create(ctx context.Context, in Input, by vocab.Actor) (unit.View, error) {
	bad := &fault.Invalid{}
	switch {
	case !unitIDPattern.MatchString(in.ID):
		bad.Add("id", "a lowercase id: a letter, then letters, digits, '.', '_' or '-' (at most 64)")
	case r.fleet.Exists(in.ID):
		bad.Add("id", "unit %s already exists", in.ID)
	}
	r.check(&in, in.ID, bad)
	if err := bad.Err(); err != nil {
		return unit.View{}, err
	}
	at := r.now().UTC()
	u := unit.Unit{ID: in.ID, Callsign: in.Callsign, Type: in.Type, Team: in.Team, HomeGrid: in.HomeGrid, Devices: in.Devices,
		Capabilities: in.Capabilities, Version: 1, CreatedAt: at, UpdatedAt: at}
	c := registryChange(nil, &u, "created", by, at)
	available(c, u.ID, by, at)
	return r.apply(ctx, c, u)
}

// Update sets a unit's fields over the version it was read at.
func (r *Registry) Update(ctx context.Context, id string, in Input, version int64, by vocab.Actor) (unit.View, error) {
	prev, err := r.store.LoadUnit(ctx, id)
	if err != nil {
		return unit.View{}, err
	}
	bad := &fault.Invalid{}
	r.check(&in, id, bad)
	if err := bad.Err(); err != nil {
		return unit.View{}, err
	}
	if version != prev.Version {
		return unit.View{}, &fault.Conflict{Detail: fmt.Sprintf("unit %s changed meanwhile: it is at version %d, not %d", id, prev.Version, version)}
	}
	if prev.Retired {
		return unit.View{}, &fault.Conflict{Detail: fmt.Sprintf("unit %s is retired: restore it first", id)}
	}
	u, at := r.next(prev)
	u.Callsign, u.Type, u.Team, u.HomeGrid, u.Devices, u.Capabilities = in.Callsign, in.Type, in.Team, in.HomeGrid, in.Devices, in.Capabilities
	return r.apply(ctx, registryChange(prev, &u, "updated", by, at), u)
}

// Retire takes a unit out of service: kept in history and statistics, no
// longer dispatched, its devices no one's. A unit on an order is refused.
func (r *Registry) Retire(ctx context.Context, id string, by vocab.Actor) (unit.View, error) {
	prev, err := r.store.LoadUnit(ctx, id)
	if err != nil {
		return unit.View{}, err
	}
	if prev.Retired {
		return unit.View{}, &fault.Conflict{Detail: fmt.Sprintf("unit %s is already retired", id)}
	}
	orders, err := r.store.ActiveOrders(ctx, id)
	if err != nil {
		return unit.View{}, err
	}
	if len(orders) > 0 {
		slices.Sort(orders)
		return unit.View{}, &fault.Conflict{Detail: fmt.Sprintf("unit %s has active orders (%s): clear them before retiring it", id, strings.Join(orders, ", "))}
	}
	u, at := r.next(prev)
	u.Retired = true
	c := registryChange(prev, &u, "retired", by, at)
	c.Guards = append(c.Guards, change.Guard{Kind: change.KindUnitStatus, Field: id, Allowed: []string{"", unit.Available, unit.OffDuty},
		Why: "unit " + id + " was sent on an order meanwhile"})
	c.Fields = append(c.Fields, change.Field{Kind: change.KindUnitStatus, Field: id, Value: unit.Retired})
	return r.apply(ctx, c, u)
}

// Restore puts a retired unit back in service, available, with its devices
// when no other unit took them meanwhile.
func (r *Registry) Restore(ctx context.Context, id string, by vocab.Actor) (unit.View, error) {
	prev, err := r.store.LoadUnit(ctx, id)
	if err != nil {
		return unit.View{}, err
	}
	if !prev.Retired {
		return unit.View{}, &fault.Conflict{Detail: fmt.Sprintf("unit %s is not retired", id)}
	}
	for _, d := range prev.Devices {
		if other, taken := r.fleet.ByDevice(d); taken && other != id {
			return unit.View{}, &fault.Conflict{Detail: fmt.Sprintf("device %q of unit %s is now the device of %s: edit that unit first", d, id, other)}
		}
	}
	u, at := r.next(prev)
	u.Retired = false
	c := registryChange(prev, &u, "restored", by, at)
	available(c, id, by, at)
	return r.apply(ctx, c, u)
}

// available sets unit id available in c, with its unit.status event: an
// instance replaying the screen stream over what it loaded then ends at the
// status stored, not at an older unit.status.
func available(c *change.Change, id string, by vocab.Actor, at time.Time) {
	c.Fields = append(c.Fields, change.Field{Kind: change.KindUnitStatus, Field: id, Value: unit.Available})
	c.Emit(vocab.UnitStatus, vocab.UnitStatusData{UnitID: id, Status: unit.Available, By: by.Username, At: at}, vocab.ScreenStream)
}

// next is prev's next version, changed now (returned), for the caller to
// change further.
func (r *Registry) next(prev *unit.Unit) (unit.Unit, time.Time) {
	at := r.now().UTC()
	u := *prev
	u.Version, u.UpdatedAt = prev.Version+1, at
	return u, at
}

// apply stores c and puts u in this instance's fleet at once (the others
// follow unit.changed).
func (r *Registry) apply(ctx context.Context, c *change.Change, u unit.Unit) (unit.View, error) {
	if _, err := r.store.Apply(ctx, c); err != nil {
		return unit.View{}, err
	}
	r.fleet.Put(u, false)
	v, _ := r.fleet.Get(u.ID, true)
	return v, nil
}

// Changed is the payload of unit.changed: what happened and the unit as
// every screen may see it (no device ids).
type Changed struct {
	Action string    `json:"action"` // created, updated, retired, restored
	Unit   unit.Unit `json:"unit"`
}

// registryChange writes u over prev (nil when new): the document guarded
// by its version, its devices guarded free and claimed (those it no longer
// holds, or all when retired, released), an entry of its timeline,
// unit.changed on the screens and the audit record.
func registryChange(prev, u *unit.Unit, action string, by vocab.Actor, at time.Time) *change.Change {
	c := &change.Change{At: at}
	was := ""
	if prev != nil {
		was = strconv.FormatInt(prev.Version, 10)
	}
	c.Guards = []change.Guard{{Kind: change.KindUnit, ID: u.ID, Field: "ver", Allowed: []string{was}, Why: "unit " + u.ID + " changed meanwhile"}}
	c.Docs = []change.Doc{{Kind: change.KindUnit, ID: u.ID, Value: u, Prev: prev, Fields: map[string]string{"ver": strconv.FormatInt(u.Version, 10)}}}
	var held []string
	if !u.Retired {
		held = u.Devices
	}
	if prev != nil && !prev.Retired {
		for _, d := range prev.Devices {
			if !slices.Contains(held, d) {
				c.Fields = append(c.Fields, change.Field{Kind: change.KindUnitDevices, Field: d, Value: ""})
			}
		}
	}
	for _, d := range held {
		c.Guards = append(c.Guards, change.Guard{Kind: change.KindUnitDevices, Field: d, Allowed: []string{"", u.ID},
			Why: fmt.Sprintf("device %q was given to another unit meanwhile", d)})
		c.Fields = append(c.Fields, change.Field{Kind: change.KindUnitDevices, Field: d, Value: u.ID})
	}
	c.Appends = []change.Append{{Kind: change.KindUnitTimeline, ID: u.ID, Keep: unit.TimelineLen,
		Entries: []any{map[string]any{"at": at, "type": "registry", "action": action, "by": by.Username, "role": by.Role}}}}
	shown := *u
	shown.Devices = nil
	c.Emit(vocab.UnitChanged, Changed{Action: action, Unit: shown}, vocab.ScreenStream)
	c.Audit = []audit.Record{{At: at, Who: by.Username, Role: by.Role, Action: "unit." + action, Object: u.ID, Detail: map[string]any{
		"version": u.Version, "callsign": u.Callsign, "type": u.Type, "team": u.Team, "home_grid": u.HomeGrid,
		"device_ids": maskDevices(u.Devices), "capabilities": u.Capabilities}}}
	return c
}

// maskDevices shows each device id by its last four characters only: a
// device id is the one credential of the OsmAnd port, and the audit trail
// is read by leaders, who are not shown device ids elsewhere.
func maskDevices(ids []string) []string {
	out := make([]string, len(ids))
	for i, d := range ids {
		if len(d) > 4 {
			d = "…" + d[len(d)-4:]
		}
		out[i] = d
	}
	return out
}

// Follow applies unit.changed, whichever instance stored it, to this
// instance's fleet before its sockets hear of it: the unit is read back
// from storage (the event carries no device ids). It is the hub's observer.
func (r *Registry) Follow(ev vocab.Envelope) {
	if ev.Type != vocab.UnitChanged {
		return
	}
	var d Changed
	if json.Unmarshal(ev.Data, &d) != nil || d.Unit.Version <= r.fleet.Version(d.Unit.ID) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u, err := r.store.LoadUnit(ctx, d.Unit.ID)
	if err != nil {
		r.log.Warn("following a unit change", "unit", d.Unit.ID, "err", err)
		return
	}
	r.fleet.Put(*u, false)
}

// seedChunk is how many configured units one seeding change writes.
const seedChunk = 500

// Seed stores the configured units that are not stored yet (a stored unit
// is never overwritten by configuration), then fills the fleet from
// storage: configured units first in their order, then the others as
// created.
func (r *Registry) Seed(ctx context.Context, units []config.Unit) error {
	for range 5 {
		stored, err := r.store.LoadUnits(ctx)
		if err != nil {
			return fmt.Errorf("loading units: %w", err)
		}
		missing := missingSeeds(units, stored)
		if len(missing) == 0 {
			r.load(units, stored)
			return nil
		}
		err = r.seed(ctx, missing)
		var conflict *fault.Conflict
		if err != nil && !errors.As(err, &conflict) && !errors.Is(err, fault.ErrConflict) {
			return fmt.Errorf("seeding units: %w", err)
		}
		// A conflict is another instance seeding at the same time: read again.
	}
	return fmt.Errorf("seeding units: %w", fault.ErrConflict)
}

// missingSeeds are the configured units not stored.
func missingSeeds(units []config.Unit, stored []*unit.Unit) []unit.Unit {
	have := make(map[string]bool, len(stored))
	for _, u := range stored {
		have[u.ID] = true
	}
	var out []unit.Unit
	for _, u := range units {
		if !have[u.ID] {
			out = append(out, unit.FromConfig(u))
		}
	}
	return out
}

// seed stores new units a chunk at a time, each guarded absent.
func (r *Registry) seed(ctx context.Context, units []unit.Unit) error {
	at := r.now().UTC()
	for len(units) > 0 {
		n := min(seedChunk, len(units))
		c := &change.Change{At: at}
		for i := range units[:n] {
			u := &units[i]
			u.Version, u.CreatedAt, u.UpdatedAt = 1, at, at
			one := registryChange(nil, u, "seeded", vocab.Actor{Username: "system", Role: vocab.System}, at)
			c.Guards = append(c.Guards, one.Guards...)
			c.Docs = append(c.Docs, one.Docs...)
			c.Fields = append(c.Fields, one.Fields...)
		}
		c.Audit = []audit.Record{{At: at, Who: "system", Role: vocab.System, Action: "unit.seeded", Object: units[0].ID,
			Detail: map[string]any{"count": n, "from": "configuration"}}}
		if _, err := r.store.Apply(ctx, c); err != nil {
			return err
		}
		units = units[n:]
	}
	return nil
}

// load puts the stored units in the fleet: configured ones in their order,
// then the others by creation.
func (r *Registry) load(units []config.Unit, stored []*unit.Unit) {
	byID := make(map[string]*unit.Unit, len(stored))
	for _, u := range stored {
		byID[u.ID] = u
	}
	for _, c := range units {
		if u := byID[c.ID]; u != nil {
			r.fleet.Put(*u, true)
			delete(byID, c.ID)
		}
	}
	rest := make([]*unit.Unit, 0, len(byID))
	for _, u := range byID {
		rest = append(rest, u)
	}
	slices.SortFunc(rest, func(a, b *unit.Unit) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	for _, u := range rest {
		r.fleet.Put(*u, true)
	}
}

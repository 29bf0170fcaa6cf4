package sockets

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"watchfloor/command/alarm"
	"watchfloor/command/auth"
	"watchfloor/command/incident"
	"watchfloor/command/live"
	"watchfloor/command/vocab"
	"watchfloor/command/web/rest"
)

// screenSocket serves /ws/screen: a snapshot (or a replay after ?since=),
// then every event of the screen stream with its seq.
func (a *Server) screenSocket() []fiber.Handler {
	return a.socketWith(func(conn *websocket.Conn) socketSpec {
		sess, _ := conn.Locals(rest.SessionKey).(auth.Session)
		area := strings.Clone(sess.Area)
		return socketSpec{stream: vocab.ScreenStream, snapshot: func(ctx context.Context) (live.Message, error) {
			return a.screenSnapshot(ctx, area)
		}}
	})
}

// snapshotTTL is how long a built screen snapshot is shared with sockets
// that connect after it, whatever happened since: each socket replays the
// events after the snapshot's seq from the stream (at 400 incidents a
// second the seq moves every few milliseconds, and a build reads every open
// incident). Units move without a seq; the position frames that follow
// make good the difference.
const snapshotTTL = time.Second

// screenSnapshot is the screen's state at the seq it reflects: summaries of
// the open incidents (at most streams.snapshot_incidents, most serious
// first, then latest changed), units, open alarms and active orders. It is
// the same for every role and account of one area (it carries no personal
// data, and alarms of other areas are left out), so one build per area, and
// its compressed form, is shared by the sockets connecting at about the
// same time (a wall of screens reconnecting after a restart compressed a
// city's snapshot once per screen).
func (a *Server) screenSnapshot(ctx context.Context, area string) (live.Message, error) {
	s := &a.ws
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	if b, ok := s.snaps[area]; ok && time.Since(b.at) < snapshotTTL {
		return live.Message{JSON: b.msg, Seq: b.seq, Deflated: b.z}, nil
	}
	// What every area shares is read from storage once; only the alarms
	// differ between areas. The seq is read first: what the parts show is
	// at least that, and a replayed event changes nothing it already shows.
	if s.parts == nil || time.Since(s.parts.at) >= snapshotTTL {
		seq, err := a.Source.Seq(ctx, vocab.ScreenStream)
		if err != nil {
			return live.Message{}, err
		}
		p, err := a.readSnapshotParts(ctx, seq)
		if err != nil {
			return live.Message{}, err
		}
		s.parts = p
	}
	seq := s.parts.seq
	msg, err := a.encodeSnapshot(s.parts, area)
	if err != nil {
		return live.Message{}, err
	}
	if s.snaps == nil {
		s.snaps = map[string]builtSnapshot{}
	}
	for k, b := range s.snaps { // areas are few; drop what is stale anyway
		if time.Since(b.at) >= snapshotTTL {
			delete(s.snaps, k)
		}
	}
	b := builtSnapshot{msg: msg, z: live.NewDeflated(msg), seq: seq, at: s.parts.at} // as old as what it shows
	s.snaps[area] = b
	return live.Message{JSON: b.msg, Seq: seq, Deflated: b.z}, nil
}

// builtSnapshot is a screen snapshot kept for sockets connecting together.
type builtSnapshot struct {
	msg []byte
	z   *live.Deflated // compressed on first use, by the first socket that asks
	seq uint64
	at  time.Time
}

// snapshotParts are what a screen snapshot holds, read at one seq.
type snapshotParts struct {
	seq    uint64
	at     time.Time
	open   []*incident.Summary
	total  int
	alarms []*alarm.Alarm
	active any
	units  any
}

func (a *Server) readSnapshotParts(ctx context.Context, seq uint64) (*snapshotParts, error) {
	// Only those the snapshot shows are read, however many are open.
	list, total, err := a.Incidents.Open(ctx, a.Config.Streams.SnapshotIncidents)
	if err != nil {
		return nil, err
	}
	open := make([]*incident.Summary, len(list))
	for i, inc := range list {
		open[i] = inc.Summarize()
	}
	alarms, err := a.Alarms.List(ctx, true)
	if err != nil {
		return nil, err
	}
	active, err := a.Dispatch.Active(ctx)
	if err != nil {
		return nil, err
	}
	return &snapshotParts{seq: seq, at: time.Now(), open: open, total: total, alarms: alarms, active: active,
		units: a.Units.Fleet.List(false, false)}, nil
}

// encodeSnapshot writes the snapshot an account of area receives: alarms
// of other areas left out.
func (a *Server) encodeSnapshot(p *snapshotParts, area string) ([]byte, error) {
	alarms := p.alarms
	if area != "" {
		alarms = slices.DeleteFunc(slices.Clone(alarms), func(al *alarm.Alarm) bool { return al.Area != "" && !a.Cases.Visible(area, al.Area) })
	}
	msg, _, err := a.Envelope("snapshot", p.seq, map[string]any{
		"incidents": p.open, "incidents_total": p.total, "incidents_truncated": len(p.open) < p.total,
		"units": p.units, "alarms": alarms, "dispatches": p.active,
	})
	return msg, err
}

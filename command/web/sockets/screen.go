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

// snapshotTTL is how long a built screen snapshot is shared: sockets replay
// from the stream what came after it (units move without a seq; the next
// position frame makes them good).
const snapshotTTL = time.Second

// screenSnapshot is the screen's state at the seq it reflects: summaries of
// the open incidents (at most streams.snapshot_incidents, most serious
// first, then latest changed), units, open alarms and active orders. It is
// the same for every account of one area, so one build per area (and its
// compressed form) serves the sockets connecting within snapshotTTL.
func (a *Server) screenSnapshot(ctx context.Context, area string) (live.Message, error) {
	start := time.Now()
	seq, err := a.Source.Seq(ctx, vocab.ScreenStream)
	if err != nil {
		return live.Message{}, err
	}
	s := &a.ws
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	if b, ok := s.snaps[area]; ok && a.replayable(b.read, seq) {
		return live.Message{JSON: b.msg, Seq: b.seq, Deflated: b.z}, nil
	}
	// What every area shares is read from storage once; only the alarms
	// differ between areas. The seq was read first: the parts show at least
	// that, and a replayed event changes nothing they already show.
	if s.parts == nil || !a.replayable(s.parts.read, seq) {
		p, err := a.readSnapshotParts(ctx, read{seq, start})
		if err != nil {
			return live.Message{}, err
		}
		s.parts = p
	}
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
	b := builtSnapshot{msg: msg, z: live.NewDeflated(msg), read: s.parts.read}
	s.snaps[area] = b
	return live.Message{JSON: b.msg, Seq: b.seq, Deflated: b.z}, nil
}

// read is where a snapshot was read: the stream's seq, and when.
type read struct {
	seq uint64
	at  time.Time
}

// replayable reports whether a snapshot read at r may still serve a socket
// while the stream is at now: young enough, not ahead of the stream (which
// lost data if so), and what followed it still held.
func (a *Server) replayable(r read, now uint64) bool {
	return time.Since(r.at) < snapshotTTL && r.seq <= now && now-r.seq < uint64(a.Config.Streams.MaxLen)
}

// builtSnapshot is a screen snapshot kept for sockets connecting together.
type builtSnapshot struct {
	msg []byte
	z   *live.Deflated // compressed on first use, by the first socket that asks
	read
}

// snapshotParts are what a screen snapshot holds, read at one seq.
type snapshotParts struct {
	read
	open   []*incident.Summary
	total  int
	alarms []*alarm.Alarm
	active any
	units  any
}

func (a *Server) readSnapshotParts(ctx context.Context, r read) (*snapshotParts, error) {
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
	return &snapshotParts{read: r, open: open, total: total, alarms: alarms, active: active,
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

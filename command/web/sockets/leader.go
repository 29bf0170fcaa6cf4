package sockets

import (
	"context"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"watchfloor/command/incident"
	"watchfloor/command/live"
	"watchfloor/command/plan"
	"watchfloor/command/vocab"
)

// leaderSocket serves /ws/leader: approvals waiting and plans active.
func (a *Server) leaderSocket() []fiber.Handler {
	return a.socketWith(func(*websocket.Conn) socketSpec {
		return socketSpec{stream: vocab.LeaderStream, snapshot: func(ctx context.Context) (live.Message, error) { return live.SnapshotOf(a.leaderSnapshot(ctx)) }}
	})
}

func (a *Server) leaderSnapshot(ctx context.Context) ([]byte, uint64, error) {
	seq, err := a.Source.Seq(ctx, vocab.LeaderStream)
	if err != nil {
		return nil, 0, err
	}
	acts, err := a.Plans.List(ctx, "")
	if err != nil {
		return nil, 0, err
	}
	type item struct {
		*plan.Activation
		Incident *incident.Incident `json:"incident"`
	}
	items := make([]item, 0, len(acts))
	for _, act := range acts {
		if act.IncidentID == "" { // started on a higher body's request
			items = append(items, item{act, nil})
			continue
		}
		inc, err := a.Incidents.Load(ctx, act.IncidentID)
		if err != nil {
			continue
		}
		items = append(items, item{act, inc})
	}
	return a.Envelope("snapshot", seq, map[string]any{"activations": items})
}

package sockets

import (
	"context"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"watchfloor/command/live"
)

// sessionStream is a stream nothing is ever written to: /ws/session
// carries only heartbeats, so that a page without a stream of its own (the
// reports) learns at once that its session ended.
const sessionStream = "session"

// sessionSocket serves /ws/session: an empty snapshot, then heartbeats,
// closed with 4001 when the session ends anywhere.
func (a *Server) sessionSocket() []fiber.Handler {
	return a.socketWith(func(*websocket.Conn) socketSpec {
		return socketSpec{stream: sessionStream, snapshot: func(context.Context) (live.Message, error) {
			return live.SnapshotOf(a.Envelope("snapshot", 0, struct{}{}))
		}}
	})
}

package web

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/live"
)

const writeWait = 10 * time.Second

// screenSocket serves /ws/screen: a snapshot (or a replay after ?since=),
// then every event of the screen stream with its seq.
func (a *API) screenSocket() []fiber.Handler {
	return a.socket("screen", a.screenSnapshot)
}

// socket upgrades a checked request to a websocket that serves stream.
func (a *API) socket(stream string, snap live.Snapshot) []fiber.Handler {
	pre := func(c *fiber.Ctx) error {
		if !websocket.IsWebSocketUpgrade(c) {
			return fiber.ErrUpgradeRequired
		}
		if !a.sameOrigin(c) {
			return forbidden("websocket origin " + c.Get(fiber.HeaderOrigin) + " is not allowed")
		}
		if v := c.Query("since"); v != "" {
			if _, err := strconv.ParseUint(v, 10, 64); err != nil {
				return fault.Field("since", "must be a seq: a whole number")
			}
		}
		if a.base.Err() != nil {
			return fault.ErrUnavailable
		}
		a.sockets.Add(1)
		return c.Next()
	}
	ws := websocket.New(func(conn *websocket.Conn) {
		defer a.sockets.Done()
		a.serveSocket(conn, stream, snap)
	}, websocket.Config{HandshakeTimeout: 5 * time.Second, ReadBufferSize: 4096, WriteBufferSize: 8192})
	return []fiber.Handler{pre, func(c *fiber.Ctx) error {
		err := ws(c)
		if err != nil {
			a.sockets.Done() // the upgrade failed: the handler will never run
		}
		return err
	}}
}

func (a *API) serveSocket(conn *websocket.Conn, stream string, snap live.Snapshot) {
	ctx, cancel := context.WithCancel(a.base)
	defer cancel()
	var since *uint64
	if v := conn.Query("since"); v != "" {
		n, _ := strconv.ParseUint(v, 10, 64)
		since = &n
	}
	// The reader only reads: it notices a closed connection and answers
	// nothing itself (replies go through the writer).
	readerDone := make(chan struct{})
	conn.SetReadLimit(64 << 10)
	go func() {
		defer close(readerDone)
		defer cancel()
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
	client := &live.Client{Hub: a.Hub, Stream: stream, Queue: a.Config.Streams.SendQueue, Heartbeat: a.Config.Streams.Heartbeat, Snapshot: snap}
	err := client.Serve(ctx, since, nil, func(b []byte) error {
		_ = conn.SetWriteDeadline(time.Now().Add(writeWait))
		return conn.WriteMessage(websocket.TextMessage, b)
	})
	code, text := websocket.CloseNormalClosure, ""
	switch {
	case a.base.Err() != nil:
		code, text = websocket.CloseGoingAway, "server shutting down; reconnect with since"
	case errors.Is(err, live.ErrBehind):
		code, text = websocket.ClosePolicyViolation, "too far behind; reconnect with since"
	case err != nil && ctx.Err() == nil:
		code, text = websocket.CloseTryAgainLater, "temporarily unavailable; reconnect with since"
		a.Log.Warn("websocket ended", "stream", stream, "err", err)
	}
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
	// fasthttp closes a hijacked connection only after this handler
	// returns (its Close is a no-op), so wake the reader with a deadline.
	_ = conn.SetReadDeadline(time.Now())
	<-readerDone
}

// screenSnapshot is the screen's state: every incident not closed, with the
// seq it reflects.
func (a *API) screenSnapshot(ctx context.Context) ([]byte, uint64, error) {
	seq, err := a.Source.Seq(ctx, "screen")
	if err != nil {
		return nil, 0, err
	}
	var open []*incident.Incident
	for _, st := range []string{incident.StatusOpen, incident.StatusResponding, incident.StatusRecovery} {
		list, err := a.Incidents.List(ctx, incident.Query{Status: st, Limit: 1000})
		if err != nil {
			return nil, 0, err
		}
		for _, inc := range list {
			open = append(open, inc.Masked())
		}
	}
	if open == nil {
		open = []*incident.Incident{}
	}
	msg, err := json.Marshal(struct {
		Seq  uint64 `json:"seq"`
		Type string `json:"type"`
		At   string `json:"at"`
		Data any    `json:"data"`
	}{seq, "snapshot", time.Now().UTC().Format(time.RFC3339Nano), map[string]any{"incidents": open, "units": a.Units.Fleet.List(false)}})
	return msg, seq, err
}

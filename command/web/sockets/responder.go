package sockets

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"watchfloor/command/auth"
	"watchfloor/command/dispatch"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/live"
	"watchfloor/command/strictjson"
	"watchfloor/command/unit"
	"watchfloor/command/vocab"
	"watchfloor/command/web/rest"
	"watchfloor/command/web/units"
)

// responderSocket serves /ws/responder: the stream of the session's unit,
// and the responder's answers (ack, status, position) on the same socket.
func (a *Server) responderSocket() []fiber.Handler {
	pre := func(c *fiber.Ctx) error {
		if rest.Session(c).Unit == "" {
			return rest.Forbidden("this account is bound to no unit")
		}
		return c.Next()
	}
	hs := a.socketWith(func(conn *websocket.Conn) socketSpec {
		sess, _ := conn.Locals(rest.SessionKey).(auth.Session)
		// One bucket per socket, used only by its reader goroutine.
		limit := &rest.Bucket{Tokens: a.Config.Limits.SocketBurst, Last: time.Now()}
		return socketSpec{
			stream:    vocab.UnitStream(sess.Unit),
			readLimit: responderLimit,
			snapshot: func(ctx context.Context) (live.Message, error) {
				return live.SnapshotOf(a.responderSnapshot(ctx, sess.Unit))
			},
			handle: func(ctx context.Context, msg []byte) []byte {
				if ok, _ := limit.Take(time.Now(), a.Config.Limits.SocketRate, a.Config.Limits.SocketBurst); !ok {
					return a.overRate(sess, msg)
				}
				return a.responderMessage(ctx, sess, msg)
			},
		}
	})
	return append([]fiber.Handler{pre}, hs...)
}

type orderView struct {
	DispatchID string             `json:"dispatch_id"`
	Dispatch   *dispatch.Dispatch `json:"dispatch"`
	Incident   *incident.Incident `json:"incident"`
}

func (a *Server) responderSnapshot(ctx context.Context, unitID string) ([]byte, uint64, error) {
	seq, err := a.Source.Seq(ctx, vocab.UnitStream(unitID))
	if err != nil {
		return nil, 0, err
	}
	ds, err := a.Dispatch.Pending(ctx, unitID)
	if err != nil {
		return nil, 0, err
	}
	orders := make([]orderView, 0, len(ds))
	for _, d := range ds {
		inc, err := a.Incidents.Load(ctx, d.IncidentID)
		if err != nil {
			return nil, 0, err
		}
		orders = append(orders, orderView{DispatchID: d.ID, Dispatch: d, Incident: inc.Masked()})
	}
	tasks, err := a.Plans.UnitTasks(ctx, unitID)
	if err != nil {
		return nil, 0, err
	}
	v, _ := a.Units.Fleet.Get(unitID, false)
	return a.Envelope("snapshot", seq, map[string]any{"unit": v, "orders": orders, "tasks": tasks})
}

// responderIn is a message a responder sends.
type responderIn struct {
	Type       string `json:"type"`
	ID         string `json:"id"` // the client's own message id, echoed in the reply
	DispatchID string `json:"dispatch_id"`
	Status     string `json:"status"`
	units.Reading
}

// maxMessageID bounds the ids a reply echoes (the client's message id and
// the dispatch id); maxMessageType bounds the echoed type.
const (
	maxMessageID   = 128
	maxMessageType = 32
)

// bound clears the fields a reply echoes when they are too long to echo,
// and says which one was.
func (in *responderIn) bound() error {
	if len(in.Type) > maxMessageType {
		in.Type = ""
	}
	switch {
	case len(in.ID) > maxMessageID:
		in.ID, in.DispatchID = "", ""
		return fault.Field("id", "at most %d bytes", maxMessageID)
	case len(in.DispatchID) > maxMessageID:
		in.DispatchID = ""
		return fault.Field("dispatch_id", "at most %d bytes", maxMessageID)
	}
	return nil
}

// decodeResponderMessage strictly decodes a message a responder sends and,
// for a position, reads and checks the position (a zero At means "now").
// On an error, in holds what could be read, for the reply.
func decodeResponderMessage(raw []byte) (in responderIn, pos unit.Position, err error) {
	if err := strictjson.Decode(raw, &in); err != nil {
		return responderIn{}, pos, err
	}
	if err := in.bound(); err != nil {
		return in, pos, err
	}
	switch in.Type {
	case "ack", "status":
		return in, pos, nil
	case "position":
		pos, err = in.Position()
		return in, pos, err
	}
	return in, pos, fault.Field("type", "must be ack, status or position")
}

// overRate answers a message beyond the socket's rate with an error; the
// message is dropped.
func (a *Server) overRate(sess auth.Session, raw []byte) []byte {
	var in responderIn
	if json.Unmarshal(raw, &in) != nil {
		in = responderIn{}
	}
	_ = in.bound()
	a.Log.Debug("responder message over the socket's rate dropped", "unit", sess.Unit)
	return a.reply(&in, errRateLimited{rate: a.Config.Limits.SocketRate}, nil)
}

// errRateLimited is a message beyond the socket's rate.
type errRateLimited struct{ rate float64 }

func (e errRateLimited) Error() string {
	return "too many messages on this socket: at most " + strconv.FormatFloat(e.rate, 'f', -1, 64) + " a second on average; this one was dropped"
}

// reply is a volatile answer to one responder message.
func (a *Server) reply(in *responderIn, err error, data any) []byte {
	type body struct {
		ReplyTo    string             `json:"reply_to,omitempty"`
		Request    string             `json:"request"`
		DispatchID string             `json:"dispatch_id,omitempty"`
		OK         bool               `json:"ok"`
		Code       string             `json:"code,omitempty"`
		Message    string             `json:"message,omitempty"`
		Errors     []fault.FieldError `json:"errors,omitempty"`
		Result     any                `json:"result,omitempty"`
	}
	b := body{ReplyTo: in.ID, Request: in.Type, DispatchID: in.DispatchID, OK: err == nil, Result: data}
	typ := "reply"
	if err != nil {
		typ = "error"
		b.Code, b.Message = errorCode(err), err.Error()
		var inv *fault.Invalid
		if errors.As(err, &inv) {
			b.Errors = inv.Errors
		}
		if b.Code == "internal" {
			a.Log.Error("responder request failed", "request", in.Type, "dispatch", in.DispatchID, "err", err)
			b.Message = "an internal error occurred; it has been logged"
		}
	}
	msg, _ := json.Marshal(struct {
		Type string `json:"type"`
		At   string `json:"at"`
		Data body   `json:"data"`
	}{typ, a.Clock().UTC().Format(time.RFC3339Nano), b})
	return msg
}

func errorCode(err error) string {
	var inv *fault.Invalid
	var rl errRateLimited
	switch {
	case errors.As(err, &rl):
		return "rate_limited"
	case errors.As(err, &inv):
		return "invalid"
	case errors.Is(err, fault.ErrForbidden):
		return "forbidden"
	case errors.Is(err, fault.ErrNotFound):
		return "not_found"
	case errors.Is(err, fault.ErrConflict):
		return "conflict"
	case errors.Is(err, fault.ErrUnavailable):
		return "unavailable"
	}
	return "internal"
}

func (a *Server) responderMessage(ctx context.Context, sess auth.Session, raw []byte) []byte {
	in, pos, err := decodeResponderMessage(raw)
	if err != nil {
		// Best effort: what the error replies to.
		var ref struct {
			Type       string `json:"type"`
			ID         string `json:"id"`
			DispatchID string `json:"dispatch_id"`
		}
		if in.Type == "" && json.Unmarshal(raw, &ref) == nil {
			in = responderIn{Type: ref.Type, ID: ref.ID, DispatchID: ref.DispatchID}
			_ = in.bound()
		}
		return a.reply(&in, err, nil)
	}
	who := vocab.Actor{Username: sess.Username, Role: sess.Role}
	switch in.Type {
	case "ack":
		d, err := a.Dispatch.Ack(ctx, who, sess.Unit, in.DispatchID)
		return a.reply(&in, err, d)
	case "status":
		d, err := a.Dispatch.Step(ctx, who, sess.Unit, in.DispatchID, in.Status)
		return a.reply(&in, err, d)
	}
	sm := unit.Sample{UnitID: sess.Unit, Position: pos}
	if err := a.Ingest.Check(&sm); err != nil {
		return a.reply(&in, err, nil)
	}
	flags, err := a.Ingest.Submit(ctx, []unit.Sample{sm})
	if err != nil {
		return a.reply(&in, err, nil)
	}
	return a.reply(&in, nil, map[string]any{"flags": flags[0].Names()})
}

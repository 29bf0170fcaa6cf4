package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"watchfloor/command/auth"
	"watchfloor/command/dispatch"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/unit"
)

type dispatchRequest struct {
	UnitIDs []string `json:"unit_ids"`
	Note    string   `json:"note"`
}

func (a *API) createDispatches(c *fiber.Ctx) error {
	var req dispatchRequest
	if _, err := a.decode(c, &req); err != nil {
		return err
	}
	ds, err := a.Dispatch.Create(c.UserContext(), actor(c), strings.Clone(c.Params("id")), req.UnitIDs, req.Note)
	if err != nil {
		return err
	}
	return c.Status(201).JSON(fiber.Map{"dispatches": ds})
}

func (a *API) listDispatches(c *fiber.Ctx) error {
	id := strings.Clone(c.Params("id"))
	if _, err := a.Incidents.Load(c.UserContext(), id); err != nil {
		return err
	}
	ds, err := a.Dispatch.ForIncident(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"dispatches": ds})
}

func (a *API) getDispatch(c *fiber.Ctx) error {
	d, err := a.Dispatch.Load(c.UserContext(), strings.Clone(c.Params("id")))
	if err != nil {
		return err
	}
	if s := session(c); s.Role == "responder" && d.UnitID != s.Unit {
		return forbidden("a responder sees only its own unit's orders")
	}
	return c.JSON(d)
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

func (a *API) cancelDispatch(c *fiber.Ctx) error {
	var req reasonRequest
	if _, err := a.decode(c, &req); err != nil {
		return err
	}
	d, err := a.Dispatch.Cancel(c.UserContext(), actor(c), strings.Clone(c.Params("id")), req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (a *API) listAlarms(c *fiber.Ctx) error {
	state := c.Query("state", "open")
	if state != "open" && state != "all" {
		return fault.Field("state", "must be open or all")
	}
	list, err := a.Alarms.List(c.UserContext(), state == "open")
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"alarms": list, "count": len(list)})
}

func (a *API) ackAlarm(c *fiber.Ctx) error {
	// Alarm ids hold ':'; clients may send it escaped.
	id, err := url.PathUnescape(c.Params("id"))
	if err != nil {
		return fault.Field("id", "not a valid path segment")
	}
	al, err := a.Alarms.Ack(c.UserContext(), strings.Clone(id), session(c).Username, session(c).Role)
	if err != nil {
		return err
	}
	return c.JSON(al)
}

// responderSocket serves /ws/responder: the stream of the session's unit,
// and the responder's answers (ack, status, position) on the same socket.
func (a *API) responderSocket() []fiber.Handler {
	pre := func(c *fiber.Ctx) error {
		if session(c).Unit == "" {
			return forbidden("this account is bound to no unit")
		}
		return c.Next()
	}
	hs := a.socketWith(func(conn *websocket.Conn) socketSpec {
		sess, _ := conn.Locals(sessionKey).(auth.Session)
		return socketSpec{
			stream:   UnitStreamName(sess.Unit),
			verify:   true,
			snapshot: func(ctx context.Context) ([]byte, uint64, error) { return a.responderSnapshot(ctx, sess.Unit) },
			handle: func(ctx context.Context, msg []byte) []byte {
				return a.responderMessage(ctx, sess, msg)
			},
		}
	})
	return append([]fiber.Handler{pre}, hs...)
}

// UnitStreamName is the stream of a unit's responder (as the store names it).
func UnitStreamName(id string) string { return "unit:" + id }

type orderView struct {
	DispatchID string             `json:"dispatch_id"`
	Dispatch   *dispatch.Dispatch `json:"dispatch"`
	Incident   *incident.Incident `json:"incident"`
}

func (a *API) responderSnapshot(ctx context.Context, unitID string) ([]byte, uint64, error) {
	seq, err := a.Source.Seq(ctx, UnitStreamName(unitID))
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
	v, _ := a.Units.Fleet.Get(unitID, false)
	return envelope("snapshot", seq, map[string]any{"unit": v, "orders": orders})
}

func envelope(typ string, seq uint64, data any) ([]byte, uint64, error) {
	msg, err := json.Marshal(struct {
		Seq  uint64 `json:"seq"`
		Type string `json:"type"`
		At   string `json:"at"`
		Data any    `json:"data"`
	}{seq, typ, time.Now().UTC().Format(time.RFC3339Nano), data})
	return msg, seq, err
}

// responderIn is a message a responder sends.
type responderIn struct {
	Type       string   `json:"type"`
	ID         string   `json:"id"` // the client's own message id, echoed in the reply
	DispatchID string   `json:"dispatch_id"`
	Status     string   `json:"status"`
	Lon        *float64 `json:"lon"`
	Lat        *float64 `json:"lat"`
	At         string   `json:"at"`
	SpeedMPS   *float64 `json:"speed_mps"`
	Heading    *float64 `json:"heading"`
	AccuracyM  *float64 `json:"accuracy_m"`
	BatteryPct *float64 `json:"battery_pct"`
}

// reply is a volatile answer to one responder message.
func (a *API) reply(in *responderIn, err error, data any) []byte {
	type body struct {
		ReplyTo    string `json:"reply_to,omitempty"`
		Request    string `json:"request"`
		DispatchID string `json:"dispatch_id,omitempty"`
		OK         bool   `json:"ok"`
		Code       string `json:"code,omitempty"`
		Message    string `json:"message,omitempty"`
		Result     any    `json:"result,omitempty"`
	}
	b := body{ReplyTo: in.ID, Request: in.Type, DispatchID: in.DispatchID, OK: err == nil, Result: data}
	typ := "reply"
	if err != nil {
		typ = "error"
		b.Code, b.Message = errorCode(err), err.Error()
		if b.Code == "internal" {
			a.Log.Error("responder request failed", "request", in.Type, "dispatch", in.DispatchID, "err", err)
			b.Message = "an internal error occurred; it has been logged"
		}
	}
	msg, _ := json.Marshal(struct {
		Type string `json:"type"`
		At   string `json:"at"`
		Data body   `json:"data"`
	}{typ, time.Now().UTC().Format(time.RFC3339Nano), b})
	return msg
}

func errorCode(err error) string {
	var inv *fault.Invalid
	switch {
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

func (a *API) responderMessage(ctx context.Context, sess auth.Session, raw []byte) []byte {
	var in responderIn
	if err := incident.DecodeJSON(raw, &in); err != nil {
		// Best effort: what the error replies to.
		var ref struct {
			Type       string `json:"type"`
			ID         string `json:"id"`
			DispatchID string `json:"dispatch_id"`
		}
		_ = json.Unmarshal(raw, &ref)
		return a.reply(&responderIn{Type: ref.Type, ID: ref.ID, DispatchID: ref.DispatchID}, err, nil)
	}
	who := incident.Actor{Username: sess.Username, Role: sess.Role}
	switch in.Type {
	case "ack":
		d, err := a.Dispatch.Ack(ctx, who, sess.Unit, in.DispatchID)
		return a.reply(&in, err, d)
	case "status":
		d, err := a.Dispatch.Step(ctx, who, sess.Unit, in.DispatchID, in.Status)
		return a.reply(&in, err, d)
	case "position":
		p := positionIn{UnitID: sess.Unit, Lon: in.Lon, Lat: in.Lat, At: in.At, SpeedMPS: in.SpeedMPS, Heading: in.Heading, AccuracyM: in.AccuracyM, BatteryPct: in.BatteryPct}
		sm, err := a.sample(&p)
		if err == nil {
			err = a.Ingest.Check(&sm)
		}
		if err != nil {
			return a.reply(&in, fault.Field("position", "%v", err), nil)
		}
		flags, err := a.Ingest.Submit(ctx, []unit.Sample{sm})
		if err != nil {
			return a.reply(&in, err, nil)
		}
		return a.reply(&in, nil, map[string]any{"flags": flags[0].Names()})
	}
	return a.reply(&in, fault.Field("type", "must be ack, status or position"), nil)
}

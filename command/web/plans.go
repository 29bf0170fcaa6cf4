package web

import (
	"context"
	"strings"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"watchfloor/command/audit"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/plan"
	"watchfloor/command/strictjson"
	"watchfloor/command/vocab"
)

func (a *API) listPlans(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"plans": a.Plans.Plans()})
}

func (a *API) listActivations(c *fiber.Ctx) error {
	status := c.Query("status")
	switch status {
	case "", plan.Proposed, plan.Active, plan.Rejected, plan.Ended:
	default:
		return fault.Field("status", "must be proposed, active, rejected or ended")
	}
	list, err := a.Plans.List(c.UserContext(), status)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"activations": list, "count": len(list)})
}

func (a *API) getActivation(c *fiber.Ctx) error {
	act, err := a.Plans.Load(c.UserContext(), strings.Clone(c.Params("id")))
	if err != nil {
		return err
	}
	return c.JSON(act)
}

type phaseRequest struct {
	Phase  string `json:"phase"`
	Reason string `json:"reason"`
}

// activationAction serves approve, reject, end and phase.
func (a *API) activationAction(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		b, err := a.body(c)
		if err != nil {
			return err
		}
		var req phaseRequest
		if len(b) > 0 {
			if err := strictjson.Decode(b, &req); err != nil {
				return err
			}
		}
		if req.Phase != "" && action != "phase" {
			return fault.Field("phase", "unknown field")
		}
		req.Reason = reasonText(req.Reason)
		if len([]rune(req.Reason)) > 2000 {
			return fault.Field("reason", "at most 2000 characters")
		}
		id, who := strings.Clone(c.Params("id")), actor(c)
		var act *plan.Activation
		switch action {
		case "approve":
			act, err = a.Plans.Approve(c.UserContext(), who, id, req.Reason)
		case "reject":
			act, err = a.Plans.Reject(c.UserContext(), who, id, req.Reason)
		case "end":
			act, err = a.Plans.End(c.UserContext(), who, id, req.Reason)
		case "phase":
			act, err = a.Plans.Phase(c.UserContext(), who, id, req.Phase, req.Reason)
		}
		if err != nil {
			return err
		}
		return c.JSON(act)
	}
}

func (a *API) auditTrail(c *fiber.Ctx) error {
	if s := session(c); s.Area != "" {
		// The trail spans every area (cases, daily reports, exports) and its
		// records carry no area to filter by.
		return forbidden("the audit trail spans every area; an account limited to " + s.Area + " may not read it")
	}
	q := audit.Query{Who: c.Query("who"), Action: c.Query("action"), Object: c.Query("object"), IncidentID: c.Query("incident_id")}
	bad := &fault.Invalid{}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if v := c.Query(f.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				bad.Add(f.name, "must be an RFC 3339 time")
			}
			*f.dst = t
		}
	}
	format := c.Query("format", "json")
	if format != "json" && format != "csv" {
		bad.Add("format", "must be json or csv")
	}
	if v := c.Query("limit"); v != "" {
		n := 0
		for _, r := range v {
			if r < '0' || r > '9' {
				n = -1
				break
			}
			n = n*10 + int(r-'0')
			if n > 100000 {
				break
			}
		}
		if n < 1 || n > 100000 {
			bad.Add("limit", "a whole number from 1 to 100000")
		}
		q.Limit = n
	}
	if err := bad.Err(); err != nil {
		return err
	}
	records, err := a.Audit.Audit(c.UserContext(), q)
	if err != nil {
		return err
	}
	if format == "csv" {
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="audit.csv"`)
		return c.Send(audit.CSV(records))
	}
	if records == nil {
		records = []audit.Record{}
	}
	return c.JSON(fiber.Map{"records": records, "count": len(records)})
}

// leaderSocket serves /ws/leader: approvals waiting and plans active.
func (a *API) leaderSocket() []fiber.Handler {
	return a.socketWith(func(*websocket.Conn) socketSpec {
		return socketSpec{stream: vocab.LeaderStream, snapshot: a.leaderSnapshot}
	})
}

func (a *API) leaderSnapshot(ctx context.Context) ([]byte, uint64, error) {
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
		inc, err := a.Incidents.Load(ctx, act.IncidentID)
		if err != nil {
			continue
		}
		items = append(items, item{act, inc})
	}
	return envelope("snapshot", seq, map[string]any{"activations": items})
}

package incidents

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/fault"
	"watchfloor/command/plan"
	"watchfloor/command/strictjson"
	"watchfloor/command/web/rest"
)

func (a *handlers) listPlans(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"plans": a.Plans.Plans()})
}

// maxActivations bounds a list's limit.
const maxActivations = 500

// listActivations lists the activations of a status: all of them, oldest
// proposal first, or with limit those changed last, newest first; total
// is how many have the status.
func (a *handlers) listActivations(c *fiber.Ctx) error {
	status := c.Query("status")
	bad := &fault.Invalid{}
	switch status {
	case "", plan.Proposed, plan.Active, plan.Rejected, plan.Ended:
	default:
		bad.Add("status", "must be proposed, active, rejected or ended")
	}
	limit := rest.QueryLimit(c, bad, 0, maxActivations)
	if err := bad.Err(); err != nil {
		return err
	}
	if limit == 0 {
		list, err := a.Plans.List(c.UserContext(), status)
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"activations": list, "count": len(list), "total": len(list)})
	}
	list, total, err := a.Plans.Latest(c.UserContext(), status, limit)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"activations": list, "count": len(list), "total": total})
}

func (a *handlers) getActivation(c *fiber.Ctx) error {
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
func (a *handlers) activationAction(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		b, err := a.Body(c)
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
		req.Reason = rest.ReasonText(req.Reason)
		if len([]rune(req.Reason)) > 2000 {
			return fault.Field("reason", "at most 2000 characters")
		}
		id, who := strings.Clone(c.Params("id")), rest.Actor(c)
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

// startRequest is the body of POST /api/v1/activations.
type startRequest struct {
	PlanID     string         `json:"plan_id"`
	IncidentID string         `json:"incident_id"`
	Request    *higherBodyAsk `json:"request"`
	WarningID  string         `json:"warning_id"`
	Level      string         `json:"level"`
	Groups     []string       `json:"groups"`
	Reason     string         `json:"reason"`
}

// higherBodyAsk is a higher body's request (上级要求): who asked, when
// (RFC 3339; empty: now), what.
type higherBodyAsk struct {
	From string `json:"from"`
	At   string `json:"at"`
	Text string `json:"text"`
}

// startActivation starts a plan by hand, approved by the caller.
func (a *handlers) startActivation(c *fiber.Ctx) error {
	var req startRequest
	b, err := a.Decode(c, &req)
	if err != nil {
		return err
	}
	// A repeat after a lost answer (same key, same body) answers the first
	// activation: pressing 启动并下达任务 again never sends tasks twice.
	idem, err := a.Idempotency(c, "activations", b)
	if err != nil {
		return err
	}
	st := plan.Start{PlanID: strings.TrimSpace(req.PlanID), IncidentID: strings.TrimSpace(req.IncidentID), Level: strings.TrimSpace(req.Level),
		WarningID: strings.TrimSpace(req.WarningID), Groups: req.Groups, Reason: rest.ReasonText(req.Reason)}
	if r := req.Request; r != nil {
		st.Request = &plan.Request{From: r.From, Text: r.Text}
		plan.CleanRequest(st.Request)
		if r.At != "" {
			at, err := time.Parse(time.RFC3339, r.At)
			if err != nil {
				return fault.Field("request.at", "must be an RFC 3339 time, like 2026-07-01T08:00:00+08:00")
			}
			st.Request.At = at.UTC()
		}
	}
	act, replayed, err := a.Plans.StartByHandOnce(c.UserContext(), rest.Actor(c), st, idem)
	if err != nil {
		return err
	}
	if replayed {
		c.Set("Idempotency-Replayed", "true")
	}
	return c.Status(fiber.StatusCreated).JSON(act)
}

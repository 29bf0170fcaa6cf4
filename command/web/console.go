package web

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/inforeport"
	"watchfloor/command/vocab"
)

// The operator's console: possible duplicates of a call, closing with an
// after-action summary, information reports per deadline, redirecting an
// order.

type statusRequest struct {
	Status  string                 `json:"status"`
	Reason  string                 `json:"reason"`
	Summary *incident.SummaryInput `json:"summary"`
}

func (a *API) setStatus(c *fiber.Ctx) error {
	var req statusRequest
	if _, err := a.decode(c, &req); err != nil {
		return err
	}
	if len(req.Reason) > 2000 {
		return fault.Field("reason", "at most 2000 characters")
	}
	inc, err := a.Incidents.Transition(c.UserContext(), actor(c), strings.Clone(c.Params("id")), req.Status, reasonText(req.Reason), req.Summary)
	if err != nil {
		return err
	}
	return c.JSON(a.view(c, inc))
}

// duplicates answers GET /api/v1/incidents/duplicates?category=&lon=&lat=
// (or grid= instead of lon and lat).
func (a *API) duplicates(c *fiber.Ctx) error {
	q := incident.Near{Category: strings.Clone(c.Query("category")), Grid: strings.Clone(c.Query("grid"))}
	bad := &fault.Invalid{}
	lon, lat := c.Query("lon"), c.Query("lat")
	if lon != "" || lat != "" || q.Grid == "" {
		x, errX := strconv.ParseFloat(lon, 64)
		y, errY := strconv.ParseFloat(lat, 64)
		if errX != nil {
			bad.Add("lon", "required: a longitude in degrees (or give grid instead of lon and lat)")
		}
		if errY != nil {
			bad.Add("lat", "required: a latitude in degrees (or give grid instead of lon and lat)")
		}
		if q.Grid != "" {
			bad.Add("grid", "give either lon and lat or grid, not both")
		}
		q.Location = &vocab.Location{Lon: x, Lat: y}
	}
	if q.Category == "" {
		bad.Add("category", "required: the category of the new call")
	}
	if err := bad.Err(); err != nil {
		return err
	}
	res, err := a.Incidents.Duplicates(c.UserContext(), q)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

func (a *API) getInfoReport(c *fiber.Ctx) error {
	r, err := a.Reports.InfoReport(c.UserContext(), strings.Clone(c.Params("id")), strings.Clone(c.Params("deadline")))
	if err != nil {
		return err
	}
	return c.JSON(r)
}

type reportTextRequest struct {
	Text *string `json:"text" wf:"required"`
}

func (a *API) saveInfoReport(c *fiber.Ctx) error {
	var req reportTextRequest
	if _, err := a.decode(c, &req); err != nil {
		return err
	}
	if req.Text == nil {
		return fault.Field("text", "required")
	}
	id, dl := strings.Clone(c.Params("id")), strings.Clone(c.Params("deadline"))
	if _, err := a.Reports.SaveReport(c.UserContext(), actor(c), id, dl, *req.Text); err != nil {
		return err
	}
	r, err := a.Reports.InfoReport(c.UserContext(), id, dl)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

// exportInfoReport serves the report as text: the text as sent, else the
// current text (saved edit or fresh draft).
func (a *API) exportInfoReport(c *fiber.Ctx) error {
	r, err := a.Reports.InfoReport(c.UserContext(), strings.Clone(c.Params("id")), strings.Clone(c.Params("deadline")))
	if err != nil {
		return err
	}
	text := r.Text
	if r.Sent != nil && r.Sent.Text != "" {
		text = r.Sent.Text
	}
	c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s-%s.txt"`, safeName(r.IncidentID), safeName(r.DeadlineID)))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString(text)
}

// safeName keeps the characters a file name may carry in a header.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

func (a *API) recordSent(c *fiber.Ctx) error {
	var req inforeport.SendInput
	if _, err := a.decode(c, &req); err != nil {
		return err
	}
	inc, err := a.Reports.RecordSent(c.UserContext(), actor(c), strings.Clone(c.Params("id")), strings.Clone(c.Params("deadline")), req)
	if err != nil {
		return err
	}
	return c.JSON(a.view(c, inc))
}

type redirectRequest struct {
	UnitID string `json:"unit_id"`
	Note   string `json:"note"`
}

// redirectDispatch cancels an order and sends another unit in its place
// (改派), both in one commit.
func (a *API) redirectDispatch(c *fiber.Ctx) error {
	var req redirectRequest
	if _, err := a.decode(c, &req); err != nil {
		return err
	}
	old, next, err := a.Dispatch.Redirect(c.UserContext(), actor(c), strings.Clone(c.Params("id")), req.UnitID, req.Note)
	if err != nil {
		return err
	}
	return c.Status(201).JSON(fiber.Map{"cancelled": old, "dispatch": next})
}

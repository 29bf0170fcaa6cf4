// Package incidents serves the incident desk's resources: incidents and
// their deadlines' information reports, dispatch orders, alarms, plan
// activations, tasks and the audit trail.
package incidents

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"watchfloor/alerts"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/vocab"
	"watchfloor/command/web/rest"
)

func (a *handlers) createIncident(c *fiber.Ctx) error {
	b, err := a.Body(c)
	if err != nil {
		return err
	}
	idem, err := a.Idempotency(c, "incidents", b)
	if err != nil {
		return err
	}
	in, err := incident.Decode(b)
	if err != nil {
		return err
	}
	inc, replayed, err := a.Incidents.Create(c.UserContext(), rest.Actor(c), in, idem)
	if err != nil {
		return err
	}
	if replayed {
		c.Set("Idempotency-Replayed", "true")
	}
	c.Set(fiber.HeaderLocation, "/api/v1/incidents/"+inc.ID)
	return c.Status(201).JSON(a.View(c, inc))
}

func (a *handlers) classify(c *fiber.Ctx) error {
	b, err := a.Body(c)
	if err != nil {
		return err
	}
	in, err := incident.Decode(b)
	if err != nil {
		return err
	}
	res, err := a.Incidents.Classify(in)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

func (a *handlers) listIncidents(c *fiber.Ctx) error {
	q := incident.Query{Status: c.Query("status"), Category: c.Query("category"), Grid: c.Query("grid")}
	bad := &fault.Invalid{}
	if q.Status != "" && !incident.ValidStatus(q.Status) {
		bad.Add("status", "must be one of open, responding, recovery, closed")
	}
	if v := c.Query("level"); v != "" {
		l, err := alerts.ParseLevel(v)
		if err != nil {
			bad.Add("level", "must be I, II, III or IV")
		}
		q.Level = l
	}
	if v := c.Query("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			bad.Add("since", "must be an RFC 3339 time")
		}
		q.Since = t
	}
	q.Limit = rest.QueryLimit(c, bad, 0, 1000)
	if q.Category != "" && a.Config.Category(q.Category) == nil {
		bad.Add("category", "unknown category %q", q.Category)
	}
	if q.Grid != "" && a.Map.Area(q.Grid) == nil {
		bad.Add("grid", "unknown grid code %q", q.Grid)
	}
	if err := bad.Err(); err != nil {
		return err
	}
	list, err := a.Incidents.List(c.UserContext(), q)
	if err != nil {
		return err
	}
	for i := range list {
		list[i] = a.View(c, list[i])
	}
	return c.JSON(fiber.Map{"incidents": list, "count": len(list)})
}

// listDue lists the incidents with a reporting deadline still open, the
// earliest due first (limit 1 to 1000, default 200), with how many there
// are in all.
func (a *handlers) listDue(c *fiber.Ctx) error {
	bad := &fault.Invalid{}
	limit := rest.QueryLimit(c, bad, 0, 1000)
	if err := bad.Err(); err != nil {
		return err
	}
	list, total, err := a.Incidents.Due(c.UserContext(), limit)
	if err != nil {
		return err
	}
	for i := range list {
		list[i] = a.View(c, list[i])
	}
	return c.JSON(fiber.Map{"incidents": list, "count": len(list), "total": total})
}

func (a *handlers) getIncident(c *fiber.Ctx) error {
	inc, tl, err := a.Incidents.Get(c.UserContext(), strings.Clone(c.Params("id")))
	if err != nil {
		return err
	}
	return c.JSON(struct {
		*incident.Incident
		Timeline []incident.Entry `json:"timeline"`
	}{a.View(c, inc), tl})
}

func (a *handlers) reportIncident(c *fiber.Ctx) error {
	b, err := a.Body(c)
	if err != nil {
		return err
	}
	id := strings.Clone(c.Params("id"))
	idem, err := a.Idempotency(c, "reports:"+id, b)
	if err != nil {
		return err
	}
	in, err := incident.Decode(b)
	if err != nil {
		return err
	}
	inc, err := a.Incidents.Report(c.UserContext(), rest.Actor(c), id, in, idem)
	if err != nil {
		return err
	}
	return c.JSON(a.View(c, inc))
}

// maxReason bounds the reason of a level or status change, in characters.
const maxReason = 2000

// reasonText cleans a level or status change's reason (rest.ReasonText)
// and counts it in characters, not bytes: 700 Chinese ones are 2100 bytes.
func reasonText(raw string) (string, error) {
	reason := rest.ReasonText(raw)
	if utf8.RuneCountInString(reason) > maxReason {
		return "", fault.Field("reason", "at most %d characters", maxReason)
	}
	return reason, nil
}

type levelRequest struct {
	Level  *string `json:"level"`
	Reason string  `json:"reason"`
}

func (a *handlers) setLevel(c *fiber.Ctx) error {
	var req levelRequest
	if _, err := a.Decode(c, &req); err != nil {
		return err
	}
	if req.Level == nil {
		return fault.Field("level", "required: I, II, III or IV")
	}
	l, err := alerts.ParseLevel(*req.Level)
	if err != nil {
		return fault.Field("level", "must be I, II, III or IV")
	}
	reason, err := reasonText(req.Reason)
	if err != nil {
		return err
	}
	inc, err := a.Incidents.SetLevel(c.UserContext(), rest.Actor(c), strings.Clone(c.Params("id")), l, reason)
	if err != nil {
		return err
	}
	return c.JSON(a.View(c, inc))
}

type statusRequest struct {
	Status  string                 `json:"status"`
	Reason  string                 `json:"reason"`
	Summary *incident.SummaryInput `json:"summary"`
}

func (a *handlers) setStatus(c *fiber.Ctx) error {
	var req statusRequest
	if _, err := a.Decode(c, &req); err != nil {
		return err
	}
	reason, err := reasonText(req.Reason)
	if err != nil {
		return err
	}
	inc, err := a.Incidents.Transition(c.UserContext(), rest.Actor(c), strings.Clone(c.Params("id")), req.Status, reason, req.Summary)
	if err != nil {
		return err
	}
	return c.JSON(a.View(c, inc))
}

// duplicates answers GET /api/v1/incidents/duplicates?category=&lon=&lat=
// (or grid= instead of lon and lat).
func (a *handlers) duplicates(c *fiber.Ctx) error {
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

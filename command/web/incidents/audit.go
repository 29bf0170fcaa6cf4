package incidents

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/audit"
	"watchfloor/command/fault"
	"watchfloor/command/web/rest"
)

func (a *handlers) auditTrail(c *fiber.Ctx) error {
	if s := rest.Session(c); s.Area != "" {
		// The trail spans every area (cases, daily reports, exports) and its
		// records carry no area to filter by.
		return rest.Forbidden("the audit trail spans every area; an account limited to " + s.Area + " may not read it")
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

// Package duty serves the duty roster (值班表), who is on duty now, and the
// shift handover (交接班).
package duty

import (
	"context"
	"fmt"
	"mime"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/audit"
	"watchfloor/command/duty"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/vocab"
	"watchfloor/command/web/rest"
)

// CSVBodyBytes bounds a roster import.
const CSVBodyBytes = 256 << 10

// handlers serve the roster's and the handovers' routes.
type handlers struct{ *rest.Kit }

// Routes are the duty handlers by route name (auth.Routes).
func Routes(k *rest.Kit) map[string][]fiber.Handler {
	a, one := &handlers{k}, rest.One
	handover := func(h fiber.Handler) []fiber.Handler { return []fiber.Handler{centreOnly(handoverWhy), h} }
	return map[string][]fiber.Handler{
		"roster.month":     one(a.month),
		"roster.export":    one(a.export),
		"roster.import":    {centreOnly(rosterWhy), a.importCSV},
		"roster.day":       one(byParam("date", a.Duty.Day)),
		"roster.put":       {centreOnly(rosterWhy), a.putDay},
		"duty.now":         one(a.now),
		"handovers.open":   handover(a.open),
		"handovers.list":   handover(a.list),
		"handovers.export": handover(a.exportHandovers),
		"handovers.get":    handover(byParam("id", a.Duty.Handover)),
		"handovers.submit": handover(a.submit),
		"handovers.accept": handover(a.accept),
	}
}

// Why the centre-only routes refuse an account limited to an area.
const (
	handoverWhy = "the shift handover is the command centre's: it lists every area's incidents, cases and alarms; an account limited to %s may not use it"
	rosterWhy   = "the duty roster is the whole city's; an account limited to %s may read it but not change it"
)

// centreOnly refuses a session limited to an area (403 saying why).
func centreOnly(why string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if s := rest.Session(c); s.Area != "" {
			return rest.Forbidden(fmt.Sprintf(why, s.Area))
		}
		return c.Next()
	}
}

// thisMonth is the month of now in the configured time zone.
func (a *handlers) thisMonth() string { return a.Duty.Today().Format("2006-01") }

func (a *handlers) month(c *fiber.Ctx) error {
	month := c.Query("month", a.thisMonth())
	days, err := a.Duty.Month(c.UserContext(), month)
	if err != nil {
		return err
	}
	if days == nil {
		days = []duty.Day{}
	}
	return c.JSON(fiber.Map{"month": month, "days": days})
}

// byParam answers what load returns for the route's parameter.
func byParam[T any](param string, load func(ctx context.Context, key string) (T, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v, err := load(c.UserContext(), strings.Clone(c.Params(param)))
		if err != nil {
			return err
		}
		return c.JSON(v)
	}
}

// dayInput is the body of a day's shifts.
type dayInput struct {
	Version *int          `json:"version"`
	Shifts  *[]duty.Shift `json:"shifts"`
}

func (a *handlers) putDay(c *fiber.Ctx) error {
	var in dayInput
	if _, err := a.Decode(c, &in); err != nil {
		return err
	}
	bad := &fault.Invalid{}
	if in.Version == nil || *in.Version < 0 {
		bad.Add("version", "the version read (0 for a day not yet planned) is required")
	}
	if in.Shifts == nil {
		bad.Add("shifts", "required (an empty list clears the day)")
	}
	if err := bad.Err(); err != nil {
		return err
	}
	d, err := a.Duty.PutDay(c.UserContext(), rest.Actor(c), strings.Clone(c.Params("date")), *in.Version, *in.Shifts)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (a *handlers) export(c *fiber.Ctx) error {
	month := c.Query("month", a.thisMonth())
	b, err := a.Duty.ExportMonth(c.UserContext(), month)
	if err != nil {
		return err
	}
	who := rest.Actor(c)
	a.Record(c, audit.Record{Who: who.Username, Role: who.Role, Action: "roster.export", Object: month})
	return sendCSV(c, "roster-"+month+".csv", b)
}

func sendCSV(c *fiber.Ctx, name string, b []byte) error {
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	return c.Send(b)
}

// importCSV replaces a month's roster with the CSV body (text/csv).
func (a *handlers) importCSV(c *fiber.Ctx) error {
	mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mt != "text/csv" {
		return rest.Unsupported("a roster import is Content-Type: text/csv (UTF-8)")
	}
	if len(c.Body()) > CSVBodyBytes {
		return fiber.NewError(fiber.StatusRequestEntityTooLarge, fmt.Sprintf("a roster import is at most %d bytes", CSVBodyBytes))
	}
	month := c.Query("month")
	days, err := a.Duty.ImportMonth(c.UserContext(), rest.Actor(c), month, c.Body())
	if err != nil {
		return err
	}
	if days == nil {
		days = []duty.Day{}
	}
	return c.JSON(fiber.Map{"month": month, "days": days})
}

// now answers who is on duty; phones are masked for the roles that see no
// personal data, as the screens mask reporters.
func (a *handlers) now(c *fiber.Ctx) error {
	on, err := a.Duty.Now(c.UserContext())
	if err != nil {
		return err
	}
	if !rest.SeesPersonalData(rest.Session(c).Role) {
		if on.Leader != nil {
			l := *on.Leader
			l.Phone = incident.MaskPhone(l.Phone)
			on.Leader = &l
		}
		for i := range on.Operators {
			on.Operators[i].Phone = incident.MaskPhone(on.Operators[i].Phone)
		}
	}
	return c.JSON(on)
}

func (a *handlers) open(c *fiber.Ctx) error {
	if _, err := a.Body(c); err != nil {
		return err
	}
	h, created, err := a.Duty.OpenHandover(c.UserContext(), rest.Actor(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderLocation, "/api/v1/handovers/"+h.ID)
	if !created {
		return c.JSON(h)
	}
	return c.Status(fiber.StatusCreated).JSON(h)
}

// query reads the log's search: from and to default to the last 30 days.
func (a *handlers) query(c *fiber.Ctx) (duty.Query, error) {
	today := a.Duty.Today()
	q := duty.Query{From: c.Query("from", today.AddDate(0, 0, -30).Format(time.DateOnly)), To: c.Query("to", today.Format(time.DateOnly)),
		Person: c.Query("person"), Text: c.Query("q"), Status: c.Query("status"), Limit: 500}
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return q, fault.Field("limit", "between 1 and 500")
		}
		q.Limit = n
	}
	return q, nil
}

// search reads the log's search from the query and runs it.
func (a *handlers) search(c *fiber.Ctx) (duty.Query, []*duty.Handover, error) {
	q, err := a.query(c)
	if err != nil {
		return q, nil, err
	}
	hs, err := a.Duty.Handovers(c.UserContext(), q)
	if hs == nil {
		hs = []*duty.Handover{}
	}
	return q, hs, err
}

func (a *handlers) list(c *fiber.Ctx) error {
	_, hs, err := a.search(c)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"handovers": hs, "count": len(hs)})
}

func (a *handlers) exportHandovers(c *fiber.Ctx) error {
	q, hs, err := a.search(c)
	if err != nil {
		return err
	}
	who := rest.Actor(c)
	a.Record(c, audit.Record{Who: who.Username, Role: who.Role, Action: "handovers.export", Object: q.From + "/" + q.To,
		Detail: map[string]any{"handovers": len(hs)}})
	return sendCSV(c, "handovers-"+q.From+"-"+q.To+".csv", duty.HandoversCSV(hs, a.Duty.Location()))
}

// notesInput is the body of a submit (notes) or an accept (note).
type notesInput struct {
	Notes *string `json:"notes"`
	Note  *string `json:"note"`
}

func (a *handlers) submit(c *fiber.Ctx) error {
	return a.step(c, "note", func(in notesInput) *string { return in.Notes }, a.Duty.Submit)
}

func (a *handlers) accept(c *fiber.Ctx) error {
	return a.step(c, "notes", func(in notesInput) *string { return in.Note }, a.Duty.Accept)
}

// step carries out a step of a handover with the text the body gives
// (text picks it; the other field, named other, is refused).
func (a *handlers) step(c *fiber.Ctx, other string, text func(notesInput) *string,
	do func(ctx context.Context, who vocab.Actor, id, text string) (*duty.Handover, error)) error {
	var in notesInput
	if _, err := a.Decode(c, &in); err != nil {
		return err
	}
	if (other == "note" && in.Note != nil) || (other == "notes" && in.Notes != nil) {
		return fault.Field(other, "not taken by this step (submit takes notes, accept a note)")
	}
	t := ""
	if p := text(in); p != nil {
		t = *p
	}
	h, err := do(c.UserContext(), rest.Actor(c), strings.Clone(c.Params("id")), t)
	if err != nil {
		return err
	}
	return c.JSON(h)
}

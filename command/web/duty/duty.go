// Package duty serves the duty roster (值班表), who is on duty now, and the
// shift handover (交接班).
package duty

import (
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
	"watchfloor/command/web/rest"
)

// CSVBodyBytes bounds a roster import.
const CSVBodyBytes = 256 << 10

// handlers serve the roster's and the handovers' routes.
type handlers struct{ *rest.Kit }

// Routes are the duty handlers by route name (auth.Routes).
func Routes(k *rest.Kit) map[string][]fiber.Handler {
	a, one := &handlers{k}, rest.One
	return map[string][]fiber.Handler{
		"roster.month":     one(a.month),
		"roster.export":    one(a.export),
		"roster.import":    one(a.importCSV),
		"roster.day":       one(a.day),
		"roster.put":       one(a.putDay),
		"duty.now":         one(a.now),
		"handovers.open":   one(a.open),
		"handovers.list":   one(a.list),
		"handovers.export": one(a.exportHandovers),
		"handovers.get":    one(a.get),
		"handovers.submit": one(a.submit),
		"handovers.accept": one(a.accept),
	}
}

// thisMonth is the month of now in the configured time zone.
func (a *handlers) thisMonth() string { return time.Now().In(a.Duty.Location()).Format("2006-01") }

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

func (a *handlers) day(c *fiber.Ctx) error {
	d, err := a.Duty.Day(c.UserContext(), strings.Clone(c.Params("date")))
	if err != nil {
		return err
	}
	return c.JSON(d)
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
	h, err := a.Duty.OpenHandover(c.UserContext(), rest.Actor(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderLocation, "/api/v1/handovers/"+h.ID)
	return c.Status(fiber.StatusCreated).JSON(h)
}

// query reads the log's search: from and to default to the last 30 days.
func (a *handlers) query(c *fiber.Ctx) (duty.Query, error) {
	today := time.Now().In(a.Duty.Location())
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

func (a *handlers) list(c *fiber.Ctx) error {
	q, err := a.query(c)
	if err != nil {
		return err
	}
	hs, err := a.Duty.Handovers(c.UserContext(), q)
	if err != nil {
		return err
	}
	if hs == nil {
		hs = []*duty.Handover{}
	}
	return c.JSON(fiber.Map{"handovers": hs, "count": len(hs)})
}

func (a *handlers) exportHandovers(c *fiber.Ctx) error {
	q, err := a.query(c)
	if err != nil {
		return err
	}
	hs, err := a.Duty.Handovers(c.UserContext(), q)
	if err != nil {
		return err
	}
	who := rest.Actor(c)
	a.Record(c, audit.Record{Who: who.Username, Role: who.Role, Action: "handovers.export", Object: q.From + "/" + q.To,
		Detail: map[string]any{"handovers": len(hs)}})
	return sendCSV(c, "handovers-"+q.From+"-"+q.To+".csv", duty.HandoversCSV(hs, a.Duty.Location()))
}

func (a *handlers) get(c *fiber.Ctx) error {
	h, err := a.Duty.Handover(c.UserContext(), strings.Clone(c.Params("id")))
	if err != nil {
		return err
	}
	return c.JSON(h)
}

// notesInput is the body of a submit (notes) or an accept (note).
type notesInput struct {
	Notes *string `json:"notes"`
	Note  *string `json:"note"`
}

func (a *handlers) submit(c *fiber.Ctx) error {
	var in notesInput
	if _, err := a.Decode(c, &in); err != nil {
		return err
	}
	if in.Note != nil {
		return fault.Field("note", "a submit takes notes")
	}
	notes := ""
	if in.Notes != nil {
		notes = *in.Notes
	}
	h, err := a.Duty.Submit(c.UserContext(), rest.Actor(c), strings.Clone(c.Params("id")), notes)
	if err != nil {
		return err
	}
	return c.JSON(h)
}

func (a *handlers) accept(c *fiber.Ctx) error {
	var in notesInput
	if _, err := a.Decode(c, &in); err != nil {
		return err
	}
	if in.Notes != nil {
		return fault.Field("notes", "an accept takes a note")
	}
	note := ""
	if in.Note != nil {
		note = *in.Note
	}
	h, err := a.Duty.Accept(c.UserContext(), rest.Actor(c), strings.Clone(c.Params("id")), note)
	if err != nil {
		return err
	}
	return c.JSON(h)
}

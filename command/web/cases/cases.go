// Package cases serves grid cases (网格事件): the cases and their photos,
// the desk's kinds, raising a case into an incident, the ledger export,
// the daily reports and patrol coverage.
package cases

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/fault"
	"watchfloor/command/gridcase"
	"watchfloor/command/incident"
	"watchfloor/command/vocab"
	"watchfloor/command/web/rest"
)

// MaxPhotoBytes is the largest photo a case takes.
const MaxPhotoBytes = 5 << 20

func caseActor(c *fiber.Ctx) gridcase.Actor {
	s := rest.Session(c)
	return gridcase.Actor{Username: s.Username, Role: s.Role, Unit: s.Unit, Area: s.Area}
}

// caseView masks the reporter for roles that do not need personal data.
func caseView(role vocab.Role, cs *gridcase.Case) *gridcase.Case {
	if rest.SeesPersonalData(role) || cs.Reporter == nil {
		return cs
	}
	c := *cs
	c.Reporter = &incident.Reporter{Name: incident.MaskName(cs.Reporter.Name), Phone: incident.MaskPhone(cs.Reporter.Phone)}
	return &c
}

// mine reports whether a responder may see a case: its unit's, or one it reported.
func mine(who gridcase.Actor, cs *gridcase.Case) bool {
	return who.Role != vocab.Responder || cs.Assignee == who.Unit || cs.Owner == who.Username
}

// caseAccount looks up an account named in a case action.
func (a *handlers) caseAccount(ctx context.Context) func(name string) (gridcase.Account, bool) {
	return func(name string) (gridcase.Account, bool) { return a.account(ctx, name) }
}

// account is the account named name, as a case names it (an assignee, an
// owner): a disabled account is none, as it cannot sign in to act.
func (a *handlers) account(ctx context.Context, name string) (gridcase.Account, bool) {
	acct := a.Auth.Account(ctx, name)
	if acct == nil || acct.Disabled {
		return gridcase.Account{}, false
	}
	return gridcase.Account{Role: acct.Role, Area: acct.Area}, true
}

// hidden is the answer about a case the caller may not see: 404, the same
// as a case that does not exist, so that ids do not leak.
func hidden(id string) error { return fmt.Errorf("case %s: %w", id, fault.ErrNotFound) }

func (a *handlers) createCase(c *fiber.Ctx) error {
	var in gridcase.Input
	b, err := a.Decode(c, &in)
	if err != nil {
		return err
	}
	idem, err := a.Idempotency(c, "cases", b)
	if err != nil {
		return err
	}
	who := caseActor(c)
	cs, replayed, err := a.Cases.Create(c.UserContext(), who, &in, idem)
	if err != nil {
		return err
	}
	if replayed {
		c.Set("Idempotency-Replayed", "true")
	}
	c.Set(fiber.HeaderLocation, "/api/v1/cases/"+cs.ID)
	return c.Status(201).JSON(caseView(who.Role, cs))
}

func (a *handlers) listCases(c *fiber.Ctx) error {
	q := gridcase.Query{Status: c.Query("status"), Kind: c.Query("kind"), Grid: c.Query("grid")}
	bad := &fault.Invalid{}
	if q.Kind != "" && a.Cases.Kind(q.Kind) == nil {
		bad.Add("kind", "unknown case kind %q", q.Kind)
	}
	if q.Grid != "" && a.Map.Area(q.Grid) == nil {
		bad.Add("grid", "unknown grid code %q", q.Grid)
	}
	if v := c.Query("overdue"); v != "" {
		o, err := strconv.ParseBool(v)
		if err != nil {
			bad.Add("overdue", "true or false")
		}
		q.Overdue = &o
	}
	if v := c.Query("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			bad.Add("since", "must be an RFC 3339 time")
		}
		q.Since = t
	}
	if err := bad.Err(); err != nil {
		return err
	}
	who := caseActor(c)
	list, err := a.Cases.List(c.UserContext(), who, q)
	if err != nil {
		return err
	}
	out := make([]*gridcase.Case, 0, len(list))
	for _, cs := range list {
		if mine(who, cs) {
			out = append(out, caseView(who.Role, cs))
		}
	}
	return c.JSON(fiber.Map{"cases": out, "count": len(out)})
}

func (a *handlers) getCase(c *fiber.Ctx) error {
	who := caseActor(c)
	cs, tl, err := a.Cases.Get(c.UserContext(), who, strings.Clone(c.Params("id")))
	if err != nil {
		return err
	}
	if !mine(who, cs) {
		return hidden(cs.ID)
	}
	return c.JSON(struct {
		*gridcase.Case
		Timeline []gridcase.Entry `json:"timeline"`
	}{caseView(who.Role, cs), tl})
}

// ownCase loads a case a responder acts on: one that is not its own is
// hidden (404), as if it did not exist.
func (a *handlers) ownCase(c *fiber.Ctx, who gridcase.Actor, id string) (*gridcase.Case, error) {
	cs, _, err := a.Cases.Get(c.UserContext(), who, id)
	if err != nil {
		return nil, err
	}
	if !mine(who, cs) {
		return nil, hidden(id)
	}
	return cs, nil
}

func (a *handlers) caseAction(c *fiber.Ctx) error {
	var act gridcase.Action
	if _, err := a.Decode(c, &act); err != nil {
		return err
	}
	who := caseActor(c)
	id := strings.Clone(c.Params("id"))
	if who.Role == vocab.Responder {
		cs, err := a.ownCase(c, who, id)
		if err != nil {
			return err
		}
		if cs.Assignee != who.Unit || act.Action != "handle" {
			return rest.Forbidden("a responder handles the cases given to its unit, and only that")
		}
	}
	cs, err := a.Cases.Act(c.UserContext(), who, id, &act, a.caseAccount(c.UserContext()))
	if err != nil {
		return err
	}
	return c.JSON(caseView(who.Role, cs))
}

func (a *handlers) addPhoto(c *fiber.Ctx) error {
	fh, err := c.FormFile("photo")
	if err != nil {
		return fault.Field("photo", "a multipart form with a file field named photo is required")
	}
	if fh.Size > MaxPhotoBytes {
		return fault.Field("photo", "at most %d bytes (5 MB), not %d", MaxPhotoBytes, fh.Size)
	}
	f, err := fh.Open()
	if err != nil {
		return fmt.Errorf("reading the photo: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxPhotoBytes+1))
	f.Close()
	if err != nil {
		return fmt.Errorf("reading the photo: %w", err)
	}
	if len(data) > MaxPhotoBytes {
		return fault.Field("photo", "at most 5 MB")
	}
	ct := http.DetectContentType(data)
	ext := map[string]string{"image/jpeg": "jpg", "image/png": "png"}[ct]
	if ext == "" {
		return fault.Field("photo", "must be a JPEG or PNG image by its content, not %s", ct)
	}
	who := caseActor(c)
	id := strings.Clone(c.Params("id"))
	// The case first, for every role: nothing is written to disk for a case
	// that does not exist or that the caller may not see (an unknown id
	// would leave its directory behind).
	if _, err := a.ownCase(c, who, id); err != nil {
		return err
	}
	dir := filepath.Join(a.Config.Path(a.Config.DataDir), "cases", id)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("storing photo: %w", err)
	}
	// The photo is written under a temporary name first and moved to its
	// numbered name only once the case records it; a refused upload (the
	// case full, a lost race, Redis away) removes it, so no file outlives
	// its refusal. Each upload's name is its own, so racing uploads never
	// overwrite each other.
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return fmt.Errorf("storing photo: %w", err)
	}
	_, werr := tmp.Write(data)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("storing photo: %w", werr)
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	cs, err := a.Cases.AddPhoto(c.UserContext(), who, id, gridcase.Photo{ContentType: ct, Bytes: len(data), By: who.Username, At: a.Clock().UTC()},
		func(n int) string { return fmt.Sprintf("%d-%s.%s", n, hex.EncodeToString(rnd[:]), ext) })
	if err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	p := cs.Photos[len(cs.Photos)-1]
	if err := os.Rename(tmp.Name(), filepath.Join(dir, p.File)); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("storing photo %d of case %s: %w", p.N, id, err)
	}
	return c.Status(201).JSON(p)
}

func (a *handlers) getPhoto(c *fiber.Ctx) error {
	who := caseActor(c)
	id := strings.Clone(c.Params("id"))
	cs, _, err := a.Cases.Get(c.UserContext(), who, id)
	if err != nil {
		return err
	}
	if !mine(who, cs) {
		return hidden(id)
	}
	n, err := strconv.Atoi(c.Params("n"))
	if err != nil || n < 1 || n > len(cs.Photos) {
		return fmt.Errorf("photo %s of case %s: %w", c.Params("n"), id, fault.ErrNotFound)
	}
	p := cs.Photos[n-1]
	data, err := os.ReadFile(filepath.Join(a.Config.Path(a.Config.DataDir), "cases", id, filepath.Base(p.File)))
	if err != nil {
		return fmt.Errorf("photo %d of case %s: %w", n, id, fault.ErrNotFound)
	}
	c.Set(fiber.HeaderContentType, p.ContentType)
	c.Set(fiber.HeaderCacheControl, "private, max-age=86400")
	return c.Send(bytes.Clone(data))
}

func (a *handlers) caseStats(c *fiber.Ctx) error {
	month := c.Query("month", a.Clock().In(a.Config.Location).Format("2006-01"))
	st, err := a.Cases.MonthStats(c.UserContext(), caseActor(c), month)
	if err != nil {
		return err
	}
	return c.JSON(st)
}

type dailyRequest struct {
	Area            string `json:"area"`
	Date            string `json:"date"`
	NothingToReport bool   `json:"nothing_to_report"`
	Note            string `json:"note"`
}

func (a *handlers) submitDaily(c *fiber.Ctx) error {
	var req dailyRequest
	if _, err := a.Decode(c, &req); err != nil {
		return err
	}
	r, err := a.Cases.SubmitDaily(c.UserContext(), a.Daily, caseActor(c), gridcase.DailyReport{Area: req.Area, Date: req.Date, NothingToReport: req.NothingToReport, Note: req.Note})
	if err != nil {
		return err
	}
	return c.Status(201).JSON(r)
}

func (a *handlers) patrol(c *fiber.Ctx) error {
	loc := a.Config.Location
	day := a.Clock().In(loc)
	if v := c.Query("date"); v != "" {
		d, err := time.ParseInLocation(time.DateOnly, v, loc)
		if err != nil {
			return fault.Field("date", "a date YYYY-MM-DD")
		}
		day = d
	}
	from := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
	grids, err := a.Units.Patrol(c.UserContext(), from, from.AddDate(0, 0, 1), a.Config.Patrol.TargetMinutes, a.Config.Patrol.MaxGap)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"date": from.Format(time.DateOnly), "target_minutes": a.Config.Patrol.TargetMinutes, "grids": grids})
}

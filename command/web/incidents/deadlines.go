package incidents

import (
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/fault"
	"watchfloor/command/inforeport"
	"watchfloor/command/web/rest"
)

func (a *handlers) getInfoReport(c *fiber.Ctx) error {
	r, err := a.Reports.InfoReport(c.UserContext(), strings.Clone(c.Params("id")), strings.Clone(c.Params("deadline")))
	if err != nil {
		return err
	}
	return c.JSON(r)
}

type reportTextRequest struct {
	Text *string `json:"text" wf:"required"`
}

func (a *handlers) saveInfoReport(c *fiber.Ctx) error {
	var req reportTextRequest
	if _, err := a.Decode(c, &req); err != nil {
		return err
	}
	if req.Text == nil {
		return fault.Field("text", "required")
	}
	id, dl := strings.Clone(c.Params("id")), strings.Clone(c.Params("deadline"))
	if _, err := a.Reports.SaveReport(c.UserContext(), rest.Actor(c), id, dl, *req.Text); err != nil {
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
func (a *handlers) exportInfoReport(c *fiber.Ctx) error {
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

func (a *handlers) recordSent(c *fiber.Ctx) error {
	var req inforeport.SendInput
	if _, err := a.Decode(c, &req); err != nil {
		return err
	}
	inc, err := a.Reports.RecordSent(c.UserContext(), rest.Actor(c), strings.Clone(c.Params("id")), strings.Clone(c.Params("deadline")), req)
	if err != nil {
		return err
	}
	return c.JSON(a.View(c, inc))
}

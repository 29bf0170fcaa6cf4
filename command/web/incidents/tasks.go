package incidents

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/plan"
	"watchfloor/command/strictjson"
	"watchfloor/command/web/rest"
)

type taskRequest struct {
	Note string `json:"note"`
}

// taskAction serves tasks.ack and tasks.done: the body ({"note"}) is
// optional, and a note only goes with done.
func (a *handlers) taskAction(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		b, err := a.Body(c)
		if err != nil {
			return err
		}
		var req taskRequest
		if len(b) > 0 {
			if err := strictjson.Decode(b, &req); err != nil {
				return err
			}
		}
		bad := &fault.Invalid{}
		req.Note = incident.CleanNote(req.Note)
		if req.Note != "" && action != plan.ActDone {
			bad.Add("note", "only marking a task done takes a note")
		}
		if len([]rune(req.Note)) > 2000 {
			bad.Add("note", "at most 2000 characters")
		}
		id, err := url.PathUnescape(c.Params("id"))
		if err != nil || id == "" || len(id) > 300 {
			bad.Add("id", "not a valid task id")
		}
		if err := bad.Err(); err != nil {
			return err
		}
		s := rest.Session(c)
		t, err := a.Plans.TaskAction(c.UserContext(), rest.Actor(c), s.Unit, strings.Clone(id), action, req.Note)
		if err != nil {
			return err
		}
		return c.JSON(t)
	}
}

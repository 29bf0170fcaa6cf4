// Package notify serves the notifications' administration: the outbox with
// each message's state, retrying a failed message and a test message to a
// channel. Deliveries never run on these requests: they are recorded and
// left to the delivery runner.
package notify

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/audit"
	"watchfloor/command/fault"
	note "watchfloor/command/notify"
	"watchfloor/command/web/rest"
)

// handlers serve the notifications' routes.
type handlers struct{ *rest.Kit }

// Routes are the notifications' handlers by route name (auth.Routes).
func Routes(k *rest.Kit) map[string][]fiber.Handler {
	a, one := &handlers{k}, rest.One
	return map[string][]fiber.Handler{
		"notifications.list":  one(a.list),
		"notifications.retry": one(a.retry),
		"notifications.test":  one(a.test),
	}
}

// channelOut is a channel as the admin page lists it (no URL or secret).
type channelOut struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Disabled bool   `json:"disabled"`
}

// list serves GET /api/v1/notifications?state=&limit=.
func (a *handlers) list(c *fiber.Ctx) error {
	bad := &fault.Invalid{}
	state := c.Query("state")
	if state != "" && !slices.Contains([]string{note.Queued, note.Sent, note.Failed}, state) {
		bad.Add("state", "must be queued, sent or failed")
	}
	limit := rest.QueryLimit(c, bad, 100, 500)
	if err := bad.Err(); err != nil {
		return err
	}
	ds, err := a.Notify.List(c.UserContext(), state, limit)
	if err != nil {
		return err
	}
	chans := []channelOut{}
	for _, ch := range a.Notify.Channels() {
		chans = append(chans, channelOut{ID: ch.ID, Kind: ch.Kind, Disabled: ch.Disabled})
	}
	return c.JSON(fiber.Map{"notifications": ds, "channels": chans})
}

// retry serves POST /api/v1/notifications/{id}/retry: a failed message
// back in the queue (409 when it is not failed).
func (a *handlers) retry(c *fiber.Ctx) error {
	// Copied: Fiber reuses a parameter's bytes for later requests, and the id
	// may be kept (errors, metrics, the audit record).
	id, err := url.PathUnescape(strings.Clone(c.Params("id")))
	if err != nil {
		return fault.Field("id", "is not a valid path segment")
	}
	d, err := a.Notify.Retry(c.UserContext(), id)
	if err != nil {
		return err
	}
	who := rest.Actor(c)
	a.Record(c, audit.Record{Who: who.Username, Role: who.Role, Action: "notification.retried", Object: id, IncidentID: d.IncidentID,
		Detail: map[string]any{"channel": d.Channel}})
	return c.Status(fiber.StatusAccepted).JSON(d)
}

// test serves POST /api/v1/notification-channels/{id}/test: a test message
// queued for the channel, one per phone for SMS (ids; id is the first); 404
// for an unknown channel, 409 for a disabled one.
func (a *handlers) test(c *fiber.Ctx) error {
	id := strings.Clone(c.Params("id")) // kept in metrics' labels: see retry
	var ch *channelOut
	for _, x := range a.Notify.Channels() {
		if x.ID == id {
			ch = &channelOut{ID: x.ID, Kind: x.Kind, Disabled: x.Disabled}
		}
	}
	switch {
	case ch == nil:
		return fmt.Errorf("notification channel %s: %w", id, fault.ErrNotFound)
	case ch.Disabled:
		return &fault.Conflict{Detail: "notification channel " + id + " is disabled"}
	}
	who := rest.Actor(c)
	ms, err := a.Notify.Test(c.UserContext(), id, who.Username)
	if err != nil {
		return err
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	a.Record(c, audit.Record{Who: who.Username, Role: who.Role, Action: "notification.tested", Object: ids[0], Detail: map[string]any{"channel": id, "messages": ids}})
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"id": ids[0], "ids": ids, "channel": id, "state": note.Queued})
}

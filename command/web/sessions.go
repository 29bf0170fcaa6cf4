package web

import (
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/account"
	"watchfloor/command/audit"
	"watchfloor/command/auth"
	"watchfloor/command/fault"
	"watchfloor/command/web/rest"
)

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// Login input bounds: configured names are at most 64 characters, and
// bcrypt reads no further than 72 bytes of a password.
const (
	maxUsername = 64
	maxPassword = 256
)

func (a *API) login(c *fiber.Ctx) error {
	ip := a.ClientIP(c)
	// Limits count per network, not per address: one IPv6 client holds a
	// whole /64 and could take a fresh address for each attempt.
	from := rest.AddressKey(ip)
	if ok, wait := a.Logins.Allow(from, time.Now()); !ok {
		c.Set(fiber.HeaderRetryAfter, rest.RetryAfter(wait))
		return rest.Problem(c, 429, "rate-limited", fmt.Sprintf("too many logins from this address; try again in %s s", rest.RetryAfter(wait)), nil)
	}
	var req loginRequest
	if _, err := a.Decode(c, &req); err != nil {
		return err
	}
	bad := &fault.Invalid{}
	// A name no account can have is refused here, before it reaches the
	// trail (a bidirectional override would spoof it there) or a throttle
	// counter: its syntax is public, so answering at once tells nothing.
	switch {
	case req.Username == "":
		bad.Add("username", "required")
	case len(req.Username) > maxUsername:
		bad.Add("username", "at most %d bytes", maxUsername)
	case !account.UsernamePattern.MatchString(req.Username):
		bad.Add("username", "not a username: a lowercase letter, then lowercase letters, digits, _ . or -")
	}
	switch {
	case req.Password == "":
		bad.Add("password", "required")
	case len(req.Password) > maxPassword:
		bad.Add("password", "at most %d bytes", maxPassword)
	}
	if err := bad.Err(); err != nil {
		return err
	}
	token, sess, err := a.Auth.Login(c.UserContext(), req.Username, req.Password, from)
	var throttled *auth.Throttled
	var refused *auth.Refused
	switch {
	case errors.As(err, &throttled):
		a.Record(c, audit.Record{Who: req.Username, Action: "session.throttled", Object: req.Username, Detail: map[string]any{"ip": ip}})
		c.Set(fiber.HeaderRetryAfter, rest.RetryAfter(throttled.RetryAfter))
		return rest.Problem(c, 429, "too-many-logins", throttled.Error(), nil)
	case errors.As(err, &refused):
		detail := map[string]any{"ip": ip}
		if refused.Disabled {
			detail["disabled"] = true // the trail's, never the client's
		}
		a.Record(c, audit.Record{Who: req.Username, Action: "session.refused", Object: req.Username, Detail: detail})
		if refused.Wait > 0 {
			c.Set(fiber.HeaderRetryAfter, rest.RetryAfter(refused.Wait))
		}
		return rest.Problem(c, 401, "bad-credentials", refused.Error(), nil)
	case err != nil:
		return err
	}
	a.Record(c, audit.Record{Who: sess.Username, Role: sess.Role, Action: "session.created", Object: sess.Username, Detail: map[string]any{"ip": ip}})
	return c.Status(201).JSON(fiber.Map{"token": token, "role": sess.Role, "username": sess.Username, "unit": sess.Unit, "expires_at": sess.ExpiresAt,
		"must_change_password": sess.MustChangePassword})
}

func (a *API) logout(c *fiber.Ctx) error {
	hash, _ := c.Locals(rest.TokenHashKey).(string)
	if err := a.Auth.EndSession(c.UserContext(), hash); err != nil {
		return err
	}
	s := rest.Session(c)
	a.Record(c, audit.Record{Who: s.Username, Role: s.Role, Action: "session.deleted", Object: s.Username})
	return c.SendStatus(204)
}

// ticket issues a one-time websocket ticket for the caller's session.
func (a *API) ticket(c *fiber.Ctx) error {
	hash, _ := c.Locals(rest.TokenHashKey).(string)
	t, err := a.Auth.NewTicket(c.UserContext(), hash)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(201).JSON(t)
}

func (a *API) me(c *fiber.Ctx) error { return c.JSON(rest.Session(c)) }

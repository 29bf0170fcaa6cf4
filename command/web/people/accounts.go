// Package people serves the accounts: the administrators' management of
// them and everyone's change of their own password.
package people

import (
	"github.com/gofiber/fiber/v2"

	"watchfloor/command/account"
	"watchfloor/command/web/rest"
)

// handlers serve the accounts' routes.
type handlers struct{ *rest.Kit }

// Routes are the accounts' handlers by route name (auth.Routes).
func Routes(k *rest.Kit) map[string][]fiber.Handler {
	a, one := &handlers{k}, rest.One
	return map[string][]fiber.Handler{
		"accounts.list":    one(a.list),
		"accounts.create":  one(a.create),
		"accounts.get":     one(a.get),
		"accounts.update":  one(a.update),
		"accounts.delete":  one(a.remove),
		"accounts.disable": one(a.disable),
		"accounts.enable":  one(a.enable),
		"accounts.reset":   one(a.reset),
		"password.change":  one(a.changePassword),
	}
}

func (a *handlers) list(c *fiber.Ctx) error {
	list, err := a.Accounts.List(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"accounts": list})
}

func (a *handlers) get(c *fiber.Ctx) error {
	acc, err := a.Accounts.Get(c.UserContext(), c.Params("username"))
	if err != nil {
		return err
	}
	return c.JSON(acc)
}

// create answers 201 with the account and its one-time password, shown
// this once and never stored in the clear.
func (a *handlers) create(c *fiber.Ctx) error {
	var in account.Input
	if _, err := a.Decode(c, &in); err != nil {
		return err
	}
	out, err := a.Accounts.Create(c.UserContext(), rest.Actor(c), in)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(201).JSON(out)
}

func (a *handlers) update(c *fiber.Ctx) error {
	var in account.Input
	if _, err := a.Decode(c, &in); err != nil {
		return err
	}
	acc, err := a.Accounts.Update(c.UserContext(), rest.Actor(c), c.Params("username"), in)
	if err != nil {
		return err
	}
	return c.JSON(acc)
}

func (a *handlers) remove(c *fiber.Ctx) error {
	if err := a.Accounts.Delete(c.UserContext(), rest.Actor(c), c.Params("username")); err != nil {
		return err
	}
	return c.SendStatus(204)
}

func (a *handlers) disable(c *fiber.Ctx) error { return a.setDisabled(c, true) }

func (a *handlers) enable(c *fiber.Ctx) error { return a.setDisabled(c, false) }

func (a *handlers) setDisabled(c *fiber.Ctx, disabled bool) error {
	acc, err := a.Accounts.SetDisabled(c.UserContext(), rest.Actor(c), c.Params("username"), disabled)
	if err != nil {
		return err
	}
	return c.JSON(acc)
}

// reset answers the account and its new one-time password, shown once.
func (a *handlers) reset(c *fiber.Ctx) error {
	out, err := a.Accounts.ResetPassword(c.UserContext(), rest.Actor(c), c.Params("username"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}

type passwordChange struct {
	OldPassword string `json:"old_password"`
	NewPassword string `json:"new_password"`
}

// changePassword changes the caller's own password and lifts the
// must-change mark from the session it came with.
func (a *handlers) changePassword(c *fiber.Ctx) error {
	var in passwordChange
	if _, err := a.Decode(c, &in); err != nil {
		return err
	}
	if _, err := a.Accounts.ChangePassword(c.UserContext(), rest.Actor(c), in.OldPassword, in.NewPassword); err != nil {
		return err
	}
	hash, _ := c.Locals(rest.TokenHashKey).(string)
	sess, err := a.Auth.PasswordChanged(c.UserContext(), hash)
	if err != nil {
		return err
	}
	return c.JSON(sess)
}

// Package account is who may sign in: accounts kept in the store and
// managed at run time (create, edit, disable, reset, delete when never
// used), the password policy, and the seeding of configured accounts at
// first start. It decides each change; a Store carries it out.
package account

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"watchfloor/command/audit"
	"watchfloor/command/change"
	"watchfloor/command/cleantext"
	"watchfloor/command/fault"
	"watchfloor/command/vocab"
)

// Kinds of what accounts keep in a store: the document (with its fields
// ver, state, hash and last_login) and the keyed map unit → username.
const (
	Kind      = "account"
	KindUnits = "accounts.units"
)

// States of an account document (its field "state").
const (
	Active   = "active"
	Disabled = "disabled"
	Deleted  = "deleted"
)

// Account is a person (or a wall screen) who may sign in. The password hash
// is kept beside it in the store and never part of it.
type Account struct {
	Username           string     `json:"username"`
	Name               string     `json:"name"`
	Role               vocab.Role `json:"role"`
	Area               string     `json:"area,omitempty"`
	Unit               string     `json:"unit,omitempty"`
	Phone              string     `json:"phone,omitempty"`
	Disabled           bool       `json:"disabled"`
	MustChangePassword bool       `json:"must_change_password"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
	// LastLogin is kept as its own field (a login never races an edit);
	// an account once used can be disabled, never deleted.
	LastLogin *time.Time `json:"last_login,omitempty"`
	Version   int        `json:"version"`
	// Demo marks a demo account still on the shared demo password (a
	// change or reset of its password clears it): it is disabled at a
	// start with demo_accounts off.
	Demo bool `json:"demo,omitempty"`
}

// Stored is an account as read back, with its password hash.
type Stored struct {
	Account *Account
	Hash    string
}

// Store keeps accounts.
type Store interface {
	// Load returns the account and its hash; fault.ErrNotFound when there
	// is none (or it was deleted).
	Load(ctx context.Context, username string) (Stored, error)
	// List returns every account that is not deleted, by username.
	List(ctx context.Context) ([]*Account, error)
	// UnitHolder returns the username bound to unit, "" when none.
	UnitHolder(ctx context.Context, unit string) (string, error)
	Apply(ctx context.Context, c *change.Change) (change.Result, error)
}

// Sessions ends every session of an account on every instance (and closes
// their sockets).
type Sessions interface {
	EndSessions(ctx context.Context, username string) error
}

// Rules are what an account's fields are checked against.
type Rules struct {
	// Area reports whether a grid code is an area of the map.
	Area func(code string) bool
	// Unit reports whether a unit id is known.
	Unit func(id string) bool
	// BcryptCost hashes passwords.
	BcryptCost int
}

// Service manages accounts.
type Service struct {
	st       Store
	sessions Sessions
	rules    Rules
	now      func() time.Time
}

// New returns the account service; sessions (nil: none to end) ends an
// account's sessions when it is disabled or its password reset.
func New(st Store, rules Rules, sessions Sessions, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	if rules.Area == nil {
		rules.Area = func(string) bool { return false }
	}
	if rules.Unit == nil {
		rules.Unit = func(string) bool { return false }
	}
	if rules.BcryptCost == 0 {
		rules.BcryptCost = bcrypt.DefaultCost
	}
	return &Service{st: st, sessions: sessions, rules: rules, now: now}
}

// UsernamePattern is what a username looks like (as configured ids).
var UsernamePattern = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,63}$`)

// Field limits.
const (
	maxName  = 64
	maxPhone = 32
)

var phonePattern = regexp.MustCompile(`^\+?[0-9][0-9 -]{2,30}$`)

// Input is what an admin sets on an account: all fields on create; on
// edit, the fields present (nil leaves one as it is).
type Input struct {
	Username *string     `json:"username"`
	Name     *string     `json:"name"`
	Role     *vocab.Role `json:"role"`
	Area     *string     `json:"area"`
	Unit     *string     `json:"unit"`
	Phone    *string     `json:"phone"`
	// Password is an initial one-time password on create (generated when
	// absent); refused on edit.
	Password *string `json:"password"`
	// Version is required on edit: the version read.
	Version *int `json:"version"`
}

// apply sets in's fields on a, checking each against the rules; an error
// is storage failing, not a bad field.
func (s *Service) apply(ctx context.Context, a *Account, in Input, bad *fault.Invalid) error {
	if in.Name != nil {
		switch n := cleantext.Clean(*in.Name, false); {
		case !cleantext.Visible(n):
			bad.Add("name", "required: a name with visible characters")
		case utf8.RuneCountInString(n) > maxName:
			bad.Add("name", "at most %d characters", maxName)
		default:
			a.Name = n
		}
	}
	if in.Role != nil {
		if !vocab.ValidRole(*in.Role) {
			bad.Add("role", "%q is not one of %s", *in.Role, vocab.JoinRoles(vocab.Roles(), ", "))
		} else {
			a.Role = *in.Role
		}
	}
	if in.Area != nil {
		if *in.Area != "" && !s.rules.Area(*in.Area) {
			bad.Add("area", "%q is not a grid code of the city's map", *in.Area)
		} else {
			a.Area = *in.Area
		}
	}
	if in.Phone != nil {
		if *in.Phone != "" && (len(*in.Phone) > maxPhone || !phonePattern.MatchString(*in.Phone)) {
			bad.Add("phone", "digits, spaces and dashes, optionally after a +, at most %d characters", maxPhone)
		} else {
			a.Phone = *in.Phone
		}
	}
	if in.Unit != nil {
		if err := s.bindUnit(ctx, a, *in.Unit, bad); err != nil {
			return err
		}
	}
	if a.Role == vocab.Responder && a.Unit == "" && !has(bad, "unit") && !has(bad, "role") {
		bad.Add("unit", "a responder account is bound to a unit")
	}
	if a.Role == vocab.Admin && a.Area != "" && !has(bad, "area") {
		bad.Add("area", "an administrator's account is not limited to an area: leave it empty")
	}
	return nil
}

// selfEdit refuses an administrator's change of their own role or area
// (they could leave no administrator, or lift their own limit).
func selfEdit(who vocab.Actor, prev *Account, in Input, bad *fault.Invalid) {
	if who.Username != prev.Username {
		return
	}
	if in.Role != nil && *in.Role != prev.Role {
		bad.Add("role", "an administrator cannot change their own role: another administrator must")
	}
	if in.Area != nil && *in.Area != prev.Area {
		bad.Add("area", "an administrator cannot change their own area: another administrator must")
	}
}

// keepAnAdmin refuses (409) a change that takes prev, an active
// administrator, out of the active administrators (a is nil when it is
// deleted) when no other is left; otherwise it guards c on the others
// staying as read, so that two such changes racing cannot leave none.
func (s *Service) keepAnAdmin(ctx context.Context, prev, a *Account, c *change.Change) error {
	if prev.Role != vocab.Admin || prev.Disabled || (a != nil && a.Role == vocab.Admin && !a.Disabled) {
		return nil
	}
	list, err := s.st.List(ctx)
	if err != nil {
		return fmt.Errorf("listing administrators: %w", err)
	}
	others := 0
	for _, o := range list {
		if o.Username == prev.Username || o.Role != vocab.Admin || o.Disabled {
			continue
		}
		others++
		c.Guards = append(c.Guards, change.Guard{Kind: Kind, ID: o.Username, Field: "ver", Allowed: []string{strconv.Itoa(o.Version)},
			Why: "administrator " + o.Username + " changed meanwhile: try again"})
	}
	if others == 0 {
		return &fault.Conflict{Detail: "account " + prev.Username + " is the last active administrator: make another administrator first"}
	}
	return nil
}

// bindUnit binds a to unit (or unbinds it with ""), refusing an unknown
// unit and one bound to another account; a failed lookup is an error (a
// 503), not a bad field.
func (s *Service) bindUnit(ctx context.Context, a *Account, unit string, bad *fault.Invalid) error {
	if unit == "" {
		a.Unit = ""
		return nil
	}
	if !s.rules.Unit(unit) {
		bad.Add("unit", "%q is not a known unit", unit)
		return nil
	}
	holder, err := s.st.UnitHolder(ctx, unit)
	switch {
	case err != nil:
		return fmt.Errorf("checking unit %s's account: %w", unit, err)
	case holder != "" && holder != a.Username:
		bad.Add("unit", "%q is already bound to account %s", unit, holder)
	default:
		a.Unit = unit
	}
	return nil
}

// Created is a new account and its one-time password, shown once.
type Created struct {
	Account  *Account `json:"account"`
	Password string   `json:"password"`
}

// Create adds an account with a one-time password (in.Password, checked
// against the policy, or a generated one) that must be changed at first
// login.
func (s *Service) Create(ctx context.Context, who vocab.Actor, in Input) (*Created, error) {
	bad := &fault.Invalid{}
	a := &Account{MustChangePassword: true}
	switch {
	case in.Username == nil || *in.Username == "":
		bad.Add("username", "required")
	case !UsernamePattern.MatchString(*in.Username):
		bad.Add("username", "a lowercase letter, then up to 63 lowercase letters, digits, _ . or -")
	default:
		a.Username = *in.Username
	}
	for _, f := range []struct {
		name string
		set  bool
	}{{"name", in.Name != nil}, {"role", in.Role != nil}} {
		if !f.set {
			bad.Add(f.name, "required")
		}
	}
	if in.Version != nil {
		bad.Add("version", "not accepted on create")
	}
	if err := s.apply(ctx, a, in, bad); err != nil {
		return nil, err
	}
	pw := ""
	if in.Password != nil {
		pw = *in.Password
		for _, e := range CheckPassword(a.Username, pw) {
			bad.Add("password", "%s", e)
		}
	} else {
		pw = OneTimePassword()
	}
	if a.Username != "" && !has(bad, "username") {
		if _, err := s.st.Load(ctx, a.Username); err == nil {
			bad.Add("username", "%q is taken", a.Username)
		} else if !fault.IsNotFound(err) {
			return nil, err
		}
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), s.rules.BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("hashing a password: %w", err)
	}
	now := s.now().UTC()
	a.CreatedAt, a.UpdatedAt, a.Version = now, now, 1
	c := s.write(a, nil, string(hash), []string{"", Deleted}, "account "+a.Username+" exists")
	if err := s.commit(ctx, c, record(now, who, "account.created", a.Username, map[string]any{"name": a.Name, "role": a.Role, "area": a.Area, "unit": a.Unit})); err != nil {
		return nil, err
	}
	return &Created{Account: a, Password: pw}, nil
}

// write is the change that writes a (replacing prev, nil when new) with
// hash ("" keeps the stored one), guarded by the states allowed before and
// by a's unit binding.
func (s *Service) write(a, prev *Account, hash string, states []string, why string) *change.Change {
	state := Active
	if a.Disabled {
		state = Disabled
	}
	fields := map[string]string{"ver": strconv.Itoa(a.Version), "state": state}
	if hash != "" {
		fields["hash"] = hash
	}
	c := &change.Change{At: a.UpdatedAt}
	c.Guards = append(c.Guards, change.Guard{Kind: Kind, ID: a.Username, Field: "state", Allowed: states, Why: why})
	if prev != nil {
		c.Guards = append(c.Guards, change.Guard{Kind: Kind, ID: a.Username, Field: "ver", Allowed: []string{strconv.Itoa(prev.Version)},
			Why: "account " + a.Username + " changed meanwhile: read it again"})
	}
	c.Docs = append(c.Docs, change.Doc{Kind: Kind, ID: a.Username, Value: a, Prev: prev, Fields: fields})
	bindings(c, a, prev)
	return c
}

// bindings adds the unit binding of a to c (releasing prev's unit).
func bindings(c *change.Change, a, prev *Account) {
	if prev != nil && prev.Unit != "" && prev.Unit != a.Unit {
		c.Fields = append(c.Fields, change.Field{Kind: KindUnits, Field: prev.Unit, Value: ""})
	}
	if a.Unit != "" && (prev == nil || prev.Unit != a.Unit) {
		c.Guards = append(c.Guards, change.Guard{Kind: KindUnits, Field: a.Unit, Allowed: []string{"", a.Username},
			Why: "unit " + a.Unit + " was bound to another account meanwhile"})
		c.Fields = append(c.Fields, change.Field{Kind: KindUnits, Field: a.Unit, Value: a.Username})
	}
}

func record(at time.Time, who vocab.Actor, action, username string, detail map[string]any) audit.Record {
	return audit.Record{At: at, Who: who.Username, Role: who.Role, Action: action, Object: username, Detail: detail}
}

// Get returns an account.
func (s *Service) Get(ctx context.Context, username string) (*Account, error) {
	st, err := s.st.Load(ctx, username)
	if err != nil {
		return nil, err
	}
	return st.Account, nil
}

// List returns every account, by username.
func (s *Service) List(ctx context.Context) ([]*Account, error) { return s.st.List(ctx) }

// Update edits an account's name, role, area, unit and phone, guarded by
// the version the admin read.
func (s *Service) Update(ctx context.Context, who vocab.Actor, username string, in Input) (*Account, error) {
	prev, a, _, err := s.next(ctx, username)
	if err != nil {
		return nil, err
	}
	bad := &fault.Invalid{}
	if in.Username != nil && *in.Username != username {
		bad.Add("username", "cannot be changed")
	}
	if in.Password != nil {
		bad.Add("password", "not accepted here: reset the password instead")
	}
	switch {
	case in.Version == nil:
		bad.Add("version", "required: the version read")
	case *in.Version != prev.Version:
		bad.Add("version", "is %d, not %d: the account changed meanwhile; read it again", prev.Version, *in.Version)
	}
	selfEdit(who, prev, in, bad)
	if err := s.apply(ctx, a, in, bad); err != nil {
		return nil, err
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	changed := diff(prev, a)
	c := s.write(a, prev, "", []string{Active, Disabled}, "account "+username+" was deleted meanwhile")
	if err := s.keepAnAdmin(ctx, prev, a, c); err != nil {
		return nil, err
	}
	if err := s.commit(ctx, c, record(a.UpdatedAt, who, "account.updated", username, changed)); err != nil {
		return nil, err
	}
	// A session carries the role, unit and area it was opened with: a
	// change of them takes effect at the next login, so end the sessions.
	if changed["role"] != nil || changed["unit"] != nil || changed["area"] != nil {
		if err := s.endSessions(ctx, username); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// next returns the stored account and a copy of it to change, one version
// on, with the stored password hash.
func (s *Service) next(ctx context.Context, username string) (prev, a *Account, hash string, err error) {
	cur, err := s.st.Load(ctx, username)
	if err != nil {
		return nil, nil, "", err
	}
	n := *cur.Account
	n.Version++
	n.UpdatedAt = s.now().UTC()
	return cur.Account, &n, cur.Hash, nil
}

// commit carries out c with its audit record.
func (s *Service) commit(ctx context.Context, c *change.Change, r audit.Record) error {
	c.Audit = append(c.Audit, r)
	_, err := s.st.Apply(ctx, c)
	return err
}

// diff names the fields of an edit that changed, from and to.
func diff(prev, a *Account) map[string]any {
	out := map[string]any{}
	for _, f := range []struct {
		name     string
		from, to string
	}{{"name", prev.Name, a.Name}, {"role", string(prev.Role), string(a.Role)}, {"area", prev.Area, a.Area},
		{"unit", prev.Unit, a.Unit}, {"phone", prev.Phone, a.Phone}} {
		if f.from != f.to {
			out[f.name] = map[string]string{"from": f.from, "to": f.to}
		}
	}
	return out
}

// SetDisabled disables an account (ending its sessions everywhere) or
// enables it again.
func (s *Service) SetDisabled(ctx context.Context, who vocab.Actor, username string, disabled bool) (*Account, error) {
	if disabled && who.Username == username {
		return nil, fault.Field("username", "an administrator cannot disable their own account")
	}
	prev, a, _, err := s.next(ctx, username)
	if err != nil {
		return nil, err
	}
	a.Disabled = disabled
	action := "account.enabled"
	if disabled {
		action = "account.disabled"
	}
	c := s.write(a, prev, "", []string{Active, Disabled}, "account "+username+" was deleted meanwhile")
	if err := s.keepAnAdmin(ctx, prev, a, c); err != nil {
		return nil, err
	}
	if err := s.commit(ctx, c, record(a.UpdatedAt, who, action, username, nil)); err != nil {
		return nil, err
	}
	if disabled {
		if err := s.endSessions(ctx, username); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func (s *Service) endSessions(ctx context.Context, username string) error {
	if s.sessions == nil {
		return nil
	}
	if err := s.sessions.EndSessions(ctx, username); err != nil {
		return fmt.Errorf("ending the sessions of %s: %w", username, err)
	}
	return nil
}

// ResetPassword gives an account a new one-time password (returned, shown
// once) that must be changed at the next login, and ends its sessions.
func (s *Service) ResetPassword(ctx context.Context, who vocab.Actor, username string) (*Created, error) {
	prev, a, _, err := s.next(ctx, username)
	if err != nil {
		return nil, err
	}
	pw := OneTimePassword()
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), s.rules.BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("hashing a password: %w", err)
	}
	a.MustChangePassword, a.Demo = true, false
	c := s.write(a, prev, string(hash), []string{Active, Disabled}, "account "+username+" was deleted meanwhile")
	if err := s.commit(ctx, c, record(a.UpdatedAt, who, "account.password_reset", username, nil)); err != nil {
		return nil, err
	}
	if err := s.endSessions(ctx, username); err != nil {
		return nil, err
	}
	return &Created{Account: a, Password: pw}, nil
}

// ErrUsed is the refusal to delete an account that has signed in.
var ErrUsed = errors.New("has signed in: disable it instead")

// Delete removes an account that never signed in (409 otherwise: disable
// it instead); its unit is released and its name may be taken again.
func (s *Service) Delete(ctx context.Context, who vocab.Actor, username string) error {
	if who.Username == username {
		return fault.Field("username", "an administrator cannot delete their own account")
	}
	prev, a, _, err := s.next(ctx, username)
	if err != nil {
		return err
	}
	if prev.LastLogin != nil {
		return &fault.Conflict{Detail: "account " + username + " " + ErrUsed.Error()}
	}
	a.Unit = ""
	c := s.write(a, prev, "", []string{Active, Disabled}, "account "+username+" was deleted meanwhile")
	c.Docs[0].Fields["state"] = Deleted
	c.Docs[0].Fields["hash"] = ""
	c.Guards = append(c.Guards, change.Guard{Kind: Kind, ID: username, Field: "last_login", Allowed: []string{""},
		Why: "account " + username + " " + ErrUsed.Error()})
	if err := s.keepAnAdmin(ctx, prev, nil, c); err != nil {
		return err
	}
	return s.commit(ctx, c, record(a.UpdatedAt, who, "account.deleted", username, nil))
}

// ChangePassword changes the caller's own password: the old one must be
// right, the new one pass the policy; the must-change mark goes.
func (s *Service) ChangePassword(ctx context.Context, who vocab.Actor, old, pw string) (*Account, error) {
	prev, a, stored, err := s.next(ctx, who.Username)
	if err != nil {
		return nil, err
	}
	bad := &fault.Invalid{}
	if old == "" {
		bad.Add("old_password", "required")
	} else if len(old) > maxPasswordBytes || bcrypt.CompareHashAndPassword([]byte(stored), []byte(old)) != nil {
		bad.Add("old_password", "is not the current password")
	}
	for _, e := range CheckPassword(who.Username, pw) {
		bad.Add("new_password", "%s", e)
	}
	if pw != "" && pw == old {
		bad.Add("new_password", "must differ from the old password")
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), s.rules.BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("hashing a password: %w", err)
	}
	a.MustChangePassword, a.Demo = false, false
	c := s.write(a, prev, string(hash), []string{Active}, "account "+who.Username+" was disabled or deleted meanwhile")
	if err := s.commit(ctx, c, record(a.UpdatedAt, who, "account.password_changed", who.Username, nil)); err != nil {
		return nil, err
	}
	return a, nil
}

// LoggedIn records a login (the account can no longer be deleted) of the
// account read at version. It fails with a conflict when the account was
// disabled, deleted, edited or had its password reset since its password
// was checked: the login is then refused (its session is deleted), so that
// a login racing a disable, a reset or a demotion cannot outlive it.
func (s *Service) LoggedIn(ctx context.Context, username string, version int, at time.Time) error {
	c := &change.Change{At: at, Fields: []change.Field{{Kind: Kind, ID: username, Field: "last_login", Value: at.UTC().Format(time.RFC3339Nano)}},
		Guards: []change.Guard{{Kind: Kind, ID: username, Field: "state", Allowed: []string{Active}, Why: "account " + username + " was disabled meanwhile"},
			{Kind: Kind, ID: username, Field: "ver", Allowed: []string{strconv.Itoa(version)}, Why: "account " + username + " changed meanwhile"}}}
	_, err := s.st.Apply(ctx, c)
	return err
}

// Seed is an account of the configuration, with its bcrypt hash.
type Seed struct {
	Account Account
	Hash    string
}

// SeedAll adds each seed that does not exist yet (nor ever did: a deleted
// account is not brought back); an existing account is never overwritten.
// It returns the usernames created.
func (s *Service) SeedAll(ctx context.Context, seeds []Seed) ([]string, error) {
	var created []string
	now := s.now().UTC()
	for _, sd := range seeds {
		a := sd.Account
		a.CreatedAt, a.UpdatedAt, a.Version = now, now, 1
		c := s.write(&a, nil, sd.Hash, []string{""}, "exists")
		c.Audit = append(c.Audit, record(now, vocab.Actor{Username: "config", Role: vocab.System}, "account.seeded", a.Username, nil))
		_, err := s.st.Apply(ctx, c)
		switch {
		case fault.IsConflict(err):
			continue
		case err != nil:
			return created, fmt.Errorf("seeding account %s: %w", a.Username, err)
		}
		created = append(created, a.Username)
	}
	return created, nil
}

// OneTimePassword returns a random password of 12 letters and digits
// (with both), easy to read out: no 0/o, 1/l/i.
func OneTimePassword() string {
	const letters, digits = "abcdefghjkmnpqrstuvwxyz", "23456789"
	const all = letters + digits
	for {
		b := make([]byte, 12)
		for i := range b {
			n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(all))))
			b[i] = all[n.Int64()]
		}
		if len(Classes(string(b))) >= 2 {
			return string(b)
		}
	}
}

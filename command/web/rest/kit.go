// Package rest is what every handler of the API shares: the dependencies
// (Deps), the session a request carries, strict JSON bodies, idempotency
// keys, problem+json errors, rate limits and the client's address.
package rest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"strings"
	"time"
	"unicode"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"watchfloor/command/account"
	"watchfloor/command/alarm"
	"watchfloor/command/audit"
	"watchfloor/command/auth"
	"watchfloor/command/dispatch"
	"watchfloor/command/duty"
	"watchfloor/command/fault"
	"watchfloor/command/gridcase"
	"watchfloor/command/incident"
	"watchfloor/command/inforeport"
	"watchfloor/command/live"
	"watchfloor/command/notify"
	"watchfloor/command/plan"
	"watchfloor/command/stats"
	"watchfloor/command/strictjson"
	"watchfloor/command/unit"
	"watchfloor/command/unit/registry"
	"watchfloor/command/vocab"
	"watchfloor/command/warning"
	"watchfloor/config"
	"watchfloor/geo"
)

// Deps are what the API serves.
type Deps struct {
	Config    *config.Config
	Auth      *auth.Service
	Accounts  *account.Service
	Incidents *incident.Service
	Reports   *inforeport.Service // the incidents' information reports
	Units     *unit.Service
	Ingest    *unit.Ingester
	Dispatch  *dispatch.Service
	Alarms    *alarm.Service
	Plans     *plan.Service
	Cases     *gridcase.Service
	Daily     gridcase.DailyStore
	// Duty is the duty roster and the shift handovers.
	Duty    *duty.Service
	Figures Figures
	Audit   audit.Store
	// Notify is the notifications' outbox and channels (admin page).
	Notify *notify.Service
	// Warnings are the warnings (预警) issued and changed.
	Warnings *warning.Service
	Hub      *live.Hub
	Source   live.Source
	Map      *geo.Map
	// Places is the gazetteer the console searches (empty when none is configured).
	Places   *geo.Gazetteer
	Static   fs.FS
	Ready    func() bool
	Registry *prometheus.Registry
	Log      *slog.Logger

	// UnitRegistry manages units at run time (the administration page).
	UnitRegistry *registry.Registry
	// Now is the server's clock for what answers say (nil: the real one);
	// rate limits and network deadlines keep the real one.
	Now func() time.Time
}

// Figures reads the counters kept per local day.
type Figures interface {
	Days(ctx context.Context, from, to time.Time) ([]stats.Day, error)
}

// Kit is the dependencies with what the handlers share: the limits per
// session token, per device and per login address, the metrics, and the
// trusted proxies (config trusted_proxies).
type Kit struct {
	Deps
	Tokens, Devices, Logins *Limiter
	Metrics                 *Metrics
	proxies                 []netip.Prefix
}

// NewKit builds the kit of d; its metrics register with d.Registry.
func NewKit(d Deps) (*Kit, error) {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	proxies, err := parseProxies(d.Config.TrustedProxies)
	if err != nil {
		return nil, err
	}
	l := d.Config.Limits
	return &Kit{Deps: d, proxies: proxies, Metrics: newMetrics(d.Registry),
		Tokens:  NewLimiter(l.TokenRate, l.TokenBurst),
		Devices: NewLimiter(l.DeviceRate, l.DeviceBurst),
		Logins:  NewLimiter(l.LoginRate, l.LoginBurst),
	}, nil
}

// Clock is the time now by the server's clock (Deps.Now, or the real one).
func (k *Kit) Clock() time.Time {
	if k.Now == nil {
		return time.Now()
	}
	return k.Now()
}

// Locals keys: where the authenticated session and its token's hash are kept.
const (
	SessionKey   = "session"
	TokenHashKey = "token_hash"
)

// Session is the request's authenticated session (zero on a public route).
func Session(c *fiber.Ctx) auth.Session {
	s, _ := c.Locals(SessionKey).(auth.Session)
	return s
}

// Actor is who the request's session acts as.
func Actor(c *fiber.Ctx) vocab.Actor {
	s := Session(c)
	return vocab.Actor{Username: s.Username, Role: s.Role}
}

// Forbidden is a 403 with detail.
func Forbidden(detail string) error { return &fault.Forbidden{Detail: detail} }

// Record appends an audit record that belongs to no other write; a failure
// is logged, never shown (the request itself succeeded or failed on its own).
func (k *Kit) Record(c *fiber.Ctx, r audit.Record) {
	r.Who = strings.Clone(r.Who)
	r.At = k.Clock().UTC()
	if err := k.Audit.Append(c.UserContext(), r); err != nil {
		k.Log.Warn("auditing failed", "action", r.Action, "err", err)
	}
}

// Body returns the request body after checking the JSON size limit and
// the media type (415 unless application/json, see JSONMediaType).
func (k *Kit) Body(c *fiber.Ctx) ([]byte, error) {
	b := c.Body()
	if len(b) > k.Config.Limits.JSONBodyBytes {
		return nil, fiber.NewError(fiber.StatusRequestEntityTooLarge)
	}
	ct := c.Get(fiber.HeaderContentType)
	if ct == "" && len(b) == 0 {
		return b, nil // no body at all: the actions whose body is optional
	}
	if err := JSONMediaType(ct); err != nil {
		return nil, err
	}
	return b, nil
}

// UnsupportedMedia is a body of a media type other than JSON (415).
type UnsupportedMedia struct{ detail string }

func (e *UnsupportedMedia) Error() string { return e.detail }

// Unsupported is a body of another media type than the route takes (415).
func Unsupported(detail string) error { return &UnsupportedMedia{detail} }

// JSONMediaType accepts exactly application/json, with parameters (a
// charset, when given, must be UTF-8).
func JSONMediaType(ct string) error {
	mt, params, err := mime.ParseMediaType(ct)
	switch {
	case ct == "":
		return &UnsupportedMedia{"a JSON body needs Content-Type: application/json"}
	case err != nil || mt != "application/json":
		return &UnsupportedMedia{fmt.Sprintf("Content-Type must be application/json, not %q", ct)}
	case params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8"):
		return &UnsupportedMedia{fmt.Sprintf("a JSON body is UTF-8, not charset %q", params["charset"])}
	}
	return nil
}

// Decode reads a JSON body within the JSON size limit strictly into v, and
// returns the body too (idempotency fingerprints it).
func (k *Kit) Decode(c *fiber.Ctx, v any) ([]byte, error) {
	b, err := k.Body(c)
	if err != nil {
		return nil, err
	}
	return b, strictjson.Decode(b, v)
}

// Idempotency reads the Idempotency-Key of a create, scoped to the account
// and the kind of thing created, bound to the body; nil without a key.
func (k *Kit) Idempotency(c *fiber.Ctx, kind string, body []byte) (*vocab.Idempotency, error) {
	key := c.Get("Idempotency-Key")
	if key == "" {
		return nil, nil
	}
	if !validIdempotencyKey(key) {
		return nil, fault.Field("Idempotency-Key", "1 to 128 printable ASCII characters")
	}
	sum := sha256.Sum256(body)
	return &vocab.Idempotency{Key: Session(c).Username + ":" + kind + ":" + key, Fingerprint: hex.EncodeToString(sum[:8]), TTL: k.Config.Idempotency}, nil
}

func validIdempotencyKey(k string) bool {
	if len(k) == 0 || len(k) > 128 {
		return false
	}
	for _, r := range k {
		if r > unicode.MaxASCII || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// ReasonText cleans a free-text reason (incident.CleanNote); one with
// nothing visible counts as none, so a required reason is still missing.
func ReasonText(s string) string { return incident.CleanNote(s) }

// SeesPersonalData reports whether role may see reporters' names and phones.
func SeesPersonalData(role vocab.Role) bool {
	return role == vocab.Operator || role == vocab.Leader || role == vocab.Deputy || role == vocab.Admin
}

// View is the incident as the request's role may see it (masked reporter
// for roles without personal data).
func (k *Kit) View(c *fiber.Ctx, inc *incident.Incident) *incident.Incident {
	if SeesPersonalData(Session(c).Role) {
		return inc
	}
	return inc.Masked()
}

// Envelope encodes a message of a socket: its seq, type, time (the
// server's clock) and data.
func (k *Kit) Envelope(typ string, seq uint64, data any) ([]byte, uint64, error) {
	msg, err := json.Marshal(struct {
		Seq  uint64 `json:"seq"`
		Type string `json:"type"`
		At   string `json:"at"`
		Data any    `json:"data"`
	}{seq, typ, k.Clock().UTC().Format(time.RFC3339Nano), data})
	return msg, seq, err
}

// Adapt serves a net/http handler on Fiber.
func Adapt(h http.Handler) fiber.Handler {
	f := fasthttpadaptor.NewFastHTTPHandler(h)
	return func(c *fiber.Ctx) error { f(c.Context()); return nil }
}

// One is a route served by one handler.
func One(h fiber.Handler) []fiber.Handler { return []fiber.Handler{h} }

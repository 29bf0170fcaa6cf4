// Package web is Watchfloor's HTTP shell: the Fiber app whose routes are
// registered from the route table (auth.Routes) with the handlers of the
// resource packages (incidents, units, cases, reports, geodata, sockets),
// the middleware every request passes (recovery, metrics, security
// headers, authorisation), problem+json errors, health, metrics and the
// embedded pages.
package web

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"watchfloor/command/auth"
	"watchfloor/command/fault"
	"watchfloor/command/web/geodata"
	"watchfloor/command/web/rest"
	"watchfloor/command/web/sockets"
	"watchfloor/command/web/units"
)

// Deps are what the API serves.
type Deps = rest.Deps

// API is the HTTP and websocket server of the command centre.
type API struct {
	*rest.Kit
	app *fiber.App
	// sockets serves the websockets and closes them on shutdown.
	sockets *sockets.Server
	// osmand takes OsmAnd requests, at /api/v1/osmand and on its listener.
	osmand fiber.Handler
	// shed refuses the position entry points on their headers while the
	// ingest queue is full (shed.go).
	shed *headerShed
}

// The apps' timeouts: a request's headers and body must arrive within
// readTimeout, its answer leave within writeTimeout.
const (
	readTimeout  = 30 * time.Second
	writeTimeout = 30 * time.Second
	idleTimeout  = 120 * time.Second
)

// FirstByteTimeout is how long a new connection may stay silent before
// its first byte: the read timeout. The listener must set it, for with
// ReduceMemoryUsage fasthttp (v1.52) waits for that byte with no deadline.
const FirstByteTimeout = readTimeout

// New builds the Fiber app with every route of auth.Routes.
func New(d Deps) (*API, error) {
	k, err := rest.NewKit(d)
	if err != nil {
		return nil, err
	}
	a := &API{Kit: k, sockets: sockets.New(k)}
	a.shed = newHeaderShed(d.Ingest, d.Config.Limits.BodyBytes, nil)
	a.app = fiber.New(fiber.Config{
		AppName:               "watchfloor",
		BodyLimit:             d.Config.Limits.BodyBytes,
		ErrorHandler:          a.ErrorHandler,
		DisableStartupMessage: true,
		ReadTimeout:           readTimeout,
		WriteTimeout:          writeTimeout,
		IdleTimeout:           idleTimeout,
		ReadBufferSize:        16 << 10,
		// A connection holds no read buffer while it waits for its next
		// request, nor once hijacked: a websocket reads through its own
		// 4 KB reader, and the 16 KB the longest header needs would sit
		// unused beside it for the socket's life.
		ReduceMemoryUsage: true,
		// Forwarded addresses are believed only from configured proxies;
		// ClientIP picks the client out of the header (c.IP would return
		// the raw list).
		EnableTrustedProxyCheck: true,
		TrustedProxies:          d.Config.TrustedProxies,
		ProxyHeader:             d.Config.ProxyHeader,
	})
	a.app.Server().HeaderReceived = a.shed.onHeaders
	a.app.Use(a.shed.gate)
	a.app.Use(recover.New())
	a.app.Use(a.observe)
	a.app.Use(securityHeaders(geodata.ContentSecurity(d.Config.Map)))
	a.app.Use(identityBodies)

	handlers, err := a.handlers()
	if err != nil {
		return nil, err
	}
	stamp := serverTime(a.Clock)
	for _, r := range auth.Routes {
		h, ok := handlers[r.Name]
		if !ok {
			return nil, fmt.Errorf("route %s has no handler", r.Name)
		}
		chain := []fiber.Handler{a.authorize(r)}
		if r.Method == fiber.MethodGet { // what pages read, not the position entry points
			chain = append([]fiber.Handler{stamp}, chain...)
		}
		if strings.HasPrefix(r.Name, "ws.") {
			// In turn before the session is looked up (see sockets.AdmitFor).
			chain = append([]fiber.Handler{a.sockets.AdmitFor(r.Name)}, chain...)
		}
		if slices.Contains(units.ShedFirst(), r.Name) {
			// Refused while the queue is full before the session is checked.
			chain = append([]fiber.Handler{a.shed.refuse}, chain...)
			method := r.Method
			if method == "ANY" {
				method = ""
			}
			a.shed.routes = append(a.shed.routes, shedRoute{method: method, path: r.Path})
		}
		chain = append(chain, h...)
		if r.Method == "ANY" {
			a.app.All(r.Path, chain...)
		} else {
			a.app.Add(r.Method, r.Path, chain...)
		}
	}
	a.app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	a.app.Get("/readyz", a.readyz)
	a.app.Get("/metrics", a.metricsAuth, rest.Adapt(promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{Registry: d.Registry})))
	a.app.Use("/api", func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	if d.Static != nil {
		a.app.Use("/", filesystem.New(filesystem.Config{Root: http.FS(d.Static), Index: "index.html", MaxAge: 60}))
	}
	return a, nil
}

// App is the Fiber app, for Listener and Shutdown.
func (a *API) App() *fiber.App { return a.app }

// CloseSockets tells every websocket to close with 1001 (going away) and
// waits, until ctx ends, for their handlers to return.
func (a *API) CloseSockets(ctx context.Context) error { return a.sockets.Close(ctx) }

// Revoked closes the websockets of the session hash, ended on some
// instance.
func (a *API) Revoked(hash string) { a.sockets.Revoked(hash) }

func (a *API) readyz(c *fiber.Ctx) error {
	if a.Ready != nil && !a.Ready() {
		c.Set(fiber.HeaderRetryAfter, "1")
		return rest.Problem(c, 503, "unavailable", "redis is unreachable", nil)
	}
	return c.JSON(fiber.Map{"status": "ready"})
}

// metricsAuth requires the metrics bearer token when one is configured
// (metrics.token_env; config refuses a server beyond loopback without one
// unless metrics.public is set).
func (a *API) metricsAuth(c *fiber.Ctx) error {
	want := a.Config.Metrics.Token
	if want == "" {
		return c.Next()
	}
	got := rest.Bearer(c.Get(fiber.HeaderAuthorization))
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="watchfloor-metrics"`)
		return rest.Problem(c, 401, "unauthenticated", "/metrics needs the metrics token: send Authorization: Bearer TOKEN", nil)
	}
	return c.Next()
}

// securityHeaders sets the headers every answer carries, with csp as its
// Content-Security-Policy.
func securityHeaders(csp string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set("X-Content-Type-Options", "nosniff")
		c.Set("X-Frame-Options", "DENY")
		c.Set("Referrer-Policy", "no-referrer")
		c.Set("Content-Security-Policy", csp)
		return c.Next()
	}
}

// HeaderServerTime dates an answer to an API GET by the server's clock
// (RFC 3339): pages without a socket set theirs by it (Date is the
// machine's, to the second, and a proxy may replace it).
const HeaderServerTime = "X-Server-Time"

// serverTime sets HeaderServerTime from now.
func serverTime(now func() time.Time) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set(HeaderServerTime, now().UTC().Format(time.RFC3339Nano))
		return c.Next()
	}
}

// authorize checks the session against the route's roles before the
// handler runs. Requests carry Authorization: Bearer TOKEN; a websocket may
// instead carry ?ticket= (a one-time ticket from POST
// /api/v1/sessions/ticket) or, deprecated, ?token=.
func (a *API) authorize(r auth.Route) fiber.Handler {
	ws := strings.HasPrefix(r.Path, "/ws/")
	return func(c *fiber.Ctx) error {
		if r.Public() {
			return c.Next()
		}
		cred := rest.CredentialOf(c, ws)
		var sess auth.Session
		var hash string
		var err error
		switch {
		case cred.Token != "":
			sess, err = a.Auth.Authenticate(c.UserContext(), cred.Token)
			hash = auth.HashToken(cred.Token)
		case cred.Ticket != "":
			sess, hash, err = a.Auth.UseTicket(c.UserContext(), cred.Ticket)
		default:
			return auth.ErrUnauthenticated
		}
		if err != nil {
			return err
		}
		if ok, wait := a.Tokens.Allow(hash, time.Now()); !ok {
			c.Set(fiber.HeaderRetryAfter, rest.RetryAfter(wait))
			return rest.Problem(c, 429, "rate-limited", "too many requests for this session; slow down", nil)
		}
		if !r.Allowed(sess.Role) {
			return rest.Forbidden(fmt.Sprintf("role %s may not %s %s", sess.Role, r.Method, r.Path))
		}
		if sess.MustChangePassword && !slices.Contains(auth.BeforePasswordChange, r.Name) {
			return rest.Problem(c, 403, "password-change-required", "this account must change its one-time password first: PUT /api/v1/sessions/me/password",
				[]fault.FieldError{{Field: "password", Message: "must be changed before anything else"}})
		}
		c.Locals(rest.SessionKey, sess)
		c.Locals(rest.TokenHashKey, hash)
		return c.Next()
	}
}

// identityBodies refuses request bodies sent with a Content-Encoding:
// c.Body() would inflate a small gzip or deflate body past every limit (a
// few kilobytes can become gigabytes), and no client of this API
// compresses what it sends.
func identityBodies(c *fiber.Ctx) error {
	if enc := c.Get(fiber.HeaderContentEncoding); enc != "" && !strings.EqualFold(enc, "identity") {
		return rest.Problem(c, 415, "media-type", "request bodies are not accepted with a Content-Encoding; send them uncompressed",
			[]fault.FieldError{{Field: "Content-Encoding", Message: "must be absent or identity"}})
	}
	return c.Next()
}

// NewOsmandApp is the OsmAnd listener: every method on every path, with
// the API's problem+json errors (an oversize body is 413, a request line
// beyond the read buffer 431, never 500).
//
// While the ingest queue is full, every request is refused on its headers
// as the API's position routes are (headerShed).
func (a *API) NewOsmandApp() *fiber.App {
	app := fiber.New(fiber.Config{
		AppName: "watchfloor-osmand", BodyLimit: units.OsmandBodyLimit, DisableStartupMessage: true,
		ReadTimeout: readTimeout, WriteTimeout: writeTimeout, IdleTimeout: idleTimeout,
		ReadBufferSize: 16 << 10,
		ErrorHandler:   a.ErrorHandler,
	})
	shed := newHeaderShed(a.Ingest, units.OsmandBodyLimit, []shedRoute{{}})
	app.Server().HeaderReceived = shed.onHeaders
	app.Use(shed.gate)
	app.Use(recover.New())
	app.Use(identityBodies)
	app.Use(shed.refuse)
	app.Use(a.osmand)
	return app
}

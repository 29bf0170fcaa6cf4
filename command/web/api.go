// Package web is Watchfloor's HTTP edge: the Fiber app with thin handlers
// that decode, call the domain and encode, problem+json errors, the
// websocket endpoints, the embedded pages, health and metrics.
package web

import (
	"context"
	"crypto/subtle"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"watchfloor/command/alarm"
	"watchfloor/command/audit"
	"watchfloor/command/auth"
	"watchfloor/command/dispatch"
	"watchfloor/command/fault"
	"watchfloor/command/gridcase"
	"watchfloor/command/incident"
	"watchfloor/command/inforeport"
	"watchfloor/command/live"
	"watchfloor/command/plan"
	"watchfloor/command/unit"
	"watchfloor/config"
	"watchfloor/geo"
)

// Deps are what the API serves.
type Deps struct {
	Config    *config.Config
	Auth      *auth.Service
	Incidents *incident.Service
	Reports   *inforeport.Service // the incidents' information reports
	Units     *unit.Service
	Ingest    *unit.Ingester
	Dispatch  *dispatch.Service
	Alarms    *alarm.Service
	Plans     *plan.Service
	Cases     *gridcase.Service
	Daily     gridcase.DailyStore
	Figures   Figures
	Audit     audit.Store
	Hub       *live.Hub
	Source    live.Source
	Map       *geo.Map
	// Places is the gazetteer the console searches (empty when none is configured).
	Places   *geo.Gazetteer
	Static   fs.FS
	Ready    func() bool
	Registry *prometheus.Registry
	Log      *slog.Logger
}

// API is the HTTP and websocket server of the command centre.
type API struct {
	Deps
	app     *fiber.App
	metrics *httpMetrics
	// tokens, devices and logins limit requests per session token, per
	// device and logins per client address.
	tokens, devices, logins *limiter
	// exports are the ledger exports under way, one per account.
	exports running
	// proxies are the trusted reverse proxies (config trusted_proxies).
	proxies []netip.Prefix
	// sessions are the open websockets by their session's token hash, so a
	// revoked session closes its sockets at once.
	sessions socketSessions

	// base is cancelled on shutdown so websocket writers close their
	// sockets with 1001 before storage goes away.
	base    context.Context
	cancel  context.CancelFunc
	sockets sync.WaitGroup
	// ws counts open websockets and shares screen snapshots.
	ws sockets
}

// New builds the Fiber app with every route of auth.Routes.
func New(d Deps) (*API, error) {
	a := &API{Deps: d}
	if a.Log == nil {
		a.Log = slog.Default()
	}
	a.base, a.cancel = context.WithCancel(context.Background())
	a.metrics = newHTTPMetrics(d.Registry)
	a.tokens = newLimiter(d.Config.Limits.TokenRate, d.Config.Limits.TokenBurst)
	a.devices = newLimiter(d.Config.Limits.DeviceRate, d.Config.Limits.DeviceBurst)
	a.logins = newLimiter(d.Config.Limits.LoginRate, d.Config.Limits.LoginBurst)
	a.sessions.open = map[string]map[*socketSession]struct{}{}
	proxies, err := parseProxies(d.Config.TrustedProxies)
	if err != nil {
		return nil, err
	}
	a.proxies = proxies
	d.Hub.Observe(a.observeStatus)
	a.app = fiber.New(fiber.Config{
		AppName:               "watchfloor",
		BodyLimit:             d.Config.Limits.BodyBytes,
		ErrorHandler:          a.errorHandler,
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           120 * time.Second,
		ReadBufferSize:        16 << 10,
		// Forwarded addresses are believed only from configured proxies;
		// clientIP picks the client out of the header (c.IP would return
		// the raw list).
		EnableTrustedProxyCheck: true,
		TrustedProxies:          d.Config.TrustedProxies,
		ProxyHeader:             d.Config.ProxyHeader,
	})
	a.app.Use(recover.New())
	a.app.Use(a.observe)
	a.app.Use(securityHeaders(contentSecurity(d.Config.Map)))
	a.app.Use(identityBodies)

	handlers := a.handlers()
	for _, r := range auth.Routes {
		h, ok := handlers[r.Name]
		if !ok {
			return nil, fmt.Errorf("route %s has no handler", r.Name)
		}
		chain := []fiber.Handler{a.authorize(r)}
		chain = append(chain, h...)
		if r.Method == "ANY" {
			a.app.All(r.Path, chain...)
		} else {
			a.app.Add(r.Method, r.Path, chain...)
		}
	}
	a.app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	a.app.Get("/readyz", a.readyz)
	a.app.Get("/metrics", a.metricsAuth, adapt(promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{Registry: d.Registry})))
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
func (a *API) CloseSockets(ctx context.Context) error {
	a.cancel()
	done := make(chan struct{})
	go func() { a.sockets.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("closing websockets: %w", ctx.Err())
	}
}

func adapt(h http.Handler) fiber.Handler {
	f := fasthttpadaptor.NewFastHTTPHandler(h)
	return func(c *fiber.Ctx) error { f(c.Context()); return nil }
}

func (a *API) readyz(c *fiber.Ctx) error {
	if a.Ready != nil && !a.Ready() {
		c.Set(fiber.HeaderRetryAfter, "1")
		return problem(c, 503, "unavailable", "redis is unreachable", nil)
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
	got := bearer(c.Get(fiber.HeaderAuthorization))
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="watchfloor-metrics"`)
		return problem(c, 401, "unauthenticated", "/metrics needs the metrics token: send Authorization: Bearer TOKEN", nil)
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

// sessionKey is where the authenticated session is kept in Locals.
const sessionKey = "session"

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
		token := bearer(c.Get(fiber.HeaderAuthorization))
		var sess auth.Session
		var hash string
		var err error
		switch {
		case token != "":
			sess, err = a.Auth.Authenticate(c.UserContext(), token)
			hash = auth.HashToken(token)
		case ws && c.Query("ticket") != "":
			sess, hash, err = a.Auth.UseTicket(c.UserContext(), c.Query("ticket"))
		case ws && c.Query("token") != "":
			token = c.Query("token")
			sess, err = a.Auth.Authenticate(c.UserContext(), token)
			hash = auth.HashToken(token)
		default:
			return auth.ErrUnauthenticated
		}
		if err != nil {
			return err
		}
		if ok, wait := a.tokens.allow(hash, time.Now()); !ok {
			c.Set(fiber.HeaderRetryAfter, retryAfter(wait))
			return problem(c, 429, "rate-limited", "too many requests for this session; slow down", nil)
		}
		if !r.Allowed(sess.Role) {
			return forbidden(fmt.Sprintf("role %s may not %s %s", sess.Role, r.Method, r.Path))
		}
		c.Locals(sessionKey, sess)
		c.Locals(tokenHashKey, hash)
		return c.Next()
	}
}

// tokenHashKey is where the hash of the session's token is kept in Locals.
const tokenHashKey = "token_hash"

// parseProxies reads trusted_proxies: addresses and CIDR ranges.
func parseProxies(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, p := range list {
		if pr, err := netip.ParsePrefix(p); err == nil {
			out = append(out, pr.Masked())
			continue
		}
		ip, err := netip.ParseAddr(p)
		if err != nil {
			return nil, fmt.Errorf("trusted_proxies: %q is not an address or CIDR range", p)
		}
		ip = ip.Unmap()
		out = append(out, netip.PrefixFrom(ip, ip.BitLen()))
	}
	return out, nil
}

func (a *API) trusted(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range a.proxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// clientIP is the client's address: the peer's, unless the peer is a
// trusted proxy, in which case the right-most address of the proxy header
// that is not itself a trusted proxy (the left part of X-Forwarded-For is
// whatever the client chose to send).
func (a *API) clientIP(c *fiber.Ctx) string {
	peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		return c.Context().RemoteIP().String()
	}
	peer = peer.Unmap()
	header := a.Config.ProxyHeader
	if header == "" || !a.trusted(peer) {
		return peer.String()
	}
	list := c.Get(header)
	for list != "" {
		var part string
		if i := strings.LastIndexByte(list, ','); i >= 0 {
			list, part = list[:i], list[i+1:]
		} else {
			list, part = "", list
		}
		ip, err := netip.ParseAddr(strings.TrimSpace(part))
		if err != nil {
			break // garbage: trust nothing further left
		}
		ip = ip.Unmap()
		if !a.trusted(ip) {
			return ip.String()
		}
		peer = ip
	}
	return peer.String()
}

func bearer(h string) string {
	const p = "Bearer "
	if len(h) > len(p) && strings.EqualFold(h[:len(p)], p) {
		return strings.TrimSpace(h[len(p):])
	}
	return ""
}

func session(c *fiber.Ctx) auth.Session {
	s, _ := c.Locals(sessionKey).(auth.Session)
	return s
}

// sameOrigin checks a websocket's Origin: absent (not a browser), the
// server's own host, or a configured one.
func (a *API) sameOrigin(c *fiber.Ctx) bool {
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return true
	}
	for _, o := range a.Config.Auth.AllowedOrigins {
		if subtle.ConstantTimeCompare([]byte(o), []byte(origin)) == 1 {
			return true
		}
	}
	host := origin
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	return host == string(c.Request().Host())
}

// identityBodies refuses request bodies sent with a Content-Encoding:
// c.Body() would inflate a small gzip or deflate body past every limit (a
// few kilobytes can become gigabytes), and no client of this API
// compresses what it sends.
func identityBodies(c *fiber.Ctx) error {
	if enc := c.Get(fiber.HeaderContentEncoding); enc != "" && !strings.EqualFold(enc, "identity") {
		return problem(c, 415, "media-type", "request bodies are not accepted with a Content-Encoding; send them uncompressed",
			[]fault.FieldError{{Field: "Content-Encoding", Message: "must be absent or identity"}})
	}
	return c.Next()
}

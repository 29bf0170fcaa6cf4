package sockets

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"watchfloor/command/auth"
	"watchfloor/command/fault"
	"watchfloor/command/web/rest"
)

// admitsAtOnce is how many sockets of an instance may be starting at once,
// from AdmitFor to their first messages written: a session's lookup, an
// upgrade, a snapshot's reads. Enough to keep the cores busy; few enough
// that thousands of phones reconnecting together wait parked in AdmitFor, not
// runnable ahead of live traffic nor queued on the store's pooled
// connections (64, and one more per ingest worker).
const admitsAtOnce = 16

// deskAdmitsAtOnce is the same for the control room's sockets (wall
// screens, leaders, pages' session sockets): a queue of their own, so that
// a wall reconnecting beside thousands of phones does not wait behind them.
const deskAdmitsAtOnce = 4

// admitWait is how long a websocket request waits for its turn before it
// is answered 503 with Retry-After (admitRetry).
const (
	admitWait  = 5 * time.Second
	admitRetry = "2"
)

// admitHandoff is how long an upgrade answered 101 keeps its place while
// fasthttp has not started its handler (its answer slow to write, or its
// client gone): the handshake's own count waits longer (see watch).
const admitHandoff = 2 * time.Second

// admission is a request's place among the sockets starting (see AdmitFor),
// given back once: by AdmitFor when no upgrade was answered, once the
// socket's start is written (live.Client.Started) or its writes were blocked
// long (socketWriter.hold), or with the handshake.
type admission struct {
	places chan struct{}
	left   atomic.Bool
}

// leave gives the place back; later calls do nothing.
func (p *admission) leave() {
	if p != nil && p.left.CompareAndSwap(false, true) {
		<-p.places
	}
}

// admissionKey is where a websocket request keeps its place in Locals.
const admissionKey = "socket-admission"

// admissionOf is the place held in a request's Locals value v (nil: none,
// as in tests that route around AdmitFor).
func admissionOf(v any) *admission {
	p, _ := v.(*admission)
	return p
}

// queue is one of an instance's queues of sockets starting: its places,
// the upgrades of each address waiting for one, and its refusals.
type queue struct {
	places chan struct{}
	// waiting counts the upgrades waiting for a place by client address
	// and IPv6 /64, so that one client's flood of upgrades, each cheap to
	// send, cannot fill the queue ahead of everyone else's.
	waiting counts
	// overloaded counts the upgrades that found no place within the wait
	// (503); crowded those past their address's share of the wait (429).
	overloaded, crowded prometheus.Counter
}

func newQueue(name string, places int, refused *prometheus.CounterVec) *queue {
	return &queue{places: make(chan struct{}, places),
		overloaded: refused.WithLabelValues(name, "overloaded"), crowded: refused.WithLabelValues(name, "address")}
}

// AdmitFor lets a websocket request of route on to its session's lookup,
// upgrade and start while a place of its queue is free (phones': ws.responder;
// the control room's: the others); the others wait in the order they came,
// up to admitWait, then are answered 503 (overloaded) with Retry-After. At
// most limits.sockets_per_address requests of one address wait in a queue
// at once (eight times that from an IPv6 /64); more are answered 429 at once. A
// request with no credential a session could have is answered 401 first,
// taking no place (see rest.Credential.WellFormed). Put it before the
// route's authorisation.
func (a *Server) AdmitFor(route string) fiber.Handler {
	q := a.queueFor(route)
	return func(c *fiber.Ctx) error { return a.admit(c, q) }
}

// queueFor is route's queue.
func (a *Server) queueFor(route string) *queue {
	if route == "ws.responder" {
		return a.admits
	}
	return a.desks
}

// admit is AdmitFor with its queue.
func (a *Server) admit(c *fiber.Ctx, q *queue) error {
	if !websocket.IsWebSocketUpgrade(c) {
		return c.Next() // the route answers 426
	}
	// A careless client dialling in a loop with "undefined" for its ticket
	// queues ahead of no one.
	if !rest.CredentialOf(c, true).WellFormed() {
		return auth.ErrUnauthenticated
	}
	who := ownerOf("", a.ClientIP(c))
	perAddr := a.Config.Limits.SocketsPerAddress
	if !q.waiting.open(who, 0, perAddr, networkSockets*perAddr) { // no token: counted by address alone
		q.crowded.Inc()
		c.Set(fiber.HeaderRetryAfter, admitRetry)
		return rest.Problem(c, fiber.StatusTooManyRequests, "too-many-sockets",
			fmt.Sprintf("at most %d websockets of one address (%d of an IPv6 /64) wait to start at once: nothing was opened, retry after the time given",
				perAddr, networkSockets*perAddr), nil)
	}
	t := time.NewTimer(a.admitWait)
	defer t.Stop()
	select {
	case q.places <- struct{}{}:
		q.waiting.closed(who)
	case <-t.C:
		q.waiting.closed(who)
		q.overloaded.Inc()
		c.Set(fiber.HeaderRetryAfter, admitRetry)
		return rest.Problem(c, fiber.StatusServiceUnavailable, "overloaded",
			"too many websockets are starting on this instance: nothing was opened, retry after the time given", nil)
	case <-a.base.Done():
		q.waiting.closed(who)
		return fault.ErrUnavailable
	}
	p := &admission{places: q.places}
	c.Locals(admissionKey, p)
	defer func() { // a panic too, recovered further out
		if c.Response().StatusCode() != fiber.StatusSwitchingProtocols {
			p.leave() // refused or failed: no handler will start
		}
	}()
	return c.Next()
}

package sockets

import (
	"sync/atomic"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

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
// socket's start is written (live.Client.Started), or with the handshake.
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

// AdmitFor lets a websocket request of route on to its session's lookup,
// upgrade and start while a place of its queue is free (phones': ws.responder;
// the control room's: the others); the others wait in the order they came,
// up to admitWait, then are answered 503 (overloaded) with Retry-After. Put
// it before the route's authorisation.
func (a *Server) AdmitFor(route string) fiber.Handler {
	places := a.placesFor(route)
	return func(c *fiber.Ctx) error { return a.admit(c, places) }
}

// placesFor is route's queue of places.
func (a *Server) placesFor(route string) chan struct{} {
	if route == "ws.responder" {
		return a.admits
	}
	return a.desks
}

// admit is AdmitFor with places.
func (a *Server) admit(c *fiber.Ctx, places chan struct{}) error {
	if !websocket.IsWebSocketUpgrade(c) {
		return c.Next() // the route answers 426
	}
	t := time.NewTimer(a.admitWait)
	defer t.Stop()
	select {
	case places <- struct{}{}:
	case <-t.C:
		a.startsRefused.Inc()
		c.Set(fiber.HeaderRetryAfter, admitRetry)
		return rest.Problem(c, fiber.StatusServiceUnavailable, "overloaded",
			"too many websockets are starting on this instance: nothing was opened, retry after the time given", nil)
	case <-a.base.Done():
		return fault.ErrUnavailable
	}
	p := &admission{places: places}
	c.Locals(admissionKey, p)
	defer func() { // a panic too, recovered further out
		if c.Response().StatusCode() != fiber.StatusSwitchingProtocols {
			p.leave() // refused or failed: no handler will start
		}
	}()
	return c.Next()
}

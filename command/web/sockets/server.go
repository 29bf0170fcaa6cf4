package sockets

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"watchfloor/command/vocab"
	"watchfloor/command/web/rest"
)

// Server serves the websockets of an instance and closes them on shutdown.
type Server struct {
	*rest.Kit
	// sessions are the open websockets by their session's token hash, so a
	// revoked session closes its sockets at once.
	sessions socketSessions
	// keeping starts keepSessions with the first socket: a server that
	// never serves one (its start failed) runs no loop.
	keeping sync.Once

	// base is cancelled on shutdown so websocket writers close their
	// sockets with 1001 before storage goes away.
	base    context.Context
	cancel  context.CancelFunc
	sockets sync.WaitGroup
	// closeMu orders the handshakes' Add to sockets with Close's cancel
	// (see enter).
	closeMu sync.Mutex
	// ws counts open websockets and shares screen snapshots.
	ws sockets
	// libWrites lends the websocket library a write buffer for the moment
	// it writes: socketWriter writes its frames itself, so a buffer of the
	// library's own for each socket's life would sit unused (8 KB each).
	libWrites sync.Pool
	// closed counts the sockets closed, by stream and reason.
	closed *prometheus.CounterVec
	// admits and desks hold a place for each phone's and each control
	// room socket starting (see AdmitFor); admitWait is how long a request
	// waits for one.
	admits, desks *queue
	admitWait     time.Duration
}

// New returns the websocket server of k; its metrics register with
// k.Registry when there is one.
func New(k *rest.Kit) *Server {
	s := &Server{Kit: k, admitWait: admitWait}
	s.base, s.cancel = context.WithCancel(context.Background())
	s.sessions.open = map[string]*sessionSockets{}
	s.closed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "watchfloor", Name: "websocket_closed_total",
		Help: "Websockets closed by this instance, by kind of stream and why: client, shutdown, session_ended, behind, write_timeout, write_failed, silent, bad_message, storage.",
	}, []string{"stream", "reason"})
	for _, stream := range []string{vocab.ScreenStream, vocab.LeaderStream, "responder", sessionStream} {
		for _, r := range closeReasons {
			s.closed.WithLabelValues(stream, r)
		}
	}
	refused := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "watchfloor", Name: "websocket_starts_refused_total",
		Help: "Websocket upgrades refused before their start, by queue (phones, desks) and why: overloaded (503: no place within the wait), address (429: too many waiting from one address).",
	}, []string{"queue", "reason"})
	s.admits = newQueue("phones", admitsAtOnce, refused)
	s.desks = newQueue("desks", deskAdmitsAtOnce, refused)
	if k.Registry != nil {
		k.Registry.MustRegister(s.closed, refused)
	}
	return s
}

// Routes are the websockets' handlers by route name (auth.Routes).
func (a *Server) Routes() map[string][]fiber.Handler {
	return map[string][]fiber.Handler{
		"ws.screen":    a.screenSocket(),
		"ws.session":   a.sessionSocket(),
		"ws.responder": a.responderSocket(),
		"ws.leader":    a.leaderSocket(),
	}
}

// Close tells every websocket to close with 1001 (going away) and waits,
// until ctx ends, for their handlers to return.
func (a *Server) Close(ctx context.Context) error {
	// Under closeMu: a handshake counted itself before (Wait waits for
	// it), or sees base ended after and counts nothing (see enter).
	a.closeMu.Lock()
	a.cancel()
	a.closeMu.Unlock()
	done := make(chan struct{})
	go func() { a.sockets.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("closing websockets: %w", ctx.Err())
	}
}

package web

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
)

type httpMetrics struct {
	duration      *prometheus.HistogramVec
	osmandIgnored prometheus.Counter
	sockets       *prometheus.GaugeVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "watchfloor", Name: "http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern, method and status code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "method", "code"}),
	}
	m.osmandIgnored = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "watchfloor", Name: "osmand_ignored_total",
		Help: "OsmAnd requests of known devices answered 200 without a usable position (no fix, out of range, too far in the future).",
	})
	m.sockets = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: "watchfloor", Name: "websocket_clients",
		Help: "Websocket clients connected to this instance, by kind of stream (screen, responder, leader).",
	}, []string{"stream"})
	reg.MustRegister(m.duration, m.osmandIgnored, m.sockets)
	return m
}

// observe records each request's duration under its route pattern (never
// the raw path, which would make a label per incident id).
func (a *API) observe(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		if herr := a.app.ErrorHandler(c, err); herr != nil {
			a.Log.Error("error handler failed", "err", herr)
		}
		err = nil
	}
	route := c.Route().Path
	if c.Response().StatusCode() == fiber.StatusNotFound && route == "/" {
		route = "unmatched"
	}
	a.metrics.duration.WithLabelValues(route, methodLabel(c.Method()), strconv.Itoa(c.Response().StatusCode())).Observe(time.Since(start).Seconds())
	return err
}

// methodLabel returns a constant string for the method: fasthttp's strings
// alias buffers that are reused after the request, and Prometheus keeps
// label values.
func methodLabel(m string) string {
	switch m {
	case fiber.MethodGet:
		return fiber.MethodGet
	case fiber.MethodPost:
		return fiber.MethodPost
	case fiber.MethodDelete:
		return fiber.MethodDelete
	case fiber.MethodPut:
		return fiber.MethodPut
	case fiber.MethodPatch:
		return fiber.MethodPatch
	case fiber.MethodHead:
		return fiber.MethodHead
	case fiber.MethodOptions:
		return fiber.MethodOptions
	}
	return "other"
}

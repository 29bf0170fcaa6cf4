package rest

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the API's: request durations by route, OsmAnd requests
// ignored, websockets open by kind of stream.
type Metrics struct {
	Duration      *prometheus.HistogramVec
	OsmandIgnored prometheus.Counter
	Sockets       *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "watchfloor", Name: "http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern, method and status code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "method", "code"}),
	}
	m.OsmandIgnored = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "watchfloor", Name: "osmand_ignored_total",
		Help: "OsmAnd requests of known devices answered 200 without a usable position (no fix, out of range, too far in the future).",
	})
	m.Sockets = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: "watchfloor", Name: "websocket_clients",
		Help: "Websocket clients connected to this instance, by kind of stream (screen, responder, leader).",
	}, []string{"stream"})
	reg.MustRegister(m.Duration, m.OsmandIgnored, m.Sockets)
	return m
}

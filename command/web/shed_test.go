package web

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// The header check takes exactly the position routes' method and path,
// with or without a query; another spelling the router would also take is
// left to be read and refused after its body.
func TestShedMatchesPositionRoutes(t *testing.T) {
	api := &headerShed{routes: []shedRoute{{method: "POST", path: "/api/v1/positions"}, {path: "/api/v1/osmand"}}}
	osmand := &headerShed{routes: []shedRoute{{}}}
	tests := []struct {
		method, uri string
		api, osmand bool
	}{
		{"POST", "/api/v1/positions", true, true},
		{"POST", "/api/v1/positions?x=1", true, true},
		{"GET", "/api/v1/positions", false, true},
		{"POST", "/api/v1/positions/", false, true},
		{"POST", "/API/V1/POSITIONS", false, true},
		{"POST", "http://x/api/v1/positions", false, true},
		{"POST", "/api/v1/positionsx", false, true},
		{"PUT", "/api/v1/osmand?id=1", true, true},
		{"POST", "/api/v1/incidents", false, true},
		{"POST", "/", false, true},
	}
	for _, tc := range tests {
		var h fasthttp.RequestHeader
		h.SetMethod(tc.method)
		h.SetRequestURI(tc.uri)
		if got := api.positions(&h); got != tc.api {
			t.Errorf("API %s %s: %v, want %v", tc.method, tc.uri, got, tc.api)
		}
		if got := osmand.positions(&h); got != tc.osmand {
			t.Errorf("OsmAnd listener %s %s: %v, want %v", tc.method, tc.uri, got, tc.osmand)
		}
	}
}

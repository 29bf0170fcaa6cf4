package acceptance_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"watchfloor/command/auth"
	"watchfloor/command/vocab"
)

// TestAuthorisationMatrix holds every route of auth.Routes against every
// role and no token: a role the table allows is never refused (401/403), a
// role it does not allow always is, and every route the server registered
// is in the table.
func TestAuthorisationMatrix(t *testing.T) {
	h := newHarness(t)
	inc := h.create(publicOrder("权限"))
	id := inc["id"].(string)
	roles := []string{"admin", "leader", "deputy", "operator", "viewer", "car-01"}
	roleOf := map[string]string{"car-01": "responder"}
	param := func(path string) string {
		r := strings.NewReplacer(":id", id, ":deadline", "report_higher")
		path = r.Replace(path)
		switch {
		case path == "/debug/pprof/*":
			path = "/debug/pprof/goroutine"
		case strings.HasPrefix(path, "/debug/pprof/"):
			path += "?seconds=1"
		case strings.HasPrefix(path, "/api/v1/accounts/"):
			path = strings.Replace(path, ":username", "nobody-here", 1) // never a shared account
		case strings.HasPrefix(path, "/api/v1/units/"):
			path = strings.Replace(path, id, "car-01", 1)
		case strings.HasPrefix(path, "/api/v1/dispatches/"), strings.HasPrefix(path, "/api/v1/activations/"), strings.HasPrefix(path, "/api/v1/alarms/"):
			path = strings.Replace(path, id, "X-NONE", 1)
		}
		return path
	}
	for _, r := range auth.Routes {
		if r.Public() {
			continue
		}
		path := param(r.Path)
		method := r.Method
		if method == "ANY" {
			method = "GET"
		}
		t.Run(r.Name, func(t *testing.T) {
			try := func(tok string) int {
				if strings.HasPrefix(path, "/ws/") {
					_, res, err := h.ws(path, tok, nil, nil)
					if err == nil {
						return 101
					}
					if res == nil {
						t.Fatalf("%s: %v", path, err)
					}
					return res.StatusCode
				}
				var body any
				if method == "POST" {
					body = map[string]any{}
				}
				res, _ := h.do(method, path, tok, body)
				return res.StatusCode
			}
			if got := try(""); got != 401 {
				t.Errorf("no token: %d, want 401", got)
			}
			for _, user := range roles {
				role := user
				if rr, ok := roleOf[user]; ok {
					role = rr
				}
				tok := h.token(user)
				if r.Name == "sessions.delete" {
					tok = h.freshToken(user) // logging out must not end the shared session
				}
				got := try(tok)
				refused := got == 401 || got == 403
				if r.Allowed(vocab.Role(role)) && refused {
					// Object-level refusals (a plan's approvers, a responder's
					// own unit) answer 403 with their own reason; the route
					// itself must let the role through.
					if got == 403 && objectLevel(r.Name) {
						continue
					}
					t.Errorf("%s (%s) refused with %d", user, role, got)
				}
				if !r.Allowed(vocab.Role(role)) && got != 403 {
					t.Errorf("%s (%s) not refused: %d", user, role, got)
				}
			}
		})
	}
	// Every registered route is in the table (and so in this test).
	known := map[string]bool{}
	for _, r := range auth.Routes {
		m := r.Method
		if m == "ANY" {
			m = "GET"
		}
		known[m+" "+r.Path] = true
	}
	for _, rt := range h.srv.Routes() {
		method, path := rt[0], rt[1]
		if method == "HEAD" || method == "OPTIONS" || method == "CONNECT" || method == "TRACE" || method == "PUT" || method == "PATCH" || method == "DELETE" && !strings.HasPrefix(path, "/api/v1/sessions") {
			continue
		}
		if slices.Contains([]string{"/healthz", "/readyz", "/metrics", "/", "/api", "/api/v1/osmand"}, path) {
			continue
		}
		if !known[method+" "+path] {
			t.Errorf("route %s %s is registered but not in auth.Routes", method, path)
		}
	}
	_ = fmt.Sprint
	_ = http.StatusOK
}

// objectLevel names routes whose handler refuses some allowed roles for a
// particular object, with a reason of its own.
func objectLevel(name string) bool {
	return strings.HasPrefix(name, "activations.") && name != "activations.list" && name != "activations.get"
}

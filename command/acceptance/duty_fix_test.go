package acceptance_test

import (
	"strings"
	"testing"
)

// An account limited to an area may not use the centre's handover (it lists
// every area's cases and alarms): each handover route answers 403 saying why.
func TestHandoverRefusesAreaAccounts(t *testing.T) {
	h := newHarness(t)
	putToday(t, h)
	res, b := h.do("POST", "/api/v1/handovers", h.token("operator"), nil)
	var ho handover
	mustJSON(t, b, &ho)
	if res.StatusCode != 201 {
		t.Fatalf("the centre's operator opens: %d %s", res.StatusCode, b)
	}
	for _, who := range []string{"hubei-operator", "dongmen-leader"} {
		tok := h.token(who)
		for _, r := range []struct{ method, path string }{
			{"POST", "/api/v1/handovers"}, {"GET", "/api/v1/handovers"}, {"GET", "/api/v1/handovers/export.csv"},
			{"GET", "/api/v1/handovers/" + ho.ID}, {"POST", "/api/v1/handovers/" + ho.ID + "/submit"},
			{"POST", "/api/v1/handovers/" + ho.ID + "/accept"},
		} {
			var body any
			if r.method == "POST" {
				body = map[string]any{}
			}
			res, b := h.do(r.method, r.path, tok, body)
			if res.StatusCode != 403 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") ||
				!strings.Contains(string(b), "handover") || strings.Contains(string(b), ho.ID+`"`) {
				t.Fatalf("%s %s by %s: %d %s", r.method, r.path, who, res.StatusCode, b)
			}
		}
	}
	res, b = h.do("POST", "/api/v1/handovers", h.token("operator"), nil)
	if res.StatusCode != 200 || !strings.Contains(string(b), `"id":"`+ho.ID+`"`) {
		t.Fatalf("opening again returns the draft: %d %s", res.StatusCode, b)
	}
	if _, b := h.do("GET", "/api/v1/handovers", h.token("operator"), nil); !strings.Contains(string(b), `"count":1`) {
		t.Fatalf("an area account opened a handover: %s", b)
	}
}

// An area-limited leader may read the city's roster but not rewrite it.
func TestRosterRefusesAreaLeaderWrites(t *testing.T) {
	h := newHarness(t)
	today, shifts := dutyDay(t)
	dl := h.token("dongmen-leader")
	res, b := h.do("PUT", "/api/v1/roster/"+today, dl, map[string]any{"version": 0, "shifts": shifts})
	if res.StatusCode != 403 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") || !strings.Contains(string(b), "roster") {
		t.Fatalf("an area leader puts a day: %d %s", res.StatusCode, b)
	}
	csv := "date,shift,start,end,leader,operators,standby\n" + today + ",d,08:00,20:00,dongmen-leader,operator,\n"
	res, b = h.do("POST", "/api/v1/roster/import.csv?month="+today[:7], dl, csv, "Content-Type", "text/csv")
	if res.StatusCode != 403 || !strings.Contains(string(b), "roster") {
		t.Fatalf("an area leader imports a month: %d %s", res.StatusCode, b)
	}
	if res, b := h.do("GET", "/api/v1/roster?month="+today[:7], dl, nil); res.StatusCode != 200 || !strings.Contains(string(b), `"days":[]`) {
		t.Fatalf("the area leader reads the roster (untouched): %d %s", res.StatusCode, b)
	}
	putToday(t, h)
}

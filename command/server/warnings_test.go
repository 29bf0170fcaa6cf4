package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"watchfloor/command/store/storetest"
)

// TestWarningIndexAcrossInstances: a warning issued on one instance is
// found by the other's index (the screen stream's events, no restart),
// lifted there too, and restored by an instance started afterwards.
func TestWarningIndexAcrossInstances(t *testing.T) {
	r := storetest.Start(t)
	start := func() *Server { return startServer(t, r, 10*time.Second) }
	one, two := start(), start()
	post := func(path, token string, body any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", "http://"+one.Addr()+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode >= 300 {
			t.Fatalf("%s: %d %v %v", path, res.StatusCode, out, err)
		}
		return out
	}
	token := post("/api/v1/sessions", "", map[string]string{"username": "operator", "password": testPassword})["token"].(string)
	w := post("/api/v1/warnings", token, map[string]any{"type": "rainstorm", "colour": "red", "title": "暴雨红色预警",
		"area": map[string]any{"kind": "streets", "codes": []string{"440303002"}}, "ends_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	id := w["id"].(string)
	nanhu := orb.Point{114.11, 22.535}
	covers := func(s *Server) bool {
		refs := s.warnings.Covering(nanhu, time.Now())
		return len(refs) == 1 && refs[0].ID == id
	}
	waitUntil(t, "the other instance's index has the warning", func() bool { return covers(two) })
	if !covers(one) {
		t.Fatal("the issuing instance's index lacks its warning")
	}
	if later := start(); !covers(later) {
		t.Fatal("an instance started afterwards did not restore the warning")
	}
	post("/api/v1/warnings/"+id+"/lift", token, map[string]any{"reason": "雨停"})
	waitUntil(t, "the other instance's index drops the lifted warning", func() bool { return len(two.warnings.Covering(nanhu, time.Now())) == 0 })
}

// waitUntil polls cond until it holds, failing the test after 5 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting until %s", what)
}

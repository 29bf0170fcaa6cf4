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
	token := post(t, one, "/api/v1/sessions", "", map[string]string{"username": "operator", "password": testPassword})["token"].(string)
	id := issueWarning(t, one, token)
	waitUntil(t, "the other instance's index has the warning", func() bool { return covers(two, id) })
	if !covers(one, id) {
		t.Fatal("the issuing instance's index lacks its warning")
	}
	if later := start(); !covers(later, id) {
		t.Fatal("an instance started afterwards did not restore the warning")
	}
	post(t, one, "/api/v1/warnings/"+id+"/lift", token, map[string]any{"reason": "雨停"})
	waitUntil(t, "the other instance's index drops the lifted warning", func() bool { return len(two.warnings.Covering(nanhu, time.Now())) == 0 })
}

// TestEventsBetweenLoadAndStartFollowed: an instance built (its fleet,
// registry and warnings read from Redis) but not yet started follows a
// warning issued meanwhile as soon as it starts, not at the minute's reload.
func TestEventsBetweenLoadAndStartFollowed(t *testing.T) {
	r := storetest.Start(t)
	one := startServer(t, r, 10*time.Second)
	two := newServer(t, r, 10*time.Second)
	token := post(t, one, "/api/v1/sessions", "", map[string]string{"username": "operator", "password": testPassword})["token"].(string)
	id := issueWarning(t, one, token)
	if covers(two, id) {
		t.Fatal("an instance not started heard of the warning")
	}
	if err := two.Start(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the instance started after the warning follows it", func() bool { return covers(two, id) })
}

// nanhu lies in the street 440303002 (南湖).
var nanhu = orb.Point{114.11, 22.535}

// issueWarning issues a red rainstorm warning over the street 440303002
// on srv and returns its id.
func issueWarning(t *testing.T, srv *Server, token string) string {
	t.Helper()
	w := post(t, srv, "/api/v1/warnings", token, map[string]any{"type": "rainstorm", "colour": "red", "title": "暴雨红色预警",
		"area": map[string]any{"kind": "streets", "codes": []string{"440303002"}}, "ends_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	return w["id"].(string)
}

// covers reports whether srv's index has warning id, alone, over nanhu.
func covers(srv *Server, id string) bool {
	refs := srv.warnings.Covering(nanhu, time.Now())
	return len(refs) == 1 && refs[0].ID == id
}

// post sends body as JSON to srv's path and decodes the answer, failing
// the test on a refusal.
func post(t *testing.T, srv *Server, path, token string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", "http://"+srv.Addr()+path, bytes.NewReader(b))
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

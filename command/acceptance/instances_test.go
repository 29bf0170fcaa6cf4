package acceptance_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"watchfloor/command/store/storetest"
)

// TestThreeInstances runs three server processes over one Redis: any
// instance takes any request, every screen sees every event once and in
// order, an order made on one instance reaches a responder on another,
// positions from any instance reach every instance's frames, and an ack
// timer fires once even when the instance that made it is killed.
func TestThreeInstances(t *testing.T) {
	r := storetest.Start(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "watchfloor.yaml")
	abs, _ := filepath.Abs("../../config/sample/watchfloor.yaml")
	os.WriteFile(cfgPath, []byte("extends: "+abs+"\ndispatch:\n  ack_timeout: 2s\n  timer_interval: 50ms\n"), 0o644)
	bin := buildBinary(t)
	var ps []*process
	var hs []*harness
	for i := range 3 {
		p := &process{t: t, bin: bin, addr: freeAddr(t)}
		p.env = append(os.Environ(), "WATCHFLOOR_LISTEN="+p.addr, "WATCHFLOOR_OSMAND_LISTEN="+freeAddr(t),
			"WATCHFLOOR_REDIS_URL="+r.URL(), "WATCHFLOOR_DEMO_PASSWORD="+testPassword)
		p.start(cfgPath)
		defer p.kill()
		ps = append(ps, p)
		hs = append(hs, &harness{t: t, redis: r, tokens: map[string]string{}, base: "http://" + p.addr})
		_ = i
	}
	a, b, c := hs[0], hs[1], hs[2]
	viewer, op := a.token("viewer"), a.token("operator") // sessions live in Redis: valid everywhere
	b.tokens["operator"], c.tokens["operator"] = op, op
	screens := make([]*wsConn, 3)
	for i, p := range ps {
		screens[i] = dialWS(t, "ws://"+p.addr+"/ws/screen?token="+viewer)
		screens[i].next(2 * time.Second) // snapshot
	}

	// Incidents created on every instance in turn.
	const n = 12
	for i := range n {
		hs[i%3].create(publicOrder(fmt.Sprintf("多实例%d", i)))
	}
	for si, s := range screens {
		var last uint64
		created := 0
		for created < n {
			m := s.next(3 * time.Second)
			if m.Seq == 0 {
				continue
			}
			if last != 0 && m.Seq != last+1 {
				t.Fatalf("screen on instance %d: seq %d after %d", si, m.Seq, last)
			}
			last = m.Seq
			if m.Type == "incident.created" {
				created++
			}
		}
	}

	// An order made on A reaches the responder connected to B.
	car := a.token("car-08")
	a.tokens["car-08"] = car
	a.placeNear("car-08", "car-09", "car-10")
	resp := dialWS(t, "ws://"+ps[1].addr+"/ws/responder?token="+car)
	resp.next(2 * time.Second)
	inc := a.create(publicOrder("跨实例派警"))
	res, body := a.do("POST", "/api/v1/incidents/"+inc["id"].(string)+"/dispatches", op, map[string]any{"unit_ids": []string{"car-08"}})
	if res.StatusCode != 201 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	if m := resp.await("dispatch.created", 3*time.Second); !strings.Contains(string(m.Data), inc["id"].(string)) {
		t.Fatalf("order on B: %s", m.Data)
	}

	// Positions ingested on C appear in the frames of A and B.
	c.positions(op, map[string]any{"unit_id": "moto-03", "lon": 114.1200, "lat": 22.5400})
	for i := range 2 {
		deadline := time.Now().Add(3 * time.Second)
		for {
			m := screens[i].next(time.Until(deadline))
			if m.Type == "unit.positions" && strings.Contains(string(m.Data), `"moto-03"`) {
				break
			}
		}
	}

	// An order made on C whose instance dies: its ack timer still fires,
	// once, and it is re-offered once.
	inc2 := c.create(publicOrder("实例被杀"))
	id2 := inc2["id"].(string)
	res, body = c.do("POST", "/api/v1/incidents/"+id2+"/dispatches", op, map[string]any{"unit_ids": []string{"car-09"}})
	if res.StatusCode != 201 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	ps[2].kill()
	waitFor(t, 6*time.Second, "the order expiring without its instance", func() bool {
		_, b := a.do("GET", "/api/v1/incidents/"+id2+"/dispatches", op, nil)
		return strings.Contains(string(b), `"status":"expired"`)
	})
	time.Sleep(500 * time.Millisecond) // give a second firing every chance to happen
	_, out := a.do("GET", "/api/v1/incidents/"+id2+"/dispatches", op, nil)
	var ds struct {
		Dispatches []struct{ Status, Replaces string }
	}
	json.Unmarshal(out, &ds)
	expired, reoffers := 0, 0
	for _, d := range ds.Dispatches {
		if d.Status == "expired" {
			expired++
		}
		if d.Replaces != "" {
			reoffers++
		}
	}
	if expired != 1 || reoffers != 1 {
		t.Errorf("after the kill: %d expired, %d re-offers, want 1 and 1: %s", expired, reoffers, out)
	}
	_, al := a.do("GET", "/api/v1/alarms", op, nil)
	var alarms struct {
		Alarms []struct {
			Kind       string
			IncidentID string `json:"incident_id"`
		}
	}
	json.Unmarshal(al, &alarms)
	count := 0
	for _, x := range alarms.Alarms {
		if x.Kind == "dispatch.expired" && x.IncidentID == id2 {
			count++
		}
	}
	if count != 1 {
		t.Errorf("%d expiry alarms for %s: %s", count, id2, al)
	}
}

package acceptance_test

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"watchfloor/command/store/storetest"
	"watchfloor/config"
)

// With appendfsync always, every incident that got a 201 survives Redis
// being killed with SIGKILL in the middle of a burst of creates.
func TestAcknowledgedIncidentsSurviveRedisKill(t *testing.T) {
	// Redis runs with the append-only file at always, as the operator
	// configured it; Watchfloor requires always and checks it at start.
	r := storetest.Start(t, "--appendonly", "yes", "--appendfsync", "always")
	h := newHarnessOn(t, r, benchLimits, func(c *config.Config) { c.Redis.AppendFsync = "always" })
	tok := h.token("operator")
	var mu sync.Mutex
	var acked []string
	refused := 0
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				res, b := h.doQuiet("POST", "/api/v1/incidents", tok, dongmen(fmt.Sprintf("突发%d-%d", w, i), 5))
				if res == nil || res.StatusCode != 201 {
					mu.Lock()
					refused++
					mu.Unlock()
					continue
				}
				var inc struct{ ID string }
				if mustJSONQuiet(b, &inc) == nil {
					mu.Lock()
					acked = append(acked, inc.ID)
					mu.Unlock()
				}
			}
		}()
	}
	waitFor(t, 5*time.Second, "a burst of acknowledged writes", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= 20
	})
	r.Stop() // SIGKILL mid-burst
	waitFor(t, 5*time.Second, "the burst meeting the killed Redis", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return refused > 0
	})
	close(stop)
	wg.Wait()
	r.Restart()
	waitFor(t, 5*time.Second, "readyz after the restart", func() bool {
		res, _ := h.doQuiet("GET", "/readyz", "", nil)
		return res != nil && res.StatusCode == 200
	})
	if len(acked) < 10 {
		t.Fatalf("only %d incidents acknowledged before the kill", len(acked))
	}
	for _, id := range acked {
		if res, _ := h.do("GET", "/api/v1/incidents/"+id, tok, nil); res.StatusCode != 200 {
			t.Errorf("incident %s got a 201 but is gone after the kill: %d", id, res.StatusCode)
		}
	}
	t.Logf("%d acknowledged incidents, all found after SIGKILL and restart", len(acked))
}

// process runs the real watchfloor binary, so a test can SIGKILL it.
type process struct {
	t    testing.TB
	bin  string
	env  []string
	cmd  *exec.Cmd
	addr string
}

func buildBinary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "watchfloor")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/watchfloor").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (p *process) start(config string) {
	p.t.Helper()
	p.cmd = exec.Command(p.bin, "--config", config)
	p.cmd.Env = p.env
	out, _ := os.CreateTemp(p.t.TempDir(), "watchfloor-*.log")
	p.cmd.Stdout, p.cmd.Stderr = out, out
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	waitFor(p.t, 10*time.Second, "the server answering", func() bool {
		c, err := net.DialTimeout("tcp", p.addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

func (p *process) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_, _ = p.cmd.Process.Wait()
}

// Killing the server with SIGKILL loses nothing: screens and responders
// resume with since without gaps or repeats, and a pending order and its
// acknowledgement timer carry on in the next process.
func TestServerKillResume(t *testing.T) {
	r := storetest.Start(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "watchfloor.yaml")
	abs, _ := filepath.Abs("../../config/sample/watchfloor.yaml")
	conf := "extends: " + abs + "\ndispatch:\n  ack_timeout: 2s\n  timer_interval: 50ms\n" +
		"deadline_warning: 1s\ndeadlines:\n  - {kind: report_higher, name: {zh: 向上级报告, en: Report up}, within: 3s, levels: [I, II, III, IV]}\n"
	if err := os.WriteFile(cfgPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &process{t: t, bin: buildBinary(t), addr: freeAddr(t)}
	p.env = append(os.Environ(), "WATCHFLOOR_LISTEN="+p.addr, "WATCHFLOOR_OSMAND_LISTEN="+freeAddr(t),
		"WATCHFLOOR_REDIS_URL="+r.URL(), "WATCHFLOOR_DEMO_PASSWORD="+testPassword)
	p.start(cfgPath)
	defer p.kill()
	h := &harness{t: t, redis: r, tokens: map[string]string{}, base: "http://" + p.addr}
	wsBase := "ws://" + p.addr
	dial := func(path, tok string, since uint64) *wsConn {
		t.Helper()
		return dialWS(t, wsBase+path+"?token="+tok+"&since="+jsonUint(since))
	}
	op := h.token("operator")
	viewer := h.token("viewer")
	car := h.token("car-08")
	h.placeNear("car-08")
	screen := dial("/ws/screen", viewer, 0)
	var last uint64
	for range 3 {
		h.create(publicOrder("杀进程前"))
	}
	for last < 3 {
		m := screen.next(2 * time.Second)
		if m.Seq > 0 {
			last = m.Seq
		}
	}
	inc := h.create(publicOrder("待接单"))
	res, b := h.do("POST", "/api/v1/incidents/"+inc["id"].(string)+"/dispatches", op, map[string]any{"unit_ids": []string{"car-08"}})
	if res.StatusCode != 201 {
		t.Fatalf("%d %s", res.StatusCode, b)
	}
	var created struct{ Dispatches []struct{ ID string } }
	mustJSON(t, b, &created)

	p.kill() // SIGKILL: no shutdown, sockets dropped
	p.start(cfgPath)

	// The screen resumes from the last seq it saw: every event after it,
	// once, in order.
	screen = dial("/ws/screen", viewer, last)
	seen := map[uint64]bool{}
	want := last + 1
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		m := screen.next(time.Until(deadline))
		if m.Seq == 0 {
			continue
		}
		if seen[m.Seq] || m.Seq != want {
			t.Fatalf("after the kill the screen got seq %d, want %d", m.Seq, want)
		}
		seen[m.Seq] = true
		want++
		if strings.Contains(string(m.Data), `"status":"expired"`) {
			break
		}
	}
	// The order was pending; its responder connecting now gets it, and its
	// timer still fires in the new process (it expires, unacknowledged).
	resp := dial("/ws/responder", car, 0)
	if m := resp.next(2 * time.Second); m.Type != "dispatch.created" || !strings.Contains(string(m.Data), created.Dispatches[0].ID) {
		t.Fatalf("responder after the kill: %s %s", m.Type, m.Data)
	}
	waitFor(t, 4*time.Second, "the order's ack timer firing in the new process", func() bool {
		_, b := h.do("GET", "/api/v1/dispatches/"+created.Dispatches[0].ID, op, nil)
		return strings.Contains(string(b), `"status":"expired"`)
	})
	// The reporting deadline started before the kill runs out in the new process.
	waitFor(t, 5*time.Second, "the reporting deadline going overdue in the new process", func() bool {
		_, b := h.do("GET", "/api/v1/incidents/"+inc["id"].(string), op, nil)
		return strings.Contains(string(b), `"type":"deadline.overdue"`)
	})
}

// dialWS connects a websocket to a full URL.
func dialWS(t testing.TB, u string) *wsConn {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	c, _, err := d.Dial(u, nil)
	if err != nil {
		t.Fatalf("dialing %s: %v", u, err)
	}
	t.Cleanup(func() { c.Close() })
	return &wsConn{t: t, conn: c}
}

func mustJSONQuiet(b []byte, v any) error { return json.Unmarshal(b, v) }

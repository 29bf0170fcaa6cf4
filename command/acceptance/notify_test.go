package acceptance_test

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"

	"watchfloor/command/store/storetest"
	"watchfloor/config"
)

const (
	dingSecret = "SECtest-dingtalk"
	hookSecret = "webhook-hmac-key"
)

// receivers stand for the robots of WeCom, DingTalk and Feishu, a generic
// webhook (one HTTP server, by path) and an SMTP server. Each checks what
// it gets as the real one would (the documented body, DingTalk's and the
// webhook's signatures) and counts the messages by the id they carry.
type receivers struct {
	t    *testing.T
	http *httptest.Server
	smtp *smtp.Server
	ln   net.Listener
	// smtpAddr is where the SMTP server listens (kept across a restart).
	smtpAddr string
	// down makes the HTTP receivers answer 500.
	down atomic.Bool

	mu   sync.Mutex
	got  map[string]map[string]int // receiver → message id → times
	errs []string
}

func newReceivers(t *testing.T) *receivers {
	rc := &receivers{t: t, got: map[string]map[string]int{}}
	rc.http = httptest.NewServer(http.HandlerFunc(rc.serveHTTP))
	t.Cleanup(rc.http.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rc.smtpAddr = ln.Addr().String()
	rc.startSMTP(ln)
	t.Cleanup(rc.stopSMTP)
	return rc
}

func (rc *receivers) startSMTP(ln net.Listener) {
	s := smtp.NewServer(smtpBackend{rc})
	s.Domain, s.AllowInsecureAuth = "localhost", true
	s.ReadTimeout, s.WriteTimeout = 5*time.Second, 5*time.Second
	rc.smtp, rc.ln = s, ln
	go s.Serve(ln)
}

// stopSMTP closes the SMTP server and its listener (Serve may not have
// taken the listener yet, so Close alone could miss it).
func (rc *receivers) stopSMTP() {
	rc.smtp.Close()
	rc.ln.Close()
}

func (rc *receivers) fail(format string, a ...any) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.errs = append(rc.errs, fmt.Sprintf(format, a...))
}

func (rc *receivers) record(receiver, id string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.got[receiver] == nil {
		rc.got[receiver] = map[string]int{}
	}
	rc.got[receiver][id]++
}

// serveHTTP checks one robot's or the webhook's request and records it.
func (rc *receivers) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if rc.down.Load() {
		http.Error(w, "down", http.StatusInternalServerError)
		return
	}
	body, _ := io.ReadAll(r.Body)
	id := r.Header.Get("X-Watchfloor-Message")
	var b map[string]any
	if err := json.Unmarshal(body, &b); err != nil || id == "" {
		rc.fail("%s: body %s, id %q", r.URL.Path, body, id)
		http.Error(w, "bad", http.StatusBadRequest)
		return
	}
	text := ""
	switch r.URL.Path {
	case "/wecom":
		text = nested(b, "text", "content")
		if b["msgtype"] != "text" {
			rc.fail("wecom: %s", body)
		}
	case "/dingtalk":
		text = nested(b, "text", "content")
		q := r.URL.Query()
		mac := hmac.New(sha256.New, []byte(dingSecret))
		mac.Write([]byte(q.Get("timestamp") + "\n" + dingSecret))
		if b["msgtype"] != "text" || q.Get("sign") != base64.StdEncoding.EncodeToString(mac.Sum(nil)) || q.Get("access_token") != "tok" {
			rc.fail("dingtalk: signature or body wrong: %s %s", r.URL.RawQuery, body)
			_, _ = w.Write([]byte(`{"errcode":310000,"errmsg":"sign not match"}`))
			return
		}
	case "/feishu":
		text = nested(b, "content", "text")
		if b["msg_type"] != "text" {
			rc.fail("feishu: %s", body)
		}
	case "/webhook":
		text, _ = b["text"].(string)
		ts := r.Header.Get("X-Watchfloor-Timestamp")
		mac := hmac.New(sha256.New, []byte(hookSecret))
		mac.Write([]byte(ts + "."))
		mac.Write(body)
		if r.Header.Get("X-Watchfloor-Signature") != "sha256="+hex.EncodeToString(mac.Sum(nil)) || b["id"] != id {
			rc.fail("webhook: signature or id wrong: %v %s", r.Header, body)
		}
	default:
		http.NotFound(w, r)
		return
	}
	if text == "" || strings.Contains(text, "13812345678") {
		rc.fail("%s: text %q (empty, or an unmasked phone)", r.URL.Path, text)
	}
	rc.record(strings.TrimPrefix(r.URL.Path, "/"), id)
	_, _ = w.Write([]byte(`{"errcode":0,"errmsg":"ok","code":0}`))
}

func nested(b map[string]any, k1, k2 string) string {
	m, _ := b[k1].(map[string]any)
	s, _ := m[k2].(string)
	return s
}

type smtpBackend struct{ rc *receivers }

func (b smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{rc: b.rc}, nil }

type smtpSession struct {
	rc *receivers
	to []string
}

func (s *smtpSession) Reset()                                    { s.to = nil }
func (s *smtpSession) Logout() error                             { return nil }
func (s *smtpSession) Mail(string, *smtp.MailOptions) error      { return nil }
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = append(s.to, to); return nil }

func (s *smtpSession) Data(r io.Reader) error {
	h, err := textproto.NewReader(bufio.NewReader(r)).ReadMIMEHeader()
	if err != nil {
		s.rc.fail("mail: %v", err)
		return err
	}
	id := h.Get("X-Watchfloor-Message")
	if id == "" || !slices.Equal(s.to, []string{"duty@example.org"}) || h.Get("Message-Id") == "" {
		s.rc.fail("mail: id %q to %v header %v", id, s.to, h)
	}
	s.rc.record("mail", id)
	return nil
}

// channels configures the receivers as channels, with the rules sending
// level I/II incidents and plans awaiting approval to every one.
func (rc *receivers) channels(c *config.Config) {
	host, port, _ := net.SplitHostPort(rc.smtpAddr)
	var p int
	fmt.Sscan(port, &p)
	n := &c.Notifications
	n.BaseURL = "http://watchfloor.test"
	n.Poll, n.RetryBase, n.RetryMax, n.Timeout, n.Lease = 50*time.Millisecond, 100*time.Millisecond, 400*time.Millisecond, 2*time.Second, 3*time.Second
	n.MaxAttempts = 1000
	n.Channels = []config.NotifyChannel{
		{ID: "wecom", Kind: "wecom", URL: rc.http.URL + "/wecom"},
		{ID: "dingtalk", Kind: "dingtalk", URL: rc.http.URL + "/dingtalk?access_token=tok", Secret: dingSecret},
		{ID: "feishu", Kind: "feishu", URL: rc.http.URL + "/feishu", Secret: "feishu-secret"},
		{ID: "webhook", Kind: "webhook", URL: rc.http.URL + "/webhook", Secret: hookSecret},
		{ID: "mail", Kind: "email", Host: host, Port: p, TLS: "none", From: "watchfloor@example.org", To: []string{"duty@example.org"}},
	}
	all := []string{"wecom", "dingtalk", "feishu", "webhook", "mail"}
	n.Rules = []config.NotifyRule{{Event: "incident.serious", Channels: all}, {Event: "plan.proposed", Channels: all}}
}

// await waits until every receiver got want distinct messages, and fails
// on any message received twice or refused.
func (rc *receivers) await(want int, within time.Duration) map[string]map[string]int {
	rc.t.Helper()
	deadline := time.Now().Add(within)
	for {
		rc.mu.Lock()
		done := len(rc.got) == 5
		for _, ids := range rc.got {
			done = done && len(ids) >= want
		}
		snap := map[string]map[string]int{}
		for k, v := range rc.got {
			snap[k] = map[string]int{}
			for id, n := range v {
				snap[k][id] = n
			}
		}
		errs := slices.Clone(rc.errs)
		rc.mu.Unlock()
		if len(errs) > 0 {
			rc.t.Fatalf("receivers refused: %s", strings.Join(errs, "\n"))
		}
		if done {
			return snap
		}
		if time.Now().After(deadline) {
			rc.t.Fatalf("after %s the receivers have %v, want %d messages each", within, snap, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type outboxEntry struct {
	ID, Channel, State, Error string
	Attempts                  int
}

// outbox lists the outbox through the admin API.
func (h *harness) outbox() []outboxEntry {
	h.t.Helper()
	res, b := h.do("GET", "/api/v1/notifications?limit=500", h.token("admin"), nil)
	if res.StatusCode != 200 {
		h.t.Fatalf("outbox: %d %s", res.StatusCode, b)
	}
	var out struct {
		Notifications []struct {
			ID       string `json:"id"`
			Channel  string `json:"channel"`
			State    string `json:"state"`
			Error    string `json:"error"`
			Attempts int    `json:"attempts"`
		} `json:"notifications"`
	}
	mustJSON(h.t, b, &out)
	var es []outboxEntry
	for _, n := range out.Notifications {
		es = append(es, outboxEntry{n.ID, n.Channel, n.State, n.Error, n.Attempts})
	}
	return es
}

// awaitSent waits until the outbox holds n messages, all sent.
func (h *harness) awaitSent(n int, within time.Duration) []outboxEntry {
	h.t.Helper()
	deadline := time.Now().Add(within)
	for {
		es := h.outbox()
		sent := 0
		for _, e := range es {
			if e.State == "sent" {
				sent++
			}
		}
		if len(es) == n && sent == n {
			return es
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("outbox after %s: %+v, want %d sent", within, es, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkOnce fails unless each receiver got exactly the ids (each once).
func checkOnce(t *testing.T, got map[string]map[string]int, ids []string) {
	t.Helper()
	for recv, m := range got {
		var have []string
		for id, n := range m {
			if n != 1 {
				t.Errorf("%s got %s %d times", recv, id, n)
			}
			have = append(have, strings.TrimSuffix(id, "@"+recv))
		}
		slices.Sort(have)
		if strings.Join(have, " ") != strings.Join(ids, " ") {
			t.Errorf("%s got %v, want %v", recv, have, ids)
		}
	}
}

// expected are the message ids (without the channel) of the level II
// incidents given: its alarm and its two plans awaiting approval.
func expected(t *testing.T, hs []*harness, incidents []string) []string {
	var ids []string
	for i, id := range incidents {
		ids = append(ids, "incident.serious:"+id)
		for _, a := range hs[i%len(hs)].activations(id) {
			ids = append(ids, "plan.proposed:"+a.ID)
		}
	}
	slices.Sort(ids)
	if len(ids) != 3*len(incidents) {
		t.Fatalf("ids %v: want an alarm and two proposals per incident", ids)
	}
	return ids
}

// A level II incident and its plans awaiting approval reach every
// channel exactly once, with the body each receiver expects; the outbox
// shows them sent.
func TestNotifyReceivers(t *testing.T) {
	rc := newReceivers(t)
	h := newHarness(t, rc.channels)
	inc := h.create(dongmen("商户聚集 联系13812345678", 150))
	if inc["level"] != "II" {
		t.Fatalf("level %v", inc["level"])
	}
	ids := expected(t, []*harness{h}, []string{inc["id"].(string)})
	rc.await(3, 10*time.Second)
	h.awaitSent(15, 10*time.Second)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	checkOnce(t, rc.got, ids)
}

// Receivers down (HTTP answering 500, the SMTP server closed) get
// nothing; the failures show in the outbox, queued with their cause; once
// the receivers are back each message arrives, once.
func TestNotifyReceiverDown(t *testing.T) {
	rc := newReceivers(t)
	rc.down.Store(true)
	rc.stopSMTP()
	h := newHarness(t, rc.channels)
	inc := h.create(dongmen("商户聚集", 150))
	ids := expected(t, []*harness{h}, []string{inc["id"].(string)})
	deadline := time.Now().Add(10 * time.Second)
	for {
		failing := 0
		for _, e := range h.outbox() {
			if e.State == "queued" && e.Attempts >= 2 && e.Error != "" {
				failing++
			}
		}
		if failing == 15 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox while down: %+v", h.outbox())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, e := range h.outbox() {
		if e.Channel != "mail" && !strings.Contains(e.Error, "500") {
			t.Errorf("%s: cause %q does not name the 500", e.ID, e.Error)
		}
	}
	rc.down.Store(false)
	ln, err := net.Listen("tcp", rc.smtpAddr)
	if err != nil {
		t.Fatal(err)
	}
	rc.startSMTP(ln)
	rc.await(3, 15*time.Second)
	h.awaitSent(15, 10*time.Second)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	checkOnce(t, rc.got, ids)
}

// Two instances over one Redis, incidents made on both: every message is
// delivered once, by one of them.
func TestNotifyTwoInstances(t *testing.T) {
	rc := newReceivers(t)
	r := storetest.Start(t)
	a := newHarnessOn(t, r, rc.channels)
	b := newHarnessOn(t, r, rc.channels)
	var incs []string
	for i, h := range []*harness{a, b, a, b} {
		incs = append(incs, h.create(dongmen(fmt.Sprintf("商户聚集%d", i), 150))["id"].(string))
	}
	ids := expected(t, []*harness{a, b}, incs)
	rc.await(len(ids), 20*time.Second)
	a.awaitSent(5*len(ids), 10*time.Second)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	checkOnce(t, rc.got, ids)
}

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
	"net/url"
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
	// down makes the HTTP receivers answer 500; hang makes the WeCom one
	// answer nothing until the caller gives up.
	down, hang atomic.Bool

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
	body, _ := io.ReadAll(r.Body) // read first: the server then notices the caller leaving
	if rc.hang.Load() && r.URL.Path == "/wecom" {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		return
	}
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
	case "/sms":
		text, _ = b["text"].(string)
		if b["id"] != id || text == "" {
			rc.fail("sms: id %v, header %q, text %q", b["id"], id, text)
		}
		rc.record("sms:"+fmt.Sprint(b["phone"]), id)
		_, _ = w.Write([]byte(`{"ok":true}`))
		return
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
	n.MaxAttempts, n.AlarmAfter = 1000, 2
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

// awaitOutbox polls the outbox until done holds of it.
func (h *harness) awaitOutbox(what string, within time.Duration, done func([]outboxEntry) bool) []outboxEntry {
	h.t.Helper()
	deadline := time.Now().Add(within)
	for {
		es := h.outbox()
		if done(es) {
			return es
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("outbox after %s: %+v, want %s", within, es, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// awaitSent waits until the outbox holds n messages, all sent.
func (h *harness) awaitSent(n int, within time.Duration) []outboxEntry {
	h.t.Helper()
	return h.awaitOutbox(fmt.Sprintf("%d sent", n), within, func(es []outboxEntry) bool {
		return len(es) == n && !slices.ContainsFunc(es, func(e outboxEntry) bool { return e.State != "sent" })
	})
}

// failingAlarms are the ids of the open notify.failing and job.failing alarms.
func (h *harness) failingAlarms() []string {
	_, b := h.do("GET", "/api/v1/alarms", h.token("viewer"), nil)
	var alarms struct {
		Alarms []struct{ ID, Kind string } `json:"alarms"`
	}
	mustJSON(h.t, b, &alarms)
	var failing []string
	for _, a := range alarms.Alarms {
		if a.Kind == "notify.failing" || a.Kind == "job.failing" {
			failing = append(failing, a.ID)
		}
	}
	return failing
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

// delivered waits until every receiver got the ids and h's outbox shows
// them all sent, then checks that each arrived exactly once.
func (rc *receivers) delivered(h *harness, ids []string, within time.Duration) {
	rc.t.Helper()
	rc.await(len(ids), within)
	h.awaitSent(5*len(ids), within)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	checkOnce(rc.t, rc.got, ids)
}

// expected are the message ids (without the channel) of the level II
// incidents given: its alarm and its two plans awaiting approval.
func expected(t *testing.T, hs []*harness, incidents []string) []string {
	var ids []string
	for i, id := range incidents {
		ids = append(ids, "incident.serious:"+id+":II")
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
	rc.delivered(h, ids, 10*time.Second)
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
	es := h.awaitOutbox("15 queued after failed attempts", 10*time.Second, func(es []outboxEntry) bool {
		return len(es) == 15 && !slices.ContainsFunc(es, func(e outboxEntry) bool { return e.State != "queued" || e.Attempts < 2 || e.Error == "" })
	})
	for _, e := range es {
		if e.Channel != "mail" && !strings.Contains(e.Error, "500") {
			t.Errorf("%s: cause %q does not name the 500", e.ID, e.Error)
		}
	}
	// One alarm per failing channel (not one per message, nor job.failing).
	deadline := time.Now().Add(5 * time.Second)
	for {
		failing := h.failingAlarms()
		if len(failing) == 5 && !slices.ContainsFunc(failing, func(id string) bool { return !strings.HasPrefix(id, "notify.failing:") }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alarms of the failing channels: %v", failing)
		}
		time.Sleep(50 * time.Millisecond)
	}
	rc.down.Store(false)
	ln, err := net.Listen("tcp", rc.smtpAddr)
	if err != nil {
		t.Fatal(err)
	}
	rc.startSMTP(ln)
	rc.delivered(h, ids, 15*time.Second)
}

// A receiver that hangs is cut off after notifications.timeout, its
// messages stay queued with the cause and are retried; the other channels
// get theirs meanwhile, and once it answers again it gets its own, once.
func TestNotifyHangingReceiver(t *testing.T) {
	rc := newReceivers(t)
	rc.hang.Store(true)
	h := newHarness(t, rc.channels, func(c *config.Config) {
		c.Notifications.Timeout, c.Notifications.Lease = 300*time.Millisecond, time.Second
	})
	inc := h.create(dongmen("商户聚集", 150))
	ids := expected(t, []*harness{h}, []string{inc["id"].(string)})
	h.awaitOutbox("the others sent, WeCom's queued after a timeout", 10*time.Second, func(es []outboxEntry) bool {
		done := len(es) == 15
		for _, e := range es {
			if e.Channel == "wecom" {
				done = done && e.State == "queued" && strings.Contains(e.Error, "deadline exceeded")
			} else {
				done = done && e.State == "sent"
			}
		}
		return done
	})
	rc.hang.Store(false)
	rc.delivered(h, ids, 10*time.Second)
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
	rc.delivered(a, ids, 20*time.Second)
}

// The admin API: a message failed for good shows its cause and is retried
// by hand; a test message reaches an SMS gateway once per phone, each
// phone its own message under its own id; bad input
// is refused naming each field; the retry and the test are audited and
// counted in the metrics.
func TestNotifyAdmin(t *testing.T) {
	rc := newReceivers(t)
	rc.down.Store(true)
	h := newHarness(t, rc.channels, func(c *config.Config) {
		n := &c.Notifications
		n.MaxAttempts = 2
		n.Channels = append(n.Channels[:1],
			config.NotifyChannel{ID: "sms", Kind: "sms", URL: rc.http.URL + "/sms", Phones: []string{"13800000001", "13900000002"},
				Headers: map[string]string{"Content-Type": "application/json"}, Body: `{"phone":{{json .Phone}},"text":{{json .Text}},"id":{{json .ID}}}`},
			config.NotifyChannel{ID: "off", Kind: "wecom", URL: rc.http.URL + "/wecom", Disabled: true})
		n.Rules = []config.NotifyRule{{Event: "incident.serious", Channels: []string{"wecom"}}}
	})
	admin := h.token("admin")
	inc := h.create(dongmen("商户聚集", 150))
	msgID := "incident.serious:" + inc["id"].(string) + ":II@wecom"
	es := h.awaitOutbox("the message failed", 10*time.Second, func(es []outboxEntry) bool { return len(es) == 1 && es[0].State == "failed" })
	if es[0].ID != msgID || es[0].Attempts != 2 || !strings.Contains(es[0].Error, "500") {
		t.Fatalf("failed message %+v", es[0])
	}
	if res, b := h.do("POST", "/api/v1/notifications/"+url.PathEscape("nope@x")+"/retry", admin, nil); res.StatusCode != 404 {
		t.Errorf("retry unknown: %d %s", res.StatusCode, b)
	}
	rc.down.Store(false)
	if res, b := h.do("POST", "/api/v1/notifications/"+url.PathEscape(msgID)+"/retry", admin, nil); res.StatusCode != 202 || !strings.Contains(string(b), `"state":"queued"`) {
		t.Fatalf("retry: %d %s", res.StatusCode, b)
	}
	h.awaitSent(1, 10*time.Second)
	if res, b := h.do("POST", "/api/v1/notifications/"+url.PathEscape(msgID)+"/retry", admin, nil); res.StatusCode != 409 {
		t.Errorf("retry of a sent message: %d %s", res.StatusCode, b)
	}

	res, b := h.do("POST", "/api/v1/notification-channels/sms/test", admin, nil)
	if res.StatusCode != 202 {
		t.Fatalf("test: %d %s", res.StatusCode, b)
	}
	var tested struct {
		ID  string
		IDs []string
	}
	mustJSON(t, b, &tested)
	testAnswer := string(b)
	h.awaitSent(3, 10*time.Second)
	rc.mu.Lock()
	phones := []string{"13800000001", "13900000002"}
	if len(tested.IDs) != len(phones) || tested.ID != tested.IDs[0] {
		t.Fatalf("test of the sms channel: %s", b)
	}
	for i, phone := range phones {
		// Each phone's id names it by its place, not its number.
		if !strings.HasSuffix(tested.IDs[i], fmt.Sprintf("@sms/%d", i+1)) || rc.got["sms:"+phone][tested.IDs[i]] != 1 || len(rc.got["sms:"+phone]) != 1 {
			t.Errorf("sms to %s: %v (ids %v)", phone, rc.got, tested.IDs)
		}
	}
	if rc.got["wecom"][msgID] != 1 || len(rc.errs) > 0 {
		t.Errorf("wecom: %v, errors %v", rc.got["wecom"], rc.errs)
	}
	rc.mu.Unlock()

	for _, c := range []struct {
		method, path string
		status       int
		want         []string
	}{
		{"GET", "/api/v1/notifications?state=lost&limit=0", 400, []string{`"state"`, `"limit"`, "queued, sent or failed", "1 to 500"}},
		{"POST", "/api/v1/notification-channels/pager/test", 404, []string{"pager"}},
		{"POST", "/api/v1/notification-channels/off/test", 409, []string{"disabled"}},
	} {
		res, b := h.do(c.method, c.path, admin, nil)
		for _, w := range c.want {
			if res.StatusCode != c.status || !strings.Contains(string(b), w) || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("%s %s: %d %s %s, want %d with %s", c.method, c.path, res.StatusCode, res.Header.Get("Content-Type"), b, c.status, w)
			}
		}
	}
	_, b = h.do("GET", "/api/v1/audit?action=notification", admin, nil)
	for _, w := range []string{`"action":"notification.retried"`, `"action":"notification.tested"`, msgID} {
		if !strings.Contains(string(b), w) {
			t.Errorf("audit lacks %s: %s", w, b)
		}
	}
	// No phone in full in the test's answer, the audit trail or the outbox,
	// which shows each SMS message's phone masked.
	_, listed := h.do("GET", "/api/v1/notifications?limit=500", admin, nil)
	for what, shown := range map[string]string{"the test's answer": testAnswer, "the audit trail": string(b), "the outbox": string(listed)} {
		for _, phone := range phones {
			if strings.Contains(shown, phone) {
				t.Errorf("%s shows %s: %s", what, phone, shown)
			}
		}
	}
	for _, masked := range []string{`"phone":"138****0001"`, `"phone":"139****0002"`} {
		if !strings.Contains(string(listed), masked) {
			t.Errorf("the outbox lacks %s: %s", masked, listed)
		}
	}
	_, b = h.do("GET", "/metrics", "", nil)
	for _, w := range []string{`watchfloor_notifications_total{channel="wecom",state="failed"} 1`, `watchfloor_notifications_total{channel="wecom",state="sent"} 1`,
		`watchfloor_notifications_total{channel="sms",state="sent"} 2`, `watchfloor_notifications_total{channel="wecom",state="queued"} 2`} {
		if !strings.Contains(string(b), w) {
			t.Errorf("metrics lack %s", w)
		}
	}
}

// The leader on duty (from the duty roster) gets the SMS of a plan
// awaiting approval when the rule names the leader on duty: with today's
// roster naming dongmen-leader, a level II incident's proposals reach that
// leader's phone, once each; with no roster, no SMS goes anywhere.
func TestNotifyLeaderOnDutyFromRoster(t *testing.T) {
	for _, rostered := range []bool{true, false} {
		rc := newReceivers(t)
		h := newHarness(t, rc.channels, func(c *config.Config) {
			n := &c.Notifications
			n.Channels = append(n.Channels, config.NotifyChannel{ID: "sms", Kind: "sms", URL: rc.http.URL + "/sms",
				Headers: map[string]string{"Content-Type": "application/json"}, Body: `{"phone":{{json .Phone}},"text":{{json .Text}},"id":{{json .ID}}}`})
			n.Rules = []config.NotifyRule{{Event: "plan.proposed", Channels: []string{"sms"}, LeaderOnDuty: true}}
		})
		if rostered {
			putToday(t, h)
		}
		inc := h.create(dongmen("商户聚集", 150))
		if len(h.activations(inc["id"].(string))) != 2 {
			t.Fatalf("want the two proposals of a level II incident: %v", h.activations(inc["id"].(string)))
		}
		if !rostered {
			h.awaitOutbox("the proposals' messages, with no one to send to", 10*time.Second, func(es []outboxEntry) bool {
				return len(es) == 2 && !slices.ContainsFunc(es, func(e outboxEntry) bool { return e.State == "queued" })
			})
			rc.mu.Lock()
			if len(rc.got) != 0 {
				t.Errorf("with no leader on duty, SMS went to %v", rc.got)
			}
			rc.mu.Unlock()
			continue
		}
		h.awaitSent(2, 10*time.Second)
		rc.mu.Lock()
		got := rc.got["sms:13800138000"]
		if len(got) != 2 || len(rc.errs) > 0 {
			t.Errorf("the leader on duty's phone got %v (all: %v, errors %v)", got, rc.got, rc.errs)
		}
		for id, n := range got {
			if n != 1 || !strings.HasPrefix(id, "plan.proposed:") {
				t.Errorf("message %s received %d times", id, n)
			}
		}
		rc.mu.Unlock()
	}
}

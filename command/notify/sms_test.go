package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"watchfloor/command/alarm"
	"watchfloor/command/job"
	"watchfloor/command/memstore/memoutbox"
	"watchfloor/command/notify"
	"watchfloor/command/store"
	"watchfloor/command/store/records"
	"watchfloor/command/store/storetest"
	"watchfloor/command/vocab"
	"watchfloor/config"
)

// smsBody is a JSON gateway's body, each value through json.
const smsBody = `{"mobile":{{json .Phone}},"content":{{json .Text}},"out_id":{{json .ID}}}`

// gateway is a local SMS gateway answering each phone with its status (200
// by default); it records the message ids each phone was sent.
type gateway struct {
	mu     sync.Mutex
	status map[string]int
	got    map[string][]string // phone → the X-Watchfloor-Message of each request
	bodies []map[string]string
}

func newGateway(t *testing.T, status map[string]int) (*gateway, *httptest.Server) {
	gw := &gateway{status: status, got: map[string][]string{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var b map[string]string
		if err := json.Unmarshal(body, &b); err != nil {
			t.Errorf("gateway: body %s: %v", body, err)
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		id := r.Header.Get(notify.HeaderMessage)
		if b["out_id"] != id {
			t.Errorf("gateway: out_id %q, header %q", b["out_id"], id)
		}
		gw.mu.Lock()
		gw.got[b["mobile"]] = append(gw.got[b["mobile"]], id)
		gw.bodies = append(gw.bodies, b)
		st := gw.status[b["mobile"]]
		gw.mu.Unlock()
		if st == 0 {
			st = http.StatusOK
		}
		w.WriteHeader(st)
	}))
	t.Cleanup(srv.Close)
	return gw, srv
}

func (gw *gateway) sent() map[string][]string {
	gw.mu.Lock()
	defer gw.mu.Unlock()
	out := map[string][]string{}
	for p, ids := range gw.got {
		out[p] = slices.Clone(ids)
	}
	return out
}

// smsService is a service with one SMS channel to phones at url, a rule
// sending serious incidents to it, maxAttempts attempts, its delivery jobs
// collected (not run) in jobs and its alarms in alarms; counted, when
// given, is told what the metrics count (Hooks.Counted).
func smsService(url string, phones []string, maxAttempts int, out notify.Outbox, jobs *[]job.Job, alarms *[]*alarm.Alarm,
	counted ...func(channel, state string)) *notify.Service {
	c := config.Defaults().Notifications
	c.MaxAttempts = maxAttempts
	c.Channels = []config.NotifyChannel{{ID: "sms", Kind: "sms", URL: url, Phones: phones,
		Headers: map[string]string{"Content-Type": "application/json"}, Body: smsBody}}
	c.Rules = []config.NotifyRule{{Event: config.NotifySeriousIncident, Channels: []string{"sms"}}}
	collect := func(_ context.Context, js []job.Job) { *jobs = append(*jobs, js...) }
	raise := func(_ context.Context, a *alarm.Alarm) error { *alarms = append(*alarms, a); return nil }
	hooks := notify.Hooks{RunJobs: collect, Raise: raise}
	if len(counted) > 0 {
		hooks.Counted = counted[0]
	}
	return notify.New(c, time.UTC, out, notify.NewTransport(2*time.Second), func() time.Time { return t0 }, hooks)
}

// runAll runs every delivery job rounds times, as the runner retries each
// until its handler returns nil (extra runs of a finished message do nothing).
func runAll(ctx context.Context, s *notify.Service, jobs []job.Job, rounds int) {
	for range rounds {
		for _, j := range jobs {
			_ = s.Deliver(ctx, j)
		}
	}
}

// A phone the gateway keeps refusing does not make the others texted again:
// each phone is its own message, so after every attempt the healthy phone
// got exactly one text, under its own id (its place among the phones). A
// 5xx or 429 is retried until max_attempts; any other 4xx (the number
// refused) fails at once.
func TestSMSOnePhoneFailing(t *testing.T) {
	const bad, good = "13900000001", "13900000002"
	for _, tc := range []struct {
		name     string
		status   int
		attempts int // of the failing phone
	}{
		{"5xx retried", http.StatusInternalServerError, 3},
		{"429 retried", http.StatusTooManyRequests, 3},
		{"4xx failed at once", http.StatusBadRequest, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			gw, srv := newGateway(t, map[string]int{bad: tc.status})
			out := memoutbox.New()
			var jobs []job.Job
			var alarms []*alarm.Alarm
			// The healthy phone first: the gateway is asked for it before
			// the failing one at each attempt.
			s := smsService(srv.URL+"/send", []string{good, bad}, 3, out, &jobs, &alarms)
			env := envelope(t, vocab.AlarmRaised, &alarm.Alarm{ID: "incident.serious:i-1", Kind: alarm.SeriousIncident, IncidentID: "i-1", Level: "II", Title: "火灾", RaisedAt: t0})
			if err := s.Event(ctx, job.Job{Kind: notify.JobEvent, Data: env}); err != nil {
				t.Fatal(err)
			}
			runAll(ctx, s, jobs, 5)
			goodID, badID := "incident.serious:i-1:II@sms/1", "incident.serious:i-1:II@sms/2"
			got := gw.sent()
			if ids := got[good]; len(ids) != 1 || ids[0] != goodID {
				t.Errorf("the healthy phone got %v, want one text, id %s", ids, goodID)
			}
			if ids := got[bad]; len(ids) != tc.attempts || ids[0] != badID {
				t.Errorf("the failing phone got %v, want %d requests, id %s", ids, tc.attempts, badID)
			}
			if d, _ := out.Load(ctx, goodID); d.State != notify.Sent || d.Attempts != 1 || d.Phone != good {
				t.Errorf("healthy phone's message %+v", d)
			}
			if d, _ := out.Load(ctx, badID); d.State != notify.Failed || d.Attempts != tc.attempts || d.Phone != bad || !strings.Contains(d.Error, http.StatusText(tc.status)) {
				t.Errorf("failing phone's message %+v", d)
			}
			// The alarm on the screens names the message, not the phone.
			if len(alarms) != 1 || !strings.Contains(alarms[0].Detail, badID) || strings.Contains(alarms[0].Detail, bad) {
				t.Errorf("alarms %+v", alarms)
			}
		})
	}
}

// An SMS message queued in Redis by a version that texted every phone at
// each attempt (one message per channel, no phone of its own) is still
// delivered after an upgrade: its next attempt hands it on to one message
// per phone and records it sent, so each phone is texted once under its own
// id, a failing one alone retried; a second run of its job sends nothing.
// The old message is not counted sent in the metrics (nothing was sent for
// it): only its messages per phone are, queued and then sent or failed.
func TestSMSQueuedBeforeUpgrade(t *testing.T) {
	ctx := context.Background()
	const bad, good, leader = "13900000001", "13900000002", "13700000003"
	gw, srv := newGateway(t, map[string]int{bad: http.StatusBadGateway})
	out := records.NewOutbox(storetest.Open(t, store.Options{}))
	var jobs []job.Job
	var alarms []*alarm.Alarm
	var counted []string
	count := func(channel, state string) { counted = append(counted, channel+" "+state) }
	s := smsService(srv.URL+"/send", []string{good, bad}, 3, out, &jobs, &alarms, count)
	// The old shape: the channel's id, the leader among Phones, no phone.
	old := notify.Message{ID: "plan.proposed:A-1@sms", Event: config.NotifyPlanProposed, Channel: "sms", Title: "【预案待批准】火灾预案",
		Text: "请审批", Phones: []string{leader}, At: t0}
	queued, err := out.Enqueue(ctx, []notify.Message{old}, t0)
	if err != nil || len(queued) != 1 {
		t.Fatal(queued, err)
	}
	if err := s.Deliver(ctx, queued[0]); err != nil {
		t.Fatalf("the old message's attempt: %v", err)
	}
	if d, _ := out.Load(ctx, old.ID); d.State != notify.Sent {
		t.Fatalf("the old message after its split: %+v", d)
	}
	if len(jobs) != 3 {
		t.Fatalf("jobs %+v, want one per phone", jobs)
	}
	if want := []string{"sms queued", "sms queued", "sms queued"}; !slices.Equal(counted, want) {
		t.Errorf("counted at the split %v, want %v (the old message not sent)", counted, want)
	}
	runAll(ctx, s, append(jobs, queued...), 5)
	got := gw.sent()
	// The channel's phones in order, then the leader: their places.
	for p, id := range map[string]string{good: old.ID + "/1", leader: old.ID + "/3"} {
		if ids := got[p]; len(ids) != 1 || ids[0] != id {
			t.Errorf("phone %s got %v, want one text, id %s", p, ids, id)
		}
	}
	if ids := got[bad]; len(ids) != 3 {
		t.Errorf("the failing phone got %v, want 3 attempts", ids)
	}
	if d, _ := out.Load(ctx, old.ID+"/2"); d.State != notify.Failed || d.Phone != bad || d.Attempts != 3 {
		t.Errorf("the failing phone's message %+v", d)
	}
	slices.Sort(counted)
	if want := []string{"sms failed", "sms queued", "sms queued", "sms queued", "sms sent", "sms sent"}; !slices.Equal(counted, want) {
		t.Errorf("counted %v, want %v", counted, want)
	}
}

// An SMS message split by a test build of the messages per phone, whose
// ids ended with the number, is delivered all the same: its phone is
// read from the message, never from its id.
func TestSMSSplitByATestBuild(t *testing.T) {
	ctx := context.Background()
	const phone = "13900000002"
	gw, srv := newGateway(t, nil)
	out := records.NewOutbox(storetest.Open(t, store.Options{}))
	var jobs []job.Job
	var alarms []*alarm.Alarm
	s := smsService(srv.URL+"/send", []string{phone}, 3, out, &jobs, &alarms)
	m := notify.Message{ID: "plan.proposed:A-1@sms/" + phone, Event: config.NotifyPlanProposed, Channel: "sms", Title: "【预案待批准】火灾预案",
		Text: "请审批", Phone: phone, At: t0}
	queued, err := out.Enqueue(ctx, []notify.Message{m}, t0)
	if err != nil || len(queued) != 1 {
		t.Fatal(queued, err)
	}
	if err := s.Deliver(ctx, queued[0]); err != nil {
		t.Fatal(err)
	}
	if ids := gw.sent()[phone]; len(ids) != 1 || ids[0] != m.ID {
		t.Errorf("the phone got %v, want one text, id %s", ids, m.ID)
	}
	if d, _ := out.Load(ctx, m.ID); d.State != notify.Sent || len(jobs) != 0 {
		t.Errorf("the message %+v, jobs %v", d, jobs)
	}
}

// No raw phone reaches what shows a message: the ids of an event's SMS
// messages and of a test message, the outbox as listed, and the answer to
// a retry (their phone and phones fields are masked; their ids name the
// phone by its place), nor the screens' alarm.
func TestSMSIDsShowNoPhone(t *testing.T) {
	ctx := context.Background()
	const bad, good, leader = "13900000001", "13900000002", "13700000003"
	_, srv := newGateway(t, map[string]int{bad: http.StatusBadRequest})
	out := records.NewOutbox(storetest.Open(t, store.Options{}))
	var jobs []job.Job
	var alarms []*alarm.Alarm
	s := smsService(srv.URL+"/send", []string{good, bad}, 3, out, &jobs, &alarms)
	env := envelope(t, vocab.AlarmRaised, &alarm.Alarm{ID: "incident.serious:i-1", Kind: alarm.SeriousIncident, IncidentID: "i-1", Level: "II", Title: "火灾", RaisedAt: t0})
	if err := s.Event(ctx, job.Job{Kind: notify.JobEvent, Data: env}); err != nil {
		t.Fatal(err)
	}
	// A message split at its attempt names the leader on duty too.
	old := notify.Message{ID: "plan.proposed:A-1@sms", Event: config.NotifyPlanProposed, Channel: "sms", Title: "t", Text: "x", Phones: []string{leader}, At: t0}
	oldJobs, err := out.Enqueue(ctx, []notify.Message{old}, t0)
	if err != nil {
		t.Fatal(err)
	}
	tested, err := s.Test(ctx, "sms", "admin")
	if err != nil {
		t.Fatal(err)
	}
	runAll(ctx, s, oldJobs, 1)
	runAll(ctx, s, jobs, 1)
	listed, err := s.List(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 2+1+3+2 {
		t.Fatalf("listed %d messages, want 8: %+v", len(listed), listed)
	}
	var failed string
	for _, d := range listed {
		if d.State == notify.Failed {
			failed = d.ID
		}
	}
	retried, err := s.Retry(ctx, failed)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range tested {
		ids = append(ids, m.ID)
	}
	shown, err := json.Marshal(map[string]any{"list": listed, "retried": retried, "tested": ids, "alarms": alarms})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{bad, good, leader} {
		if strings.Contains(string(shown), p) {
			t.Errorf("%s shown in full: %s", p, shown)
		}
	}
	for _, masked := range []string{"139****0001", "139****0002", "137****0003"} {
		if !strings.Contains(string(shown), `"phone":"`+masked+`"`) {
			t.Errorf("%s not shown: %s", masked, shown)
		}
	}
}

// An SMS body is JSON-escaped by construction: a body that writes a value
// into JSON as it is (or quotes json's output) is refused, at validation
// and at sending alike, and with json a hostile title adds no key.
func TestSMSBodyEscaped(t *testing.T) {
	hostile := msg()
	hostile.Title = `x","mobile":"13800000009","content":"`
	for _, tc := range []struct {
		name, body string
		header     bool   // Content-Type: application/json
		refused    string // what the error names; "" when sent
	}{
		{"careless", `{"mobile":"{{.Phone}}","content":"{{.Text}}"}`, true, "{{.Phone}}"},
		{"carelessNoHeader", `{"mobile":{{json .Phone}},"content":"{{.Text}}"}`, false, "{{.Text}}"},
		{"quotedJSON", `{"mobile":{{json .Phone}},"content":"{{json .Text}}"}`, true, "stay JSON"},
		{"printf", `{"mobile":{{json .Phone}},"content":{{printf "%q" .Text}}}`, true, `{{printf "%q" .Text}}`},
		{"insideIf", `{"mobile":{{json .Phone}}{{if .Text}},"content":"{{.Text}}"{{end}}}`, true, "{{.Text}}"},
		{"escaped", `{"mobile":{{json .Phone}},"content":{{.Text | json}}}`, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := config.NotifyChannel{ID: "sms", Kind: "sms", URL: "http://gw/send", Body: tc.body, Phones: []string{"13800000001"}}
			if tc.header {
				ch.Headers = map[string]string{"content-type": "application/json; charset=utf-8"}
			}
			r, err := notify.NewRequest(&ch, notify.Split(&ch, hostile)[0], t0)
			if tc.refused != "" {
				if err == nil || !strings.Contains(err.Error(), tc.refused) {
					t.Fatalf("sent %s (%v), want it refused naming %s", r.Body, err, tc.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var b map[string]string
			if err := json.Unmarshal(r.Body, &b); err != nil || len(b) != 2 || b["mobile"] != "13800000001" || !strings.HasPrefix(b["content"], hostile.Title) {
				t.Fatalf("body %s (%v): the title changed the keys", r.Body, err)
			}
		})
	}
}

// A 4xx refusal fails a webhook's message at once too, with the cause,
// and raises the channel's alarm; the answer is not retried.
func TestRefusedFailsAtOnce(t *testing.T) {
	ctx := context.Background()
	var calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		http.Error(w, "no such hook", http.StatusNotFound)
	}))
	defer srv.Close()
	c := cfg()
	c.MaxAttempts = 5
	c.Channels[1].URL = srv.URL + "/in" // "mail", a webhook
	var alarms []*alarm.Alarm
	raise := func(_ context.Context, a *alarm.Alarm) error { alarms = append(alarms, a); return nil }
	out := memoutbox.New()
	s := notify.New(c, time.UTC, out, notify.NewTransport(2*time.Second), func() time.Time { return t0 }, notify.Hooks{Raise: raise})
	ms, err := s.Test(ctx, "mail", "admin")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := s.Deliver(ctx, jobOf(ms[0])); err != nil {
			t.Fatalf("a refusal is retried: %v", err)
		}
	}
	d, _ := out.Load(ctx, ms[0].ID)
	if calls != 1 || d.State != notify.Failed || d.Attempts != 1 || !strings.Contains(d.Error, "404") {
		t.Fatalf("after a 404: %d calls, %+v", calls, d)
	}
	if len(alarms) != 1 {
		t.Fatalf("alarms %+v", alarms)
	}
}

// A group robot's 4xx is retried, not failed at once: Feishu answers its
// frequency limit with 400 and a code in the body, which the cause names.
func TestRobotRefusalRetried(t *testing.T) {
	for _, tc := range []struct {
		kind, body string
		status     int
		cause      string
	}{
		{"feishu", `{"code":11232,"msg":"frequency limited psm","data":{}}`, http.StatusBadRequest, "400 Bad Request: 11232 frequency limited psm"},
		{"wecom", `{"errcode":45009,"errmsg":"api freq out of limit"}`, http.StatusForbidden, "403 Forbidden: 45009 api freq out of limit"},
		{"dingtalk", `no such robot`, http.StatusNotFound, "404 Not Found"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			ctx := context.Background()
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			c := cfg()
			c.MaxAttempts = 5
			c.Channels[0].Kind, c.Channels[0].URL = tc.kind, srv.URL+"/hook"
			out := memoutbox.New()
			s := notify.New(c, time.UTC, out, notify.NewTransport(2*time.Second), func() time.Time { return t0 }, notify.Hooks{})
			ms, err := s.Test(ctx, "ops", "admin")
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				if err := s.Deliver(ctx, jobOf(ms[0])); err == nil {
					t.Fatalf("attempt %d: the robot's %d was not retried", i+1, tc.status)
				}
			}
			d, _ := out.Load(ctx, ms[0].ID)
			if calls.Load() != 2 || d.State != notify.Queued || d.Attempts != 2 || !strings.Contains(d.Error, tc.cause) {
				t.Fatalf("after two %d answers: %d calls, %+v, want queued naming %q", tc.status, calls.Load(), d, tc.cause)
			}
		})
	}
}

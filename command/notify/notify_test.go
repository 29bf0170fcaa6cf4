package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"watchfloor/command/alarm"
	"watchfloor/command/job"
	"watchfloor/command/memstore/memoutbox"
	"watchfloor/command/notify"
	"watchfloor/command/vocab"
	"watchfloor/config"
)

var t0 = time.Date(2026, 7, 1, 2, 0, 0, 0, time.UTC)

// Known vectors, computed apart from this code (Python's hmac, hashlib,
// base64 and urllib.parse.quote_plus).
func TestSignatures(t *testing.T) {
	for _, tc := range []struct{ name, got, want string }{
		{"dingtalk", notify.DingTalkSign("SECtestsecret", "1700000000000"), "7LVwF0dAF3/+MRRulbpE4y72Ogzykc6bS2nG4I99T4s="},
		{"feishu", notify.FeishuSign("SECtestsecret", "1700000000"), "qctwDqaazOo8xxU2d5mAVhFAk6TEeaDHQUh0YMWFIL8="},
		{"webhook", notify.WebhookSign("whsecret", "1700000000", []byte(`{"a":1}`)), "sha256=15d410d1cdb353b5e77d15b79f2cf9b142f784abbc3bbf7654676b96d67b9494"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: signature %s, want %s", tc.name, tc.got, tc.want)
		}
	}
}

func msg() notify.Message {
	return notify.Message{ID: "incident.serious:i-1@ops", Event: "incident.serious", Channel: "ops", Title: "【Ⅱ级事件】火灾",
		Text: "Ⅱ级事件:火灾", Link: "http://wf.example/leader.html", Phones: []string{"13800000001"}, IncidentID: "i-1", At: t0}
}

// Each channel's request: method, URL (DingTalk's signature in the query),
// headers and the documented JSON body.
func TestRequests(t *testing.T) {
	now := time.UnixMilli(1700000000000)
	for _, tc := range []struct {
		name string
		ch   config.NotifyChannel
		want string // the body
		url  string
	}{
		{"wecom", config.NotifyChannel{ID: "ops", Kind: "wecom", URL: "http://r/send?key=k"},
			`{"msgtype":"text","text":{"content":"【Ⅱ级事件】火灾\nⅡ级事件:火灾\nhttp://wf.example/leader.html\n消息编号 incident.serious:i-1@ops","mentioned_mobile_list":["13800000001"]}}`,
			"http://r/send?key=k"},
		{"dingtalk", config.NotifyChannel{ID: "ops", Kind: "dingtalk", URL: "http://r/robot/send?access_token=t", Secret: "SECtestsecret"},
			`{"at":{"atMobiles":["13800000001"],"isAtAll":false},"msgtype":"text","text":{"content":"【Ⅱ级事件】火灾\nⅡ级事件:火灾\nhttp://wf.example/leader.html\n消息编号 incident.serious:i-1@ops"}}`,
			"http://r/robot/send?access_token=t&sign=7LVwF0dAF3%2F%2BMRRulbpE4y72Ogzykc6bS2nG4I99T4s%3D&timestamp=1700000000000"},
		{"feishu", config.NotifyChannel{ID: "ops", Kind: "feishu", URL: "http://r/hook/x", Secret: "SECtestsecret"},
			`{"content":{"text":"【Ⅱ级事件】火灾\nⅡ级事件:火灾\nhttp://wf.example/leader.html\n消息编号 incident.serious:i-1@ops"},"msg_type":"text","sign":"qctwDqaazOo8xxU2d5mAVhFAk6TEeaDHQUh0YMWFIL8=","timestamp":"1700000000"}`,
			"http://r/hook/x"},
		{"feishuUnsigned", config.NotifyChannel{ID: "ops", Kind: "feishu", URL: "http://r/hook/x"},
			`{"content":{"text":"【Ⅱ级事件】火灾\nⅡ级事件:火灾\nhttp://wf.example/leader.html\n消息编号 incident.serious:i-1@ops"},"msg_type":"text"}`,
			"http://r/hook/x"},
		{"webhook", config.NotifyChannel{ID: "ops", Kind: "webhook", URL: "https://r/in", Secret: "whsecret"},
			`{"id":"incident.serious:i-1@ops","event":"incident.serious","title":"【Ⅱ级事件】火灾","text":"Ⅱ级事件:火灾","link":"http://wf.example/leader.html","incident_id":"i-1","at":"2026-07-01T02:00:00Z"}`,
			"https://r/in"},
		{"sms", config.NotifyChannel{ID: "ops", Kind: "sms", URL: "http://gw/send", Body: `{"to":{{json .Phone}},"msg":{{json .Text}},"id":{{json .ID}}}`, Headers: map[string]string{"Content-Type": "application/json"}},
			`{"to":"13800000001","msg":"【Ⅱ级事件】火灾:Ⅱ级事件:火灾","id":"incident.serious:i-1@ops/1"}`, "http://gw/send"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms := notify.Split(&tc.ch, msg())
			if len(ms) != 1 {
				t.Fatalf("messages %+v", ms)
			}
			r, err := notify.NewRequest(&tc.ch, ms[0], now)
			if err != nil {
				t.Fatal(err)
			}
			if r.Method != "POST" || r.URL != tc.url || string(r.Body) != tc.want {
				t.Errorf("got %s %s\n%s\nwant %s\n%s", r.Method, r.URL, r.Body, tc.url, tc.want)
			}
			if r.Header.Get(notify.HeaderMessage) != ms[0].ID || !strings.HasPrefix(ms[0].ID, "incident.serious:i-1@ops") {
				t.Errorf("message id header %q, message %q", r.Header.Get(notify.HeaderMessage), ms[0].ID)
			}
			if tc.name == "webhook" && r.Header.Get(notify.HeaderSignature) != notify.WebhookSign("whsecret", "1700000000", r.Body) {
				t.Errorf("webhook signature %q", r.Header.Get(notify.HeaderSignature))
			}
			if tc.name == "dingtalk" {
				u, _ := url.Parse(r.URL)
				if u.Query().Get("sign") != notify.DingTalkSign("SECtestsecret", u.Query().Get("timestamp")) {
					t.Errorf("dingtalk sign does not verify: %s", r.URL)
				}
			}
		})
	}
}

// An SMS gateway gets one message per phone, the channel's and the
// leader's (once each), each asked under its own id, which names the
// phone by its place; a message that names no phone makes no request.
func TestSMSPerPhone(t *testing.T) {
	ch := config.NotifyChannel{ID: "sms", Kind: "sms", URL: "http://gw/send", Method: "GET", Phones: []string{"13900000002", "13800000001"}}
	ms := notify.Split(&ch, msg())
	if len(ms) != 2 {
		t.Fatalf("messages %+v", ms)
	}
	for i, want := range []string{"13900000002", "13800000001"} {
		r, err := notify.NewRequest(&ch, ms[i], t0)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(r.URL)
		id := fmt.Sprintf("incident.serious:i-1@ops/%d", i+1) // the phone's place, not its number
		if ms[i].ID != id || ms[i].Phone != want || r.Method != "GET" || u.Query().Get("phone") != want || u.Query().Get("id") != id ||
			r.Header.Get(notify.HeaderMessage) != id || !strings.Contains(u.Query().Get("text"), "火灾") {
			t.Errorf("message %d %+v: %s %s %v", i, ms[i], r.Method, r.URL, r.Header)
		}
	}
	// GET sends no body: a JSON Content-Type (for the answer) does not
	// stop the request.
	withJSON := ch
	withJSON.Headers = map[string]string{"Content-Type": "application/json"}
	if r, err := notify.NewRequest(&withJSON, ms[0], t0); err != nil || r.Body != nil || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("GET with a JSON Content-Type: %+v, %v", r, err)
	}
	if again := notify.Split(&ch, ms[0]); len(again) != 1 || again[0].ID != ms[0].ID {
		t.Errorf("a message of one phone split again: %+v", again)
	}
	if _, err := notify.NewRequest(&ch, msg(), t0); err == nil {
		t.Error("a request was made of an SMS message naming no phone")
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{
		"火灾 报警人 13812345678":  "火灾 报警人 138****5678",
		"电话 138-1234-5678 求助": "电话 138****5678 求助",
		"3 号楼 12 层":           "3 号楼 12 层",
	} {
		if got := notify.Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

type duty struct{}

func (duty) OnDuty(context.Context, time.Time) (string, string, bool) {
	return "leader", "13700000003", true
}

func cfg() config.Notifications {
	c := config.Defaults().Notifications
	c.BaseURL = "http://wf.example/"
	c.MaxAttempts = 2
	c.Channels = []config.NotifyChannel{{ID: "ops", Kind: "wecom", URL: "http://r/a"}, {ID: "mail", Kind: "webhook", URL: "http://r/b", Secret: "s"},
		{ID: "off", Kind: "wecom", URL: "http://r/c", Disabled: true}}
	c.Rules = []config.NotifyRule{
		{Event: config.NotifySeriousIncident, Channels: []string{"ops", "mail", "off"}},
		{Event: config.NotifyPlanProposed, Channels: []string{"ops"}, LeaderOnDuty: true},
		{Event: config.NotifyPlanApproved, Channels: []string{"mail"}},
		{Event: config.NotifyDeadlineOverdue, Channels: []string{"ops"}},
		{Event: config.NotifyOrderExpired, Channels: []string{"ops"}},
		{Event: config.NotifyCaseOverdue, Channels: []string{"ops"}},
		{Event: config.NotifySupervisionOverdue, Channels: []string{"ops"}},
		{Event: config.NotifyAssemblyOverdue, Channels: []string{"mail"}},
	}
	return c
}

func envelope(t *testing.T, typ string, data any) []byte {
	b, _ := json.Marshal(data)
	e, err := json.Marshal(vocab.Envelope{Seq: 1, Type: typ, At: t0, Data: b})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// The rules: which events make which messages, to which channels, with
// what text; drills, disabled channels and other events make none.
func TestRules(t *testing.T) {
	drills := func(_ context.Context, id string) (bool, error) { return id == "i-drill", nil }
	s := notify.New(cfg(), time.FixedZone("CST", 8*3600), memoutbox.New(), nil, nil, notify.Hooks{OnDuty: duty{}, Drill: drills})
	serious := &alarm.Alarm{ID: "incident.serious:i-1", Kind: alarm.SeriousIncident, IncidentID: "i-1", Level: "II", Title: "厂房火灾 13812345678", Detail: "fire", RaisedAt: t0}
	drill := *serious
	drill.Drill = true
	proposed := map[string]any{"id": "a-1", "plan_name": map[string]string{"zh": "火灾预案"}, "incident_id": "i-1", "level": "II", "approvers": []string{"leader", "deputy"}}
	for _, tc := range []struct {
		name    string
		env     []byte
		ids     []string
		text    string
		link    bool
		leaders bool
	}{
		{"serious", envelope(t, vocab.AlarmRaised, serious), []string{"incident.serious:i-1:II@ops", "incident.serious:i-1:II@mail"}, "138****5678", false, false},
		{"drill", envelope(t, vocab.AlarmRaised, &drill), nil, "", false, false},
		{"proposed", envelope(t, vocab.ActivationProposed, proposed), []string{"plan.proposed:a-1@ops"}, "待领导或分管领导批准(07-01 10:00 提出)", true, true},
		{"drillPlan", envelope(t, vocab.ActivationProposed, map[string]any{"id": "a-2", "incident_id": "i-drill", "level": "II"}), nil, "", false, false},
		{"approved", envelope(t, vocab.ActivationApproved, proposed), []string{"plan.approved:a-1@mail"}, "火灾预案", true, false},
		{"raisedToI", envelope(t, vocab.AlarmRaised, &alarm.Alarm{ID: "incident.serious:i-1", Kind: alarm.SeriousIncident, IncidentID: "i-1", Level: "I", Title: "t", RaisedAt: t0}),
			[]string{"incident.serious:i-1:I@ops", "incident.serious:i-1:I@mail"}, "特别重大", false, false},
		{"deadline", envelope(t, vocab.AlarmRaised, &alarm.Alarm{ID: "deadline.overdue:i-1:report_higher", Kind: alarm.DeadlineOverdue, IncidentID: "i-1", Title: "火灾", Detail: "report_higher", RaisedAt: t0}),
			[]string{"deadline.overdue:i-1:report_higher@ops"}, "报告(report_higher)已超过时限(07-01 10:00)", false, false},
		{"order", envelope(t, vocab.AlarmRaised, &alarm.Alarm{ID: "dispatch.expired:d-1", Kind: alarm.OrderExpired, IncidentID: "i-1", DispatchID: "d-1", UnitID: "car-01", RaisedAt: t0}),
			[]string{"dispatch.expired:d-1@ops"}, "单位 car-01 未在时限内确认派单 d-1", false, false},
		{"case", envelope(t, vocab.AlarmRaised, &alarm.Alarm{ID: "case.overdue:c-1", Kind: "case.overdue", Title: "占道经营", RaisedAt: t0}),
			[]string{"case.overdue:c-1@ops"}, "网格案件「占道经营」已超过办理时限", false, false},
		{"supervision", envelope(t, vocab.AlarmRaised, &alarm.Alarm{ID: "supervision.overdue:c-1:20260701T020000Z", Kind: "supervision.overdue", Title: "占道经营 13812345678",
			ApproverName: "王局", RaisedAt: t0}),
			[]string{"supervision.overdue:c-1:20260701T020000Z@ops"}, "挂牌督办案件「占道经营 138****5678」已过督办期限仍未办结(07-01 10:00),带班领导 王局", false, false},
		{"assembly", envelope(t, vocab.AlarmRaised, &alarm.Alarm{ID: "order.assembly_overdue:d-1", Kind: "order.assembly_overdue", IncidentID: "i-1", DispatchID: "d-1", UnitID: "car-01", Title: "铁骑01", RaisedAt: t0}),
			[]string{"order.assembly_overdue:d-1@mail"}, "单位 铁骑01(car-01)未在集结时限内到达现场(派单 d-1,07-01 10:00)", false, false},
		{"otherAlarm", envelope(t, vocab.AlarmRaised, &alarm.Alarm{ID: "x", Kind: alarm.JobFailing}), nil, "", false, false},
		{"otherEvent", envelope(t, vocab.IncidentCreated, map[string]any{"id": "i-1"}), nil, "", false, false},
		{"garbage", []byte("{"), nil, "", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms := s.Messages(context.Background(), tc.env)
			var ids []string
			for _, m := range ms {
				ids = append(ids, m.ID)
				if !strings.Contains(m.Text+m.Title, tc.text) || strings.Contains(m.Text+m.Title, "13812345678") {
					t.Errorf("%s: text %q %q, want %q and no phone", m.ID, m.Title, m.Text, tc.text)
				}
				if (m.Link == "http://wf.example/leader.html") != tc.link {
					t.Errorf("%s: link %q", m.ID, m.Link)
				}
				if (len(m.Phones) == 1 && m.Phones[0] == "13700000003") != tc.leaders {
					t.Errorf("%s: phones %v", m.ID, m.Phones)
				}
			}
			if strings.Join(ids, ",") != strings.Join(tc.ids, ",") {
				t.Errorf("ids %v, want %v", ids, tc.ids)
			}
		})
	}
}

type sender struct {
	fail error
	sent []string
}

func (s *sender) Send(_ context.Context, ch *config.NotifyChannel, m notify.Message) error {
	if s.fail != nil {
		return s.fail
	}
	s.sent = append(s.sent, m.ID)
	return nil
}

// The outbox on the memory store: an event read twice queues its messages
// once; a delivery is sent once; a failing channel is retried until
// max_attempts marks the message failed with its cause; a failed message
// may be retried by hand, a sent one not.
func TestDeliver(t *testing.T) {
	ctx := context.Background()
	out, snd := memoutbox.New(), &sender{}
	var ran []string
	var alarms []*alarm.Alarm
	raise := func(_ context.Context, a *alarm.Alarm) error { alarms = append(alarms, a); return nil }
	s := notify.New(cfg(), time.UTC, out, snd, func() time.Time { return t0 }, notify.Hooks{Raise: raise})
	env := envelope(t, vocab.AlarmRaised, &alarm.Alarm{ID: "incident.serious:i-1", Kind: alarm.SeriousIncident, IncidentID: "i-1", Level: "I", Title: "t", RaisedAt: t0})
	jobs, err := out.Enqueue(ctx, s.Messages(ctx, env), t0)
	if err != nil || len(jobs) != 2 {
		t.Fatalf("enqueue %v %v", jobs, err)
	}
	if again, _ := out.Enqueue(ctx, s.Messages(ctx, env), t0); len(again) != 0 {
		t.Fatalf("an event read twice queued again: %v", again)
	}
	for _, j := range append(jobs, jobs...) {
		if err := s.Deliver(ctx, j); err != nil {
			t.Fatal(err)
		}
		ran = append(ran, j.Key)
	}
	if len(snd.sent) != 2 {
		t.Fatalf("sent %v after running %v", snd.sent, ran)
	}
	ds, _ := s.List(ctx, notify.Sent, 10)
	if len(ds) != 2 || ds[0].Attempts != 1 || ds[0].SentAt == nil {
		t.Fatalf("sent list %+v", ds)
	}
	if _, err := s.Retry(ctx, ds[0].ID); err == nil {
		t.Fatal("a sent message was retried")
	}

	snd.fail = errors.New("receiver answered 500")
	ms, err := s.Test(ctx, "ops", "admin")
	if err != nil || len(ms) != 1 {
		t.Fatal(ms, err)
	}
	m := ms[0]
	j := notify.Message{ID: m.ID}
	if err := s.Deliver(ctx, jobOf(j)); err == nil || !strings.Contains(err.Error(), "500") || len(alarms) != 0 {
		t.Fatalf("first failed attempt: %v, alarms %v", err, alarms)
	}
	if d, _ := out.Load(ctx, m.ID); d.State != notify.Queued || d.Error != "receiver answered 500" {
		t.Fatalf("after a failed attempt: %+v", d)
	}
	if err := s.Deliver(ctx, jobOf(j)); err != nil {
		t.Fatalf("the last attempt is recorded failed, not retried: %v", err)
	}
	if d, _ := out.Load(ctx, m.ID); d.State != notify.Failed || d.Attempts != 2 {
		t.Fatalf("after max attempts: %+v", d)
	}
	// max_attempts (2) before alarm_after (5): the channel's alarm of the day
	// is raised when the message fails for good.
	if len(alarms) != 1 || alarms[0].ID != "notify.failing:ops:2026-07-01" || alarms[0].Title != "ops" || !strings.Contains(alarms[0].Detail, "500") {
		t.Fatalf("alarms %+v", alarms)
	}
	snd.fail = nil
	if _, err := s.Retry(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Deliver(ctx, jobOf(j)); err != nil {
		t.Fatal(err)
	}
	if d, _ := out.Load(ctx, m.ID); d.State != notify.Sent {
		t.Fatalf("after retry: %+v", d)
	}
}

func jobOf(m notify.Message) job.Job { return job.Job{Kind: notify.JobDeliver, Key: m.ID} }

// A receiver answering a redirect is a failure, and the redirect is not
// followed: the body and the gateway's headers (its keys) go nowhere else.
func TestRedirectNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal", http.StatusTemporaryRedirect)
	}))
	defer gw.Close()
	ch := config.NotifyChannel{ID: "sms", Kind: "sms", URL: gw.URL + "/send", Method: "POST", Phones: []string{"13800000001"},
		Headers: map[string]string{"X-Api-Key": "secret"}, Body: `{{json .Text}}`}
	err := notify.NewTransport(2*time.Second).Send(context.Background(), &ch, notify.Split(&ch, msg())[0])
	if err == nil || !strings.Contains(err.Error(), "307") {
		t.Fatalf("a redirect answered: %v; want an error naming 307", err)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Fatalf("the redirect was followed %d times", n)
	}
}

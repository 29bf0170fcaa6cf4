package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"watchfloor/command/job"
	"watchfloor/command/memstore/memoutbox"
	"watchfloor/command/notify"
	"watchfloor/command/vocab"
	"watchfloor/command/warning"
	"watchfloor/config"
)

// robot is a local WeCom robot: it records each message's text and
// mentioned phones by the message id it carries.
type robot struct {
	mu     sync.Mutex
	got    map[string][]string // channel path → message ids, in order
	text   map[string]string   // message id → text
	phones map[string][]any
}

func newRobot(t *testing.T) (*robot, *httptest.Server) {
	rb := &robot{got: map[string][]string{}, text: map[string]string{}, phones: map[string][]any{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var b struct {
			Text struct {
				Content string `json:"content"`
				Phones  []any  `json:"mentioned_mobile_list"`
			} `json:"text"`
		}
		id := r.Header.Get(notify.HeaderMessage)
		if json.Unmarshal(body, &b) != nil || id == "" {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		rb.mu.Lock()
		rb.got[r.URL.Path] = append(rb.got[r.URL.Path], id)
		rb.text[id], rb.phones[id] = b.Text.Content, b.Text.Phones
		rb.mu.Unlock()
		_, _ = w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
	}))
	t.Cleanup(srv.Close)
	return rb, srv
}

func (rb *robot) ids(path string) string {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	return strings.Join(rb.got[path], ",")
}

// warned is a yellow rainstorm warning for two streets at version v, its
// last step action (from orange when lowered, from yellow when raised).
func warned(v int64, colour warning.Colour, action, from string, drill bool) *warning.Warning {
	w := &warning.Warning{ID: "W-20260701-0001", Type: warning.Rainstorm, Colour: colour, Title: "暴雨预警 联系 13812345678",
		Text: "请各街道做好防御准备。", Source: "深圳市气象台", Drill: drill,
		Area: warning.Area{Kind: warning.AreaStreets, Codes: []string{"440303001", "440303002"},
			Names: []warning.Name{{Code: "440303001", Name: "东门街道"}, {Code: "440303002", Name: "南湖街道"}}},
		StartsAt: t0, EndsAt: t0.Add(12 * time.Hour), Status: warning.Active, IssuedAt: t0, UpdatedAt: t0, Version: v,
		History: []warning.Step{{At: t0, Action: warning.StepIssued, By: "op"}}}
	if action != warning.StepIssued {
		w.History = append(w.History, warning.Step{At: t0, Action: action, By: "leader", From: from, To: string(colour)})
	}
	if drill {
		w.ID = "W-20260701-0002"
	}
	return w
}

// Warnings issued and raised reach a real local robot once per version,
// however often the event is read and from whichever stream; lowering and
// extending tell nobody; a drill reaches only the rule that takes drills;
// the text is zh-CN with the type, colour, areas and validity in the
// configured zone, phones masked, and the leader on duty mentioned.
func TestWarningNotified(t *testing.T) {
	ctx := context.Background()
	rb, srv := newRobot(t)
	c := config.Defaults().Notifications
	c.BaseURL, c.MaxAttempts = "http://wf.example/", 3
	c.Channels = []config.NotifyChannel{{ID: "ops", Kind: "wecom", URL: srv.URL + "/ops"}, {ID: "drills", Kind: "wecom", URL: srv.URL + "/drills"}}
	c.Rules = []config.NotifyRule{
		{Event: config.NotifyWarning, Channels: []string{"ops"}, LeaderOnDuty: true},
		{Event: config.NotifyWarning, Channels: []string{"drills"}, Drills: true},
	}
	var s *notify.Service
	deliver := func(ctx context.Context, jobs []job.Job) {
		for _, j := range jobs {
			if err := s.Deliver(ctx, j); err != nil {
				t.Errorf("delivering %s: %v", j.Key, err)
			}
		}
	}
	s = notify.New(c, time.FixedZone("CST", 8*3600), memoutbox.New(), notify.NewTransport(2*time.Second), func() time.Time { return t0 },
		notify.Hooks{RunJobs: deliver, OnDuty: duty{}})
	screen, leader := s.EventOn(vocab.ScreenStream), s.EventOn(vocab.LeaderStream)
	feed := func(typ string, w *warning.Warning) {
		t.Helper()
		env := envelope(t, typ, w)
		for _, on := range []func(context.Context, job.Job) error{screen, screen, leader} {
			if err := on(ctx, job.Job{Kind: notify.JobEvent, Data: env}); err != nil {
				t.Fatal(err)
			}
		}
	}
	feed(vocab.WarningIssued, warned(1, warning.Orange, warning.StepIssued, "", false))
	feed(vocab.WarningUpdated, warned(2, warning.Yellow, warning.StepLowered, "orange", false))
	feed(vocab.WarningUpdated, warned(3, warning.Yellow, warning.StepExtended, "", false))
	feed(vocab.WarningUpdated, warned(4, warning.Red, warning.StepRaised, "yellow", false))
	feed(vocab.WarningEnded, warned(5, warning.Red, warning.StepLifted, "", false))
	feed(vocab.WarningIssued, warned(1, warning.Blue, warning.StepIssued, "", true))

	v1, v4, drill := "warning:W-20260701-0001:v1", "warning:W-20260701-0001:v4", "warning:W-20260701-0002:v1"
	if got, want := rb.ids("/ops"), v1+"@ops,"+v4+"@ops"; got != want {
		t.Errorf("ops robot got %q, want %q", got, want)
	}
	if got, want := rb.ids("/drills"), v1+"@drills,"+v4+"@drills,"+drill+"@drills"; got != want {
		t.Errorf("drills robot got %q, want %q", got, want)
	}
	for id, want := range map[string][]string{
		v1 + "@ops": {"【暴雨橙色预警】暴雨预警 联系 138****5678", "深圳市气象台发布暴雨橙色预警:", "范围:东门街道、南湖街道。",
			"有效期 07-01 10:00 至 07-01 22:00。", "请各街道做好防御准备。", "预警编号 W-20260701-0001", "http://wf.example/leader.html"},
		v4 + "@ops":       {"【预警升级】暴雨红色预警", "暴雨预警由黄色升级为红色:"},
		drill + "@drills": {"【演练】【暴雨蓝色预警】"},
	} {
		rb.mu.Lock()
		text := rb.text[id]
		rb.mu.Unlock()
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: text %q lacks %q", id, text, w)
			}
		}
		if strings.Contains(text, "13812345678") {
			t.Errorf("%s: phone not masked: %q", id, text)
		}
	}
	rb.mu.Lock()
	defer rb.mu.Unlock()
	if p := rb.phones[v1+"@ops"]; len(p) != 1 || p[0] != "13700000003" {
		t.Errorf("ops message mentions %v, want the leader on duty", p)
	}
	if p := rb.phones[v1+"@drills"]; len(p) != 0 {
		t.Errorf("the drills rule does not ask for the leader, yet mentions %v", p)
	}
}

// A plan started for a warning is approved "for warning W-…", not "on a
// higher body's request"; one started for a drill warning reaches only a
// rule that takes drills, marked as a drill.
func TestPlanForWarning(t *testing.T) {
	c := cfg()
	c.Rules = append(c.Rules, config.NotifyRule{Event: config.NotifyPlanApproved, Channels: []string{"ops"}, Drills: true})
	s := notify.New(c, time.FixedZone("CST", 8*3600), memoutbox.New(), nil, nil, notify.Hooks{})
	started := map[string]any{"id": "A-1", "plan_name": map[string]string{"zh": "防汛防台预案"}, "warning_id": "W-20260701-0001", "level": "II",
		"decided_by": "lead", "by_hand": true}
	for _, tc := range []struct {
		name  string
		drill bool
		ids   string
		title string
	}{
		{"real", false, "plan.approved:A-1@mail,plan.approved:A-1@ops", "【预案已启动】防汛防台预案"},
		{"drill", true, "plan.approved:A-1@ops", "【演练】【预案已启动】防汛防台预案"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			started["drill"] = tc.drill
			var ids []string
			for _, m := range s.Messages(context.Background(), envelope(t, vocab.ActivationApproved, started)) {
				ids = append(ids, m.ID)
				if m.Title != tc.title || !strings.HasSuffix(m.Text, "预警 W-20260701-0001 启动") || strings.Contains(m.Text, "上级") {
					t.Errorf("%s: %q %q", m.ID, m.Title, m.Text)
				}
			}
			if got := strings.Join(ids, ","); got != tc.ids {
				t.Errorf("messages %s, want %s", got, tc.ids)
			}
		})
	}
}

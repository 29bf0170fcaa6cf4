package config

import (
	"testing"
	"time"
)

// validNotifications has one channel of each kind and a rule using them.
func validNotifications() Notifications {
	n := Defaults().Notifications
	n.BaseURL = "https://wf.example"
	n.Channels = []NotifyChannel{
		{ID: "wecom", Kind: "wecom", URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"},
		{ID: "ding", Kind: "dingtalk", URL: "https://oapi.dingtalk.com/robot/send?access_token=t", Secret: "SEC1"},
		{ID: "feishu", Kind: "feishu", URL: "https://open.feishu.cn/open-apis/bot/v2/hook/x"},
		{ID: "hook", Kind: "webhook", URL: "http://127.0.0.1:9000/in", Secret: "s"},
		{ID: "mail", Kind: "email", Host: "127.0.0.1", Port: 25, TLS: "none", From: "wf@example.org", To: []string{"duty@example.org"}},
		{ID: "sms", Kind: "sms", URL: "http://127.0.0.1:9001/sms", Body: "{{.Phone}} {{.Text}}", Phones: []string{"13800000001"}},
	}
	n.Rules = []NotifyRule{{Event: "incident.serious", Channels: []string{"wecom", "ding", "mail"}}, {Event: "plan.proposed", Channels: []string{"sms"}, LeaderOnDuty: true}}
	return n
}

func TestNotificationChecks(t *testing.T) {
	const runner = "notifications: poll between 10ms and 1m, retry_base at least 10ms, retry_max at least retry_base, lease at least timeout, alarm_after and max_attempts at least 1"
	checkSection(t, validNotifications, with(Notifications.validate), []edit[Notifications]{
		{"baseURL", func(n *Notifications) { n.BaseURL = "wf.example" }, []string{"notifications.base_url: an http(s) URL"}},
		{"timeout", func(n *Notifications) { n.Timeout = 0 }, []string{"notifications.timeout: between 100ms and 5m"}},
		{"attempts", func(n *Notifications) { n.MaxAttempts = 0 }, []string{runner}},
		{"lease", func(n *Notifications) { n.Lease = time.Second }, []string{runner}},
		{"kind", func(n *Notifications) { n.Channels[0].Kind = "telegram" },
			[]string{`notifications.channels[0].kind: "telegram" is not one of wecom, dingtalk, feishu, webhook, email, sms`}},
		{"url", func(n *Notifications) { n.Channels[1].URL = "ftp://oapi.dingtalk.com/robot" },
			[]string{`notifications.channels[1].url: "ftp://oapi.dingtalk.com/robot" is not an http(s) URL`}},
		{"noURL", func(n *Notifications) { n.Channels[2].URL = "" }, []string{`notifications.channels[2].url: "" is not an http(s) URL`}},
		{"webhookSecret", func(n *Notifications) { n.Channels[3].Secret = "" },
			[]string{"notifications.channels[3].secret: the webhook's HMAC key is required (or secret_env naming a variable that holds it)"}},
		{"webhookSecretEnvUnset", func(n *Notifications) { n.Channels[3].Secret, n.Channels[3].SecretEnv = "", "WF_HOOK" },
			[]string{"notifications.channels[3].secret: the webhook's HMAC key is required (or secret_env naming a variable that holds it)"}},
		{"disabledNeedsNoSecret", func(n *Notifications) { n.Channels[3].Secret, n.Channels[3].Disabled = "", true }, nil},
		{"mail", func(n *Notifications) {
			n.Channels[4].Port, n.Channels[4].TLS, n.Channels[4].From, n.Channels[4].To, n.Channels[4].Username = 0, "ssl", "nobody", []string{"x"}, "u"
		}, []string{"notifications.channels[4].port: from 1 to 65535", `notifications.channels[4].tls: "ssl" must be starttls, tls or none`,
			`notifications.channels[4].from: "nobody" is not an e-mail address`, `notifications.channels[4].to[0]: "x" is not an e-mail address`,
			"notifications.channels[4].password_env: a username needs a password (password_env naming a variable that holds it)"}},
		{"sms", func(n *Notifications) {
			n.Channels[5].Method, n.Channels[5].Body, n.Channels[5].Phones = "PUT", "{{.Phone", []string{"phone"}
		},
			[]string{`notifications.channels[5].method: "PUT" must be POST or GET`,
				"notifications.channels[5].body: template: sms:1: unclosed action",
				`notifications.channels[5].phones[0]: "phone" is not a phone number`}},
		{"duplicate", func(n *Notifications) { n.Channels[1].ID = "wecom" }, []string{`notifications.channels[1].id: "wecom" must be a unique lowercase id`,
			`notifications.rules[0].channels: "ding" is not a configured channel`}},
		{"rule", func(n *Notifications) { n.Rules[0].Event, n.Rules[0].Channels = "incident.created", []string{"pager"} },
			[]string{`notifications.rules[0].event: "incident.created" is not one of incident.serious, warning, plan.proposed, plan.approved, deadline.overdue, dispatch.expired, case.overdue, supervision.overdue, order.assembly_overdue`,
				`notifications.rules[0].channels: "pager" is not a configured channel`}},
		{"ruleNoChannels", func(n *Notifications) { n.Rules[1].Channels = nil }, []string{"notifications.rules[1].channels: name at least one channel"}},
	})
}

// Secrets come from the environment variables secret_env and password_env name.
func TestNotificationSecrets(t *testing.T) {
	n := validNotifications()
	n.Channels[3].Secret, n.Channels[3].SecretEnv = "", "WF_HOOK"
	n.Channels[4].Username, n.Channels[4].PasswordEnv = "u", "WF_MAIL"
	n.resolve(func(k string) string { return map[string]string{"WF_HOOK": "hk", "WF_MAIL": "pw"}[k] })
	if n.Channels[3].Secret != "hk" || n.Channels[4].Password != "pw" {
		t.Fatalf("secrets %q %q", n.Channels[3].Secret, n.Channels[4].Password)
	}
	if errs := n.validate(testScope); len(errs) > 0 {
		t.Fatal(errs)
	}
}

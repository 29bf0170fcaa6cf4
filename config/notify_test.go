package config

import (
	"strings"
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
			[]string{`notifications.channels[1].url: must be an http:// or https:// URL`}},
		{"noURL", func(n *Notifications) { n.Channels[2].URL = "" }, []string{`notifications.channels[2].url: required (an http(s) URL)`}},
		{"noHost", func(n *Notifications) { n.Channels[2].URL = "https:///hook" }, []string{`notifications.channels[2].url: must name a host (http(s)://host/…)`}},
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
		{"smsJSONUnescaped", func(n *Notifications) {
			n.Channels[5].Body = `{"mobile":"{{.Phone}}","content":"{{.Text}}"}`
		}, []string{"notifications.channels[5].body: {{.Phone}} writes a value into a JSON body as it is: write each value through json, as {{json .Text}} " +
			"(json adds the quotes and escapes), so that a quote in a title cannot add or change a key"}},
		{"smsJSONByHeader", func(n *Notifications) {
			n.Channels[5].Body, n.Channels[5].Headers = "{{.Text}}", map[string]string{"Content-Type": "application/json"}
		}, []string{"notifications.channels[5].body: {{.Text}} writes a value into a JSON body as it is: write each value through json, as {{json .Text}} " +
			"(json adds the quotes and escapes), so that a quote in a title cannot add or change a key"}},
		{"smsJSONQuoted", func(n *Notifications) {
			n.Channels[5].Body = `{"mobile":{{json .Phone}},"content":"{{json .Text}}"}`
		}, []string{`notifications.channels[5].body: a JSON body must stay JSON whatever the text holds (invalid character 'x' after object key:value pair): ` +
			`json adds the quotes itself, so write "content":{{json .Text}}, not "content":"{{json .Text}}"`}},
		{"smsJSON", func(n *Notifications) {
			n.Channels[5].Body = `{"mobile":{{json .Phone}},"content":{{json .Text}},"out_id":{{.ID | json}}}`
		}, nil},
		{"smsForm", func(n *Notifications) {
			n.Channels[5].Body, n.Channels[5].Headers = "mobile={{urlquery .Phone}}&content={{.Text}}", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		}, []string{"notifications.channels[5].body: {{.Text}} writes a value into a form body as it is: write each value through urlquery, as {{urlquery .Text}}, " +
			"so that an & or = in a title cannot add or change a field"}},
		{"smsFormEscaped", func(n *Notifications) {
			n.Channels[5].Body, n.Channels[5].Headers = "mobile={{urlquery .Phone}}&content={{urlquery .Text}}", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		}, nil},
		// GET sends no body: a JSON Content-Type (for the answer) does not
		// have the empty body checked as JSON, nor a body as it would be sent.
		{"smsGETWithJSONHeader", func(n *Notifications) {
			n.Channels[5].Method, n.Channels[5].Body, n.Channels[5].Headers = "GET", "", map[string]string{"Content-Type": "application/json"}
		}, nil},
		{"smsGETBodyUnused", func(n *Notifications) {
			n.Channels[5].Method, n.Channels[5].Body, n.Channels[5].Headers = "GET", `{"mobile":"{{.Phone}}"}`, map[string]string{"Content-Type": "application/json"}
		}, nil},
		{"smsUnknownField", func(n *Notifications) { n.Channels[5].Body = "{{.Phone}} {{.Name}}" }, []string{
			`notifications.channels[5].body: template: sms:1:13: executing "sms" at <.Name>: can't evaluate field Name in type config.SMSData`}},
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

// A bad URL is refused without echoing it: a robot's URL holds its key (in
// the query, the path or the userinfo), and these messages are printed at
// start and land in logs.
func TestNotificationURLErrorsKeepSecretsOut(t *testing.T) {
	for _, u := range []string{
		"qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRETKEY",
		"ftp://oapi.dingtalk.com/robot/send?access_token=SECRETKEY",
		"https://user:SECRETKEY@/hook",
		"https://open.feishu.cn/open-apis/bot/v2/hook/SECRETKEY%zz",
		"http://[::1]:namedport/SECRETKEY",
	} {
		n := validNotifications()
		n.Channels[0].URL = u
		errs := n.validate(testScope)
		if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "notifications.channels[0].url: ") || strings.Contains(errs[0].Error(), "SECRETKEY") {
			t.Errorf("url %s: %v, want one error naming the field, without the key", u, errs)
		}
	}
}

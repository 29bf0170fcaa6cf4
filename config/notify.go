package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
)

// Notifications sends what needs a person to group robots, e-mail and SMS
// through an outbox in Redis (docs/CONFIG.md, "notifications").
type Notifications struct {
	// BaseURL is the address people open the pages at; links in messages
	// (the leader page) start with it. Empty leaves links out.
	BaseURL string `yaml:"base_url"`
	// Timeout bounds one delivery (connect, send, answer).
	Timeout time.Duration `yaml:"timeout"`
	// Poll, RetryBase, RetryMax, Lease and AlarmAfter tune the delivery
	// runner as jobs.* tune the follow-up jobs: a failed delivery waits
	// RetryBase, doubling up to RetryMax.
	Poll       time.Duration `yaml:"poll"`
	RetryBase  time.Duration `yaml:"retry_base"`
	RetryMax   time.Duration `yaml:"retry_max"`
	Lease      time.Duration `yaml:"lease"`
	AlarmAfter int           `yaml:"alarm_after"`
	// MaxAttempts failed deliveries mark a message failed (shown with its
	// cause on the admin page); an administrator may retry it.
	MaxAttempts int `yaml:"max_attempts"`
	// Channels are where messages go, by id.
	Channels []NotifyChannel `yaml:"channels"`
	// Rules say which events go to which channels.
	Rules []NotifyRule `yaml:"rules"`
}

// The kinds of channel.
const (
	ChannelWeCom    = "wecom"
	ChannelDingTalk = "dingtalk"
	ChannelFeishu   = "feishu"
	ChannelWebhook  = "webhook"
	ChannelEmail    = "email"
	ChannelSMS      = "sms"
)

// ChannelKinds are the kinds of channel, in the documented order.
func ChannelKinds() []string {
	return []string{ChannelWeCom, ChannelDingTalk, ChannelFeishu, ChannelWebhook, ChannelEmail, ChannelSMS}
}

// NotifyChannel is one place messages go.
type NotifyChannel struct {
	ID   string `yaml:"id"`
	Kind string `yaml:"kind"`
	// Disabled channels are kept in the file and sent nothing.
	Disabled bool `yaml:"disabled"`
	// URL is the robot's webhook (wecom, dingtalk, feishu), the receiver
	// (webhook) or the gateway (sms).
	URL string `yaml:"url"`
	// Secret signs: DingTalk's and Feishu's signing secret (optional for
	// them), the generic webhook's HMAC key (required). SecretEnv names an
	// environment variable holding it instead.
	Secret    string `yaml:"secret"`
	SecretEnv string `yaml:"secret_env"`
	// SMS gateway: Method (POST or GET), Headers and Body, a Go template
	// given SMSData (one message, and one request, per phone); a JSON or
	// form body must escape each value (SMSTemplate).
	Method  string            `yaml:"method"`
	Headers map[string]string `yaml:"headers"`
	Body    string            `yaml:"body"`
	// Phones get SMS (sms) or are mentioned (wecom, dingtalk).
	Phones []string `yaml:"phones"`
	// E-mail: the SMTP server, its account (PasswordEnv names the variable
	// holding the password), TLS (starttls, tls or none), From and To.
	Host        string   `yaml:"host"`
	Port        int      `yaml:"port"`
	Username    string   `yaml:"username"`
	Password    string   `yaml:"-"`
	PasswordEnv string   `yaml:"password_env"`
	TLS         string   `yaml:"tls"`
	From        string   `yaml:"from"`
	To          []string `yaml:"to"`
}

// The events a rule may name.
const (
	NotifySeriousIncident = "incident.serious"
	NotifyWarning         = "warning"
	NotifyPlanProposed    = "plan.proposed"
	NotifyPlanApproved    = "plan.approved"
	NotifyDeadlineOverdue = "deadline.overdue"
	NotifyOrderExpired    = "dispatch.expired"
	NotifyCaseOverdue     = "case.overdue"
	// Deadlines enforced (issue 20 part 5): a 挂牌督办 date passed, a unit
	// not on scene by its order's assembly deadline.
	NotifySupervisionOverdue = "supervision.overdue"
	NotifyAssemblyOverdue    = "order.assembly_overdue"
)

// NotifyEvents are the events a rule may name, in the documented order.
func NotifyEvents() []string {
	return []string{NotifySeriousIncident, NotifyWarning, NotifyPlanProposed, NotifyPlanApproved,
		NotifyDeadlineOverdue, NotifyOrderExpired, NotifyCaseOverdue, NotifySupervisionOverdue, NotifyAssemblyOverdue}
}

// NotifyRule sends the events of one kind to channels.
type NotifyRule struct {
	Event    string   `yaml:"event"`
	Channels []string `yaml:"channels"`
	// LeaderOnDuty adds the leader on duty (the duty roster) to the
	// recipients: SMS to the leader's phone, mentioned in group robots.
	LeaderOnDuty bool `yaml:"leader_on_duty"`
	// Drills sends the events of drills too (not by default).
	Drills bool `yaml:"drills"`
}

// Channel returns the channel with id, or nil.
func (n *Notifications) Channel(id string) *NotifyChannel {
	for i := range n.Channels {
		if n.Channels[i].ID == id {
			return &n.Channels[i]
		}
	}
	return nil
}

// resolve reads the secrets that secret_env and password_env name (none
// without getenv).
func (n *Notifications) resolve(getenv func(string) string) {
	if getenv == nil {
		return
	}
	for i := range n.Channels {
		ch := &n.Channels[i]
		if ch.SecretEnv != "" {
			ch.Secret = getenv(ch.SecretEnv)
		}
		if ch.PasswordEnv != "" {
			ch.Password = getenv(ch.PasswordEnv)
		}
	}
}

// validate checks notifications.*: the runner's bounds, each channel and
// each rule.
func (n Notifications) validate(in scope) []error {
	p := broken([]bound{
		{n.BaseURL != "" && !httpURL(n.BaseURL), "notifications.base_url: an http(s) URL"},
		{n.Timeout < 100*time.Millisecond || n.Timeout > 5*time.Minute, "notifications.timeout: between 100ms and 5m"},
		{n.Poll < 10*time.Millisecond || n.Poll > time.Minute || n.RetryBase < 10*time.Millisecond ||
			n.RetryMax < n.RetryBase || n.Lease < n.Timeout || n.AlarmAfter < 1 || n.MaxAttempts < 1,
			"notifications: poll between 10ms and 1m, retry_base at least 10ms, retry_max at least retry_base, lease at least timeout, alarm_after and max_attempts at least 1"},
	})
	p = append(p, unique("notifications.channels", n.Channels, func(c NotifyChannel) string { return c.ID },
		func(c NotifyChannel, at string) []error { return c.validate(at, in) })...)
	for i, r := range n.Rules {
		at := fmt.Sprintf("notifications.rules[%d]", i)
		if !slices.Contains(NotifyEvents(), r.Event) {
			p.add("%s.event: %q is not one of %s", at, r.Event, strings.Join(NotifyEvents(), ", "))
		}
		if len(r.Channels) == 0 {
			p.add("%s.channels: name at least one channel", at)
		}
		for _, id := range r.Channels {
			if n.Channel(id) == nil {
				p.add("%s.channels: %q is not a configured channel", at, id)
			}
		}
	}
	return p
}

// validate checks the channel at path at, but for its id.
func (c NotifyChannel) validate(at string, in scope) []error {
	var p problems
	switch c.Kind {
	case ChannelWeCom, ChannelDingTalk, ChannelFeishu, ChannelWebhook, ChannelSMS:
		if why := urlProblem(c.URL); why != "" {
			p.add("%s.url: %s", at, why)
		}
	case ChannelEmail:
		p = append(p, c.validateEmail(at, in)...)
	default:
		p.add("%s.kind: %q is not one of %s", at, c.Kind, strings.Join(ChannelKinds(), ", "))
		return p
	}
	// A secret named by secret_env is only known when the environment is
	// read; a missing one is then an error like a missing secret. A
	// disabled channel sends nothing and needs none.
	if c.Kind == ChannelWebhook && !c.Disabled && c.Secret == "" && (in.env || c.SecretEnv == "") {
		p.add("%s.secret: the webhook's HMAC key is required (or secret_env naming a variable that holds it)", at)
	}
	if c.Kind == ChannelSMS {
		p = append(p, c.validateSMS(at)...)
	}
	for i, ph := range c.Phones {
		if !phonePattern(ph) {
			p.add("%s.phones[%d]: %q is not a phone number", at, i, ph)
		}
	}
	return p
}

// validateSMS checks an SMS gateway's method, body template and phones.
func (c NotifyChannel) validateSMS(at string) []error {
	var p problems
	if c.Method != "" && c.Method != "POST" && c.Method != "GET" {
		p.add("%s.method: %q must be POST or GET", at, c.Method)
	}
	if c.Body == "" && c.Method != "GET" {
		p.add("%s.body: a template with {{.Phone}} and {{.Text}} is required", at)
	} else if _, err := c.SMSTemplate(); err != nil {
		p.add("%s.body: %v", at, err)
	}
	if len(c.Phones) == 0 {
		p.add("%s.phones: name at least one phone", at)
	}
	return p
}

// validateEmail checks an SMTP channel.
func (c NotifyChannel) validateEmail(at string, in scope) []error {
	var p problems
	if c.Host == "" {
		p.add("%s.host: the SMTP server is required", at)
	}
	if c.Port < 1 || c.Port > 65535 {
		p.add("%s.port: from 1 to 65535", at)
	}
	if !slices.Contains([]string{"starttls", "tls", "none"}, c.TLS) {
		p.add("%s.tls: %q must be starttls, tls or none", at, c.TLS)
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		p.add("%s.from: %q is not an e-mail address", at, c.From)
	}
	if len(c.To) == 0 {
		p.add("%s.to: name at least one address", at)
	}
	for i, to := range c.To {
		if _, err := mail.ParseAddress(to); err != nil {
			p.add("%s.to[%d]: %q is not an e-mail address", at, i, to)
		}
	}
	if c.Username != "" && !c.Disabled && c.Password == "" && (in.env || c.PasswordEnv == "") {
		p.add("%s.password_env: a username needs a password (password_env naming a variable that holds it)", at)
	}
	return p
}

// SMSData is what an SMS gateway's body template is given: the one phone
// of the request, the text, and the message's id (unique to the phone).
type SMSData struct{ Phone, Text, ID string }

// SMSTemplate parses the channel's body template: a Go text/template given
// SMSData, with json (a value as a JSON string, quotes included). A body
// sent as JSON (by its Content-Type header, or one that renders starting
// with { or [) must end every {{…}} that writes with json, and a form body
// (application/x-www-form-urlencoded) with urlquery: a title is free text,
// and a quote or an & in it must not add or change a key. With method GET
// no body is sent (the query carries the values, encoded): it is only
// parsed, whatever the headers say.
func (c NotifyChannel) SMSTemplate() (*template.Template, error) {
	t, err := template.New("sms").Option("missingkey=error").Funcs(template.FuncMap{
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
	}).Parse(c.Body)
	if err != nil {
		return nil, err
	}
	if c.Method == "GET" {
		// A JSON Content-Type (a gateway that answers JSON may want one)
		// would have the empty body fail as JSON, blamed on its quoting.
		return t, nil
	}
	var plain bytes.Buffer
	if err := t.Execute(&plain, SMSData{Phone: "13800000000", Text: "text", ID: "id"}); err != nil {
		return nil, err
	}
	kind := contentKind(c.Headers)
	if kind == "" {
		if b := bytes.TrimSpace(plain.Bytes()); len(b) > 0 && (b[0] == '{' || b[0] == '[') {
			kind = "json"
		}
	}
	switch kind {
	case "json":
		if a := unescaped(t, "json"); a != "" {
			return nil, fmt.Errorf("%s writes a value into a JSON body as it is: write each value through json, as {{json .Text}} "+
				"(json adds the quotes and escapes), so that a quote in a title cannot add or change a key", a)
		}
		// Each value is a JSON string now; quotes around one
		// ("{{json .Text}}") would break the body for a text with a quote.
		var hostile bytes.Buffer
		if err := t.Execute(&hostile, SMSData{Phone: "13800000000", Text: `x", "y": "\z` + "\n", ID: `id"}`}); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(hostile.Bytes(), new(any)); err != nil {
			return nil, fmt.Errorf("a JSON body must stay JSON whatever the text holds (%v): json adds the quotes itself, so write \"content\":{{json .Text}}, not \"content\":\"{{json .Text}}\"", err)
		}
	case "form":
		if a := unescaped(t, "urlquery"); a != "" {
			return nil, fmt.Errorf("%s writes a value into a form body as it is: write each value through urlquery, as {{urlquery .Text}}, "+
				"so that an & or = in a title cannot add or change a field", a)
		}
	}
	return t, nil
}

// contentKind is "json" or "form" when headers send the body as JSON or as
// a form, else "".
func contentKind(headers map[string]string) string {
	for k, v := range headers {
		if !strings.EqualFold(k, "Content-Type") {
			continue
		}
		switch v = strings.ToLower(v); {
		case strings.Contains(v, "json"):
			return "json"
		case strings.Contains(v, "application/x-www-form-urlencoded"):
			return "form"
		}
	}
	return ""
}

// unescaped returns the first {{…}} of t (and the templates it defines)
// that writes something whose last step is not the function escape, or "".
func unescaped(t *template.Template, escape string) string {
	for _, d := range t.Templates() {
		if d.Tree == nil {
			continue
		}
		if a := unescapedIn(d.Tree.Root, escape); a != "" {
			return a
		}
	}
	return ""
}

func unescapedIn(n parse.Node, escape string) string {
	var lists []*parse.ListNode
	switch n := n.(type) {
	case *parse.ListNode:
		lists = []*parse.ListNode{n}
	case *parse.ActionNode:
		if len(n.Pipe.Decl) > 0 { // {{$x := …}} writes nothing
			return ""
		}
		last := n.Pipe.Cmds[len(n.Pipe.Cmds)-1]
		if id, ok := last.Args[0].(*parse.IdentifierNode); !ok || id.Ident != escape {
			return n.String()
		}
	case *parse.IfNode:
		lists = []*parse.ListNode{n.List, n.ElseList}
	case *parse.RangeNode:
		lists = []*parse.ListNode{n.List, n.ElseList}
	case *parse.WithNode:
		lists = []*parse.ListNode{n.List, n.ElseList}
	}
	for _, l := range lists {
		if l == nil {
			continue
		}
		for _, c := range l.Nodes {
			if a := unescapedIn(c, escape); a != "" {
				return a
			}
		}
	}
	return ""
}

// urlProblem says what is wrong with s as an http(s) URL with a host, or
// "". It never quotes s: a robot's URL holds its key (in the query, the
// path or the userinfo), and this message is printed at start.
func urlProblem(s string) string {
	u, err := url.Parse(s)
	switch {
	case s == "":
		return "required (an http(s) URL)"
	case err != nil:
		return "is not a valid URL (the value is left out of this message: it may hold a key)"
	case u.Scheme != "http" && u.Scheme != "https":
		return "must be an http:// or https:// URL"
	case u.Host == "":
		return "must name a host (http(s)://host/…)"
	}
	return ""
}

// httpURL reports whether s is an absolute http or https URL with a host.
func httpURL(s string) bool { return urlProblem(s) == "" }

// phonePattern reports whether s looks like a phone number: digits, with
// an optional leading +, 5 to 20 of them.
func phonePattern(s string) bool {
	d := strings.TrimPrefix(s, "+")
	if len(d) < 5 || len(d) > 20 {
		return false
	}
	for _, r := range d {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

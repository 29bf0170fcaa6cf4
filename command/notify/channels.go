package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"

	"watchfloor/config"
)

// Headers every HTTP delivery carries: the message's id (the same on every
// attempt, so a receiver drops a resend; an SMS message's is its phone's)
// and, for the generic webhook, its signature.
const (
	HeaderMessage   = "X-Watchfloor-Message"
	HeaderTimestamp = "X-Watchfloor-Timestamp"
	HeaderSignature = "X-Watchfloor-Signature"
)

// ErrRefused marks an SMS gateway's or a webhook's answer that would be
// the same at every attempt: a 4xx status but 408, 425 and 429. Deliver
// marks the message failed at once.
var ErrRefused = errors.New("refused, not retried")

// Request is the HTTP request a channel makes of a message.
type Request struct {
	Method, URL string
	Header      http.Header
	Body        []byte
}

// content is the text group robots show: title, text, link and the id.
func content(m Message) string {
	var b strings.Builder
	b.WriteString(m.Title)
	b.WriteString("\n")
	b.WriteString(m.Text)
	if m.Link != "" {
		b.WriteString("\n" + m.Link)
	}
	b.WriteString("\n消息编号 " + m.ID)
	return b.String()
}

// NewRequest returns the HTTP request that delivers m to ch at now: one per
// message (an SMS message names its one phone, Split). The bodies follow
// each robot's documented JSON.
func NewRequest(ch *config.NotifyChannel, m Message, now time.Time) (Request, error) {
	var body any
	u := ch.URL
	switch ch.Kind {
	case config.ChannelWeCom:
		// WeCom group robot (企业微信群机器人, developer.work.weixin.qq.com
		// document 91770): {"msgtype":"text","text":{"content",
		// "mentioned_mobile_list"}}, answered {"errcode":0}.
		body = map[string]any{"msgtype": "text", "text": map[string]any{"content": content(m), "mentioned_mobile_list": phones(ch, m)}}
	case config.ChannelDingTalk:
		// DingTalk custom robot (钉钉自定义机器人, open.dingtalk.com
		// "custom-robot-access"): {"msgtype":"text","text":{"content"},
		// "at":{"atMobiles"}}; signed with timestamp and sign in the query.
		body = map[string]any{"msgtype": "text", "text": map[string]any{"content": content(m)},
			"at": map[string]any{"atMobiles": phones(ch, m), "isAtAll": false}}
		if ch.Secret != "" {
			ts := strconv.FormatInt(now.UnixMilli(), 10)
			u = withQuery(u, url.Values{"timestamp": {ts}, "sign": {DingTalkSign(ch.Secret, ts)}})
		}
	case config.ChannelFeishu:
		// Feishu custom bot (飞书自定义机器人, open.feishu.cn "bot-v3/
		// add-custom-bot"): {"msg_type":"text","content":{"text"}}, signed
		// with timestamp (seconds) and sign in the body.
		fb := map[string]any{"msg_type": "text", "content": map[string]any{"text": content(m)}}
		if ch.Secret != "" {
			ts := strconv.FormatInt(now.Unix(), 10)
			fb["timestamp"], fb["sign"] = ts, FeishuSign(ch.Secret, ts)
		}
		body = fb
	case config.ChannelWebhook:
		return webhookRequest(ch, m, now)
	case config.ChannelSMS:
		return smsRequest(ch, m)
	default:
		return Request{}, fmt.Errorf("channel %s: kind %q has no HTTP requests", ch.ID, ch.Kind)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return Request{}, fmt.Errorf("encoding the message for %s: %w", ch.ID, err)
	}
	return Request{Method: http.MethodPost, URL: u, Header: jsonHeader(m.ID), Body: b}, nil
}

func jsonHeader(id string) http.Header {
	return http.Header{"Content-Type": {"application/json; charset=utf-8"}, HeaderMessage: {id}}
}

func withQuery(u string, q url.Values) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + q.Encode()
}

// phones are the channel's phones and the message's, once each.
func phones(ch *config.NotifyChannel, m Message) []string {
	out := slices.Clone(ch.Phones)
	for _, p := range m.Phones {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// DingTalkSign is DingTalk's robot signature: base64 of HMAC-SHA256 keyed
// by the secret over "timestamp\nsecret" (URL-encoded when put in the query).
func DingTalkSign(secret, timestamp string) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(timestamp + "\n" + secret))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// FeishuSign is Feishu's custom bot signature: base64 of HMAC-SHA256 keyed
// by "timestamp\nsecret" over nothing.
func FeishuSign(secret, timestamp string) string {
	h := hmac.New(sha256.New, []byte(timestamp+"\n"+secret))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// WebhookSign is the generic webhook's signature: "sha256=" and the hex
// HMAC-SHA256 keyed by the channel's secret over timestamp "." body.
func WebhookSign(secret, timestamp string, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(timestamp + "."))
	h.Write(body)
	return "sha256=" + hex.EncodeToString(h.Sum(nil))
}

// WebhookBody is the generic webhook's JSON body.
type WebhookBody struct {
	ID         string    `json:"id"`
	Event      string    `json:"event"`
	Title      string    `json:"title"`
	Text       string    `json:"text"`
	Link       string    `json:"link,omitempty"`
	IncidentID string    `json:"incident_id,omitempty"`
	At         time.Time `json:"at"`
}

func webhookRequest(ch *config.NotifyChannel, m Message, now time.Time) (Request, error) {
	b, err := json.Marshal(WebhookBody{ID: m.ID, Event: m.Event, Title: m.Title, Text: m.Text, Link: m.Link, IncidentID: m.IncidentID, At: m.At})
	if err != nil {
		return Request{}, fmt.Errorf("encoding the message for %s: %w", ch.ID, err)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	h := jsonHeader(m.ID)
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, WebhookSign(ch.Secret, ts, b))
	return Request{Method: http.MethodPost, URL: ch.URL, Header: h, Body: b}, nil
}

// smsRequest makes the request of an SMS message to its one phone from the
// gateway's template, under the message's own id.
func smsRequest(ch *config.NotifyChannel, m Message) (Request, error) {
	if m.Phone == "" {
		return Request{}, fmt.Errorf("channel %s: message %s names no phone (an SMS message texts one phone: notify.Split)", ch.ID, m.ID)
	}
	method := ch.Method
	if method == "" {
		method = http.MethodPost
	}
	text := m.Title + ":" + m.Text
	h := http.Header{HeaderMessage: {m.ID}}
	for k, v := range ch.Headers {
		h.Set(k, v)
	}
	if method == http.MethodGet {
		// No body: the body template is not used.
		u := withQuery(ch.URL, url.Values{"phone": {m.Phone}, "text": {text}, "id": {m.ID}})
		return Request{Method: method, URL: u, Header: h}, nil
	}
	tpl, err := ch.SMSTemplate()
	if err != nil {
		return Request{}, fmt.Errorf("channel %s: body template: %w", ch.ID, err)
	}
	var b bytes.Buffer
	if err := tpl.Execute(&b, config.SMSData{Phone: m.Phone, Text: text, ID: m.ID}); err != nil {
		return Request{}, fmt.Errorf("channel %s: body template: %w", ch.ID, err)
	}
	return Request{Method: method, URL: ch.URL, Header: h, Body: b.Bytes()}, nil
}

// Transport sends messages over HTTP and SMTP.
type Transport struct {
	Client *http.Client
	Now    func() time.Time
}

// NewTransport returns a transport whose requests end after timeout.
func NewTransport(timeout time.Duration) *Transport {
	// Redirects are not followed: a 307 would carry the body and the SMS
	// gateway's headers (its keys) to wherever the receiver points.
	return &Transport{Client: &http.Client{Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}, Now: time.Now}
}

// Send implements Sender.
func (t *Transport) Send(ctx context.Context, ch *config.NotifyChannel, m Message) error {
	if ch.Kind == config.ChannelEmail {
		return sendMail(ctx, ch, m, t.Client.Timeout)
	}
	r, err := NewRequest(ch, m, t.Now())
	if err != nil {
		return err
	}
	return t.do(ctx, ch, r)
}

// do makes one request; a status other than 2xx, or a robot's answer with
// a non-zero errcode (WeCom, DingTalk) or code (Feishu), is an error. An
// SMS gateway's or a webhook's answer that would not change on a retry
// (refusedForGood) is ErrRefused; a robot's never is: robots answer
// passing refusals (Feishu's frequency limit) with a 4xx too, telling them
// apart only by a code in the body, so their 4xx are retried.
func (t *Transport) do(ctx context.Context, ch *config.NotifyChannel, r Request) error {
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return fmt.Errorf("channel %s: %w", ch.ID, redact(err))
	}
	req.Header = r.Header
	res, err := t.Client.Do(req)
	if err != nil {
		return fmt.Errorf("channel %s: %w", ch.ID, redact(err))
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	robot := ch.Kind == config.ChannelWeCom || ch.Kind == config.ChannelDingTalk || ch.Kind == config.ChannelFeishu
	if !robot && refusedForGood(res.StatusCode) {
		return fmt.Errorf("channel %s: the receiver answered %s: %w", ch.ID, res.Status, ErrRefused)
	}
	refusal := ""
	if robot {
		refusal = robotRefusal(body)
	}
	switch {
	case res.StatusCode/100 != 2 && refusal != "":
		return fmt.Errorf("channel %s: the receiver answered %s: %s", ch.ID, res.Status, refusal)
	case res.StatusCode/100 != 2:
		return fmt.Errorf("channel %s: the receiver answered %s", ch.ID, res.Status)
	case refusal != "":
		return fmt.Errorf("channel %s: the robot refused: %s", ch.ID, refusal)
	}
	return nil
}

// robotRefusal is a robot's answer's non-zero errcode (WeCom, DingTalk) or
// code (Feishu) with its message, or "" (none, or not JSON).
func robotRefusal(body []byte) string {
	var ans struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
		Code    *int   `json:"code"`
		Msg     string `json:"msg"`
	}
	switch {
	case json.Unmarshal(body, &ans) != nil:
		return ""
	case ans.ErrCode != nil && *ans.ErrCode != 0:
		return fmt.Sprintf("%d %s", *ans.ErrCode, ans.ErrMsg)
	case ans.Code != nil && *ans.Code != 0:
		return fmt.Sprintf("%d %s", *ans.Code, ans.Msg)
	}
	return ""
}

// refusedForGood reports whether a status refuses the request itself (a
// number the gateway rejects, a wrong key or path): a 4xx but 408 Request
// Timeout, 425 Too Early and 429 Too Many Requests, which pass.
func refusedForGood(status int) bool {
	return status/100 == 4 && status != http.StatusRequestTimeout && status != http.StatusTooEarly && status != http.StatusTooManyRequests
}

// redact drops the URL from a client error: robots' URLs hold their keys,
// and the cause is shown on the admin page.
func redact(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// sendMail sends m by SMTP, with the message id as its Message-ID.
func sendMail(ctx context.Context, ch *config.NotifyChannel, m Message, timeout time.Duration) error {
	msg := mail.NewMsg()
	if err := msg.From(ch.From); err != nil {
		return fmt.Errorf("channel %s: from: %w", ch.ID, err)
	}
	if err := msg.To(ch.To...); err != nil {
		return fmt.Errorf("channel %s: to: %w", ch.ID, err)
	}
	msg.Subject(m.Title)
	msg.SetMessageIDWithValue(mailID(m.ID))
	msg.SetGenHeader(HeaderMessage, m.ID)
	msg.SetDate()
	msg.SetBodyString(mail.TypeTextPlain, content(m))
	opts := []mail.Option{mail.WithPort(ch.Port), mail.WithTimeout(timeout)}
	switch ch.TLS {
	case "tls":
		opts = append(opts, mail.WithSSL())
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if ch.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(ch.Username), mail.WithPassword(ch.Password))
	}
	c, err := mail.NewClient(ch.Host, opts...)
	if err != nil {
		return fmt.Errorf("channel %s: %w", ch.ID, err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("channel %s: %w", ch.ID, err)
	}
	return nil
}

// mailID makes a Message-ID of a message id (no angle brackets or spaces).
func mailID(id string) string {
	r := strings.NewReplacer("<", "", ">", "", " ", "", "@", ".")
	return r.Replace(id) + "@watchfloor"
}

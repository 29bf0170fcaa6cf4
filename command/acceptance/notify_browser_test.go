package acceptance_test

import (
	"strconv"
	"testing"
	"time"

	"watchfloor/config"
)

// The administration page's 通知 tab: an administrator sees the channels
// and a message failed for good with its cause, retries it by hand once the
// receiver is back and sees it sent; an SMS gateway's test messages show
// each its number, masked; an operator has no such tab.
func TestAdminNotifyTab(t *testing.T) {
	rc := newReceivers(t)
	rc.down.Store(true)
	h := newHarness(t, rc.channels, func(c *config.Config) {
		c.Notifications.MaxAttempts = 1
		c.Notifications.Channels = append(c.Notifications.Channels, config.NotifyChannel{ID: "sms", Kind: "sms", URL: rc.http.URL + "/sms",
			Phones: []string{"13800000001", "13900000002"}, Headers: map[string]string{"Content-Type": "application/json"},
			Body: `{"phone":{{json .Phone}},"text":{{json .Text}},"id":{{json .ID}}}`})
		c.Notifications.Rules = []config.NotifyRule{{Event: "incident.serious", Channels: []string{"wecom"}}}
	})
	inc := h.create(dongmen("商户聚集", 150))
	msgID := "incident.serious:" + inc["id"].(string) + ":II@wecom"
	h.awaitOutbox("the message failed", 10*time.Second, func(es []outboxEntry) bool { return len(es) == 1 && es[0].State == "failed" })

	b := newBrowser(t, 1280, 800)
	b.login(h.base+"/admin.html", "admin")
	b.poll(10*time.Second, `!document.querySelector('#app').hidden && !document.querySelector('#tab-btn-notify').hidden`)
	b.run(5*time.Second, click(`.admin-tab[data-tab="notify"]`))
	row := `document.querySelector('table.notify-outbox tr[data-id=` + strconv.Quote(msgID) + `]')`
	b.poll(10*time.Second, `!document.querySelector('#tab-notify').hidden && `+row+` !== null && `+
		row+`.querySelector('.notify-state').textContent === '失败' && `+row+`.querySelector('.notify-error').textContent.includes('500') && `+
		`document.querySelector('label[for="notify-state"]').textContent.trim() !== '' && `+
		`document.querySelector('button.notify-test[data-channel="mail"]') !== null`)
	rc.down.Store(false)
	b.run(5*time.Second, click(`button.notify-retry`))
	// The retry is queued at once; the refresh shows it sent once delivered.
	b.poll(10*time.Second, `(document.querySelector('#notify-refresh').click(), `+row+` !== null && `+row+`.querySelector('.notify-state').textContent === '已发送')`)
	rc.mu.Lock()
	if rc.got["wecom"][msgID] != 1 {
		t.Errorf("wecom got %v", rc.got["wecom"])
	}
	rc.mu.Unlock()
	b.poll(5*time.Second, `document.querySelector('#notify-status').textContent.includes('已重新排队')`)
	// The SMS gateway's test: one message per number, each row showing its
	// number masked (the ids name it by its place), never in full.
	b.run(5*time.Second, click(`button.notify-test[data-channel="sms"]`))
	phones := `[...document.querySelectorAll('table.notify-outbox span.notify-phone')].map((e) => e.textContent).sort().join(',')`
	b.poll(10*time.Second, `(document.querySelector('#notify-refresh').click(), `+phones+` === '号码 138****0001,号码 139****0002') && `+
		`!document.querySelector('#tab-notify').textContent.includes('13800000001') && !document.querySelector('#tab-notify').textContent.includes('13900000002')`)
	// The English switch relabels the tab and the table.
	b.run(5*time.Second, click("#lang-toggle"))
	b.poll(5*time.Second, `document.querySelector('#tab-btn-notify').textContent === 'Notifications' && `+
		row+`.querySelector('.notify-state').textContent === 'Sent' && document.querySelector('label[for="notify-state"]').textContent === 'Filter by state' && `+
		phones+` === 'to 138****0001,to 139****0002'`)
	b.run(5*time.Second, click("#lang-toggle"))
	b.run(5*time.Second, click("#logout"))
	b.poll(5*time.Second, `!document.querySelector('#login').hidden`)

	b.login(h.base+"/admin.html", "operator")
	b.poll(10*time.Second, `!document.querySelector('#app').hidden && document.querySelector('#tab-btn-notify').hidden && document.querySelector('#tab-notify').hidden`)
	b.clean()
}

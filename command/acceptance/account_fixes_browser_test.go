package acceptance_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestOneTimePasswordGoneAfterEsc: the one-time password dialog closed
// with Esc (not its button) leaves no password in the page.
func TestOneTimePasswordGoneAfterEsc(t *testing.T) {
	h := newHarness(t)
	admin := newBrowser(t, 1280, 800)
	admin.login(h.base+"/admin.html", "admin")
	reset := `#acc-table tr[data-username="viewer"] button[data-action="reset"]`
	admin.poll(10*time.Second, `!document.querySelector('#app').hidden && !!document.querySelector('`+reset+`')`)
	admin.run(5*time.Second, click(reset))
	admin.poll(5*time.Second, `document.querySelector('`+reset+`').classList.contains('acc-armed')`)
	admin.run(5*time.Second, click(reset))
	admin.poll(5*time.Second, `document.querySelector('#acc-otp').open && document.querySelector('#acc-otp-value').textContent.length >= 10`)
	admin.run(5*time.Second, chromedp.KeyEvent(kb.Escape))
	admin.poll(5*time.Second, `!document.querySelector('#acc-otp').open && document.querySelector('#acc-otp-value').textContent === ''`)
	admin.clean()
}

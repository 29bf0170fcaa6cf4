package acceptance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// An administrator frees a configured unit (deleting its never-used demo
// account on the accounts tab) and creates a responder account for it;
// the responder signs in on the phone page with the one-time password, is
// made to change it, and sees its page; the administrator disables the
// account and the phone shows the sign-in form within 1 s.
func TestAdminCreatesResponderAccount(t *testing.T) {
	h := newHarness(t)
	admin := newBrowser(t, 1280, 800)
	admin.login(h.base+"/admin.html", "admin")
	admin.poll(10*time.Second, `!document.querySelector('#app').hidden && !!document.querySelector('#acc-table tr[data-username="car-02"]') && document.querySelectorAll('#acc-unit option').length > 10`)

	// car-02's demo account never signed in: deleted after a confirming click.
	del := `#acc-table tr[data-username="car-02"] button[data-action="delete"]`
	admin.run(5*time.Second, click(del))
	admin.poll(5*time.Second, `document.querySelector('`+del+`').classList.contains('acc-armed')`)
	admin.run(5*time.Second, click(del))
	admin.poll(5*time.Second, `!document.querySelector('#acc-table tr[data-username="car-02"]')`)

	otp := admin.createResponder("zhang-san", "张三", "car-02", "13800138000")
	admin.poll(5*time.Second, `!document.querySelector('#acc-otp').open && !!document.querySelector('#acc-table tr[data-username="zhang-san"]')`)
	var row string
	admin.run(5*time.Second, chromedp.Evaluate(`document.querySelector('#acc-table tr[data-username="zhang-san"]').textContent`, &row))
	if !strings.Contains(row, "car-02") || !strings.Contains(row, "13800138000") || !strings.Contains(row, "待修改密码") {
		t.Errorf("the new account's row: %q", row)
	}

	phone := newBrowser(t, 400, 800)
	phone.loginWith(h.base+"/responder.html", "zhang-san", otp)
	phone.poll(5*time.Second, `!!document.querySelector('#password-form') && document.querySelector('#login-form').hidden && document.querySelector('#app').hidden`)
	// A new password the policy refuses first, then one it takes.
	phone.run(5*time.Second,
		typeInto("#new-password", "password12"),
		typeInto("#new-password-again", "password12"),
		click("#password-submit"),
	)
	phone.poll(5*time.Second, `document.querySelector('#password-error').textContent.includes('常见密码')`)
	phone.run(5*time.Second,
		chromedp.Evaluate(`for (const id of ['new-password', 'new-password-again']) document.getElementById(id).value = ''`, nil),
		typeInto("#new-password", "Car02-on-duty"),
		typeInto("#new-password-again", "Car02-on-duty"),
		click("#password-submit"),
	)
	phone.poll(10*time.Second, `!document.querySelector('#app').hidden && document.querySelector('#login').hidden && !document.querySelector('#password-form')`)
	if code, _ := h.login("zhang-san", "Car02-on-duty"); code != 201 {
		t.Fatalf("the changed password: %d", code)
	}
	// The phone's socket is up before the account is disabled.
	phone.poll(10*time.Second, `document.querySelector('#link-state').classList.contains('up')`)

	dis := `#acc-table tr[data-username="zhang-san"] button[data-action="disable"]`
	admin.run(5*time.Second, click(dis))
	phone.poll(time.Second, `!document.querySelector('#login').hidden && document.querySelector('#app').hidden`)
	admin.poll(5*time.Second, `document.querySelector('#acc-table tr[data-username="zhang-san"] .acc-state').textContent === '已停用'`)
	admin.clean()
	phone.clean()
}

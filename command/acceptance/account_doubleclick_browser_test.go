package acceptance_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// doubleClick double-clicks the first element matching sel as a mouse
// does: a press and release with click count 1, then another with click
// count 2 at the same spot, the page reacting to the first in between
// (chromedp.DoubleClick sends only the second, so the page sees one click).
func doubleClick(sel string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var at struct{ X, Y float64 }
		expr := fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.scrollIntoView({block: "center"}); const r = e.getBoundingClientRect(); return {X: r.x + r.width / 2, Y: r.y + r.height / 2} })()`, sel)
		if err := chromedp.Evaluate(expr, &at).Do(ctx); err != nil {
			return err
		}
		if err := chromedp.MouseClickXY(at.X, at.Y).Do(ctx); err != nil {
			return err
		}
		return chromedp.MouseClickXY(at.X, at.Y, chromedp.ClickCount(2)).Do(ctx)
	})
}

// TestAccountDoubleClickDoesNotConfirm: a double-click on an account's
// 重置密码 or 删除 only arms it (the confirm button is drawn under the
// second click): no one-time password is shown, the account's session
// still works, and the never-used account is not deleted.
func TestAccountDoubleClickDoesNotConfirm(t *testing.T) {
	h := newHarness(t)
	viewer := h.token("viewer")
	admin := newBrowser(t, 1280, 800)
	admin.login(h.base+"/admin.html", "admin")
	reset := `#acc-table tr[data-username="viewer"] button[data-action="reset"]`
	del := `#acc-table tr[data-username="car-02"] button[data-action="delete"]`
	admin.poll(10*time.Second, `!document.querySelector('#app').hidden && !!document.querySelector('`+reset+`') && !!document.querySelector('`+del+`')`)

	admin.run(5*time.Second, doubleClick(reset))
	admin.poll(5*time.Second, `document.querySelector('`+reset+`').classList.contains('acc-armed')`)
	time.Sleep(time.Second) // what a reset would have done by now
	var open bool
	admin.run(5*time.Second, chromedp.Evaluate(`document.querySelector('#acc-otp').open`, &open))
	if open {
		t.Fatal("a double-click on reset showed a one-time password")
	}
	if res, b := h.do("GET", "/api/v1/sessions/me", viewer, nil); res.StatusCode != 200 {
		t.Fatalf("the viewer's session after a double-click on reset: %d %s", res.StatusCode, b)
	}

	admin.run(5*time.Second, doubleClick(del))
	admin.poll(5*time.Second, `document.querySelector('`+del+`') && document.querySelector('`+del+`').classList.contains('acc-armed')`)
	time.Sleep(time.Second)
	if res, b := h.do("GET", "/api/v1/accounts/car-02", h.token("admin"), nil); res.StatusCode != 200 {
		t.Fatalf("car-02 after a double-click on delete: %d %s", res.StatusCode, b)
	}
	// Armed, then a click of its own, still confirms.
	admin.run(5*time.Second, click(reset))
	admin.poll(5*time.Second, `document.querySelector('`+reset+`').classList.contains('acc-armed')`)
	admin.run(5*time.Second, click(reset))
	admin.poll(5*time.Second, `document.querySelector('#acc-otp').open`)
	admin.clean()
}

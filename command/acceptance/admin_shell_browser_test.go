package acceptance_test

import (
	"testing"
	"time"
)

// The administration page's shell: an administrator sees every tab and
// moves between them; an operator sees only duty and handover; a viewer
// is refused at sign-in with the page's reason.
func TestAdminShellTabsByRole(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1280, 800)
	b.login(h.base+"/admin.html", "admin")
	b.poll(10*time.Second, `!document.querySelector('#app').hidden && !document.querySelector('#tab-btn-units').hidden && !document.querySelector('#tab-btn-accounts').hidden`)
	b.run(5*time.Second, click(`.admin-tab[data-tab="units"]`))
	b.poll(5*time.Second, `!document.querySelector('#tab-units').hidden && document.querySelector('#tab-accounts').hidden && document.querySelector('#tab-btn-units').getAttribute('aria-selected') === 'true'`)
	b.run(5*time.Second, click("#logout"))
	b.poll(5*time.Second, `!document.querySelector('#login').hidden`)

	b.login(h.base+"/admin.html", "operator")
	b.poll(10*time.Second, `!document.querySelector('#app').hidden && document.querySelector('#tab-btn-accounts').hidden && document.querySelector('#tab-btn-units').hidden && !document.querySelector('#tab-duty').hidden`)
	b.run(5*time.Second, click("#logout"))
	b.poll(5*time.Second, `!document.querySelector('#login').hidden`)

	b.login(h.base+"/admin.html", "viewer")
	b.poll(10*time.Second, `document.querySelector('#app').hidden && document.querySelector('#login-error').textContent.trim() !== ''`)
	b.clean()
}

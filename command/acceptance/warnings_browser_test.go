package acceptance_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// tab opens another page in the same browser (its own session scope per
// page), recording its problems like the first.
func (b *browser) tab(name string, width, height int) *browser {
	b.t.Helper()
	return openPage(b.t, b.id, width, height, "failure-"+name)
}

// waitFor waits until the expression is true, polling on a timer: a tab in
// the background gets no animation frames, which chromedp.Poll waits on by
// default.
func (b *browser) waitFor(d time.Duration, expr string) {
	b.t.Helper()
	d = max(d, minStep)
	b.run(d+time.Second, chromedp.Poll(expr, nil, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(d)))
}

// textOf is the text of the first element sel matches ("" if none).
func (b *browser) textOf(sel string) string {
	b.t.Helper()
	return b.text(fmt.Sprintf(`document.querySelector(%q)?.textContent ?? ''`, sel))
}

// text evaluates an expression to a string in the page.
func (b *browser) text(expr string) string {
	b.t.Helper()
	var s string
	b.run(3*time.Second, chromedp.Evaluate(expr, &s))
	return s
}

// The done-when, through the pages alone: an operator on the
// console issues a red rainstorm warning for 南湖街道 (after a refused try
// whose reasons show beside their fields); the wall, open all along,
// shades that street red and lists it in its band within 2 s; a
// motorbike's phone shows it on stand-by; the leader page shows the
// flood-typhoon plan on stand-by and the leader starts it from there with
// two of its three groups; the plan is active with exactly those groups,
// a grid officer of the chosen transfer group gets its task and the
// motorbike of the unchosen drainage group gets none. Lifting it on the
// console removes the shading and the band and both phones' stand-by
// cards. The English switch relabels the band once. The wall runs in UTC
// and still says the end in the configured zone (Asia/Shanghai); the phone
// vibrates when put on stand-by.
func TestWarningIssuedOnConsoleShadesWallAndPlanStartsByHand(t *testing.T) {
	h := newHarness(t)
	wall := newBrowser(t, 1920, 1080)
	wall.run(3*time.Second, emulation.SetTimezoneOverride("UTC"))
	wall.login(h.base+"/", "viewer")
	wall.run(15*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	wall.waitFor(15*time.Second, `document.querySelector('#map').dataset.base === 'loaded'`)

	phone := wall.tab("phone", 390, 844)
	phone.login(h.base+"/responder.html", "moto-01")
	phone.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	// A stand-in for the vibrator, counting its calls (signing in was the gesture it needs).
	phone.text(`(() => { window.vibrated = []; navigator.vibrate = (p) => { window.vibrated.push(p); return true; }; return ''; })()`)

	con := wall.tab("console", 1600, 1000)
	con.login(h.base+"/console.html", "operator")
	con.run(10*time.Second, chromedp.WaitVisible("#app", chromedp.ByQuery), chromedp.WaitVisible("#link-state.up", chromedp.ByQuery),
		click("#tab-warnings"),
		chromedp.WaitVisible("#warn-form", chromedp.ByQuery),
		chromedp.WaitVisible(`#warn-streets input[value="440303002"]`, chromedp.ByQuery))
	// Every control of the form has a visible label.
	var unlabelled []string
	con.run(3*time.Second, chromedp.Evaluate(`[...document.querySelectorAll('#warn-form input, #warn-form select, #warn-form textarea')]
		.filter((n) => n.offsetParent !== null && !(n.labels && n.labels[0] && n.labels[0].textContent.trim())).map((n) => n.id || n.name)`, &unlabelled))
	if len(unlabelled) > 0 {
		t.Errorf("warning form controls without a label: %v", unlabelled)
	}

	// Refused: no title, no street. Each reason beside its field, nothing issued.
	con.run(5*time.Second, setValue("#warn-type", "rainstorm"), setValue("#warn-colour", "red"),
		click("#warn-issue"))
	con.waitFor(5*time.Second, `document.querySelector('#warn-status').dataset.result === 'failed'`)
	for _, f := range []string{"title", "area.codes"} {
		msg := con.text(fmt.Sprintf(`document.querySelector('#warn-form .fld.invalid[data-field=%q] .field-error')?.textContent ?? ''`, f))
		if msg == "" {
			t.Errorf("no reason beside %s: %s", f, con.text(`document.querySelector('#warn-form').innerText`))
		}
	}
	if res, body := h.do("GET", "/api/v1/warnings?status=all", h.token("operator"), nil); res.StatusCode != 200 || !strings.Contains(string(body), `"warnings":[]`) {
		t.Fatalf("after the refused issue the server lists %d %s", res.StatusCode, body)
	}

	con.run(5*time.Second,
		typeInto("#warn-title", "南湖街道暴雨红色预警"),
		typeInto("#warn-text", "预计未来3小时南湖街道降雨量将达100毫米以上，请做好防御。"),
		typeInto("#warn-source", "深圳市气象台"),
		click(`#warn-streets input[value="440303002"]`),
		click("#warn-issue"))
	con.waitFor(5*time.Second, `document.querySelector('#warn-status').dataset.result === 'issued'`)
	id := con.text(`document.querySelector('#warn-status').dataset.id`)
	if !strings.HasPrefix(id, "W-") {
		t.Fatalf("issued warning id %q", id)
	}
	issued := time.Now()

	// The wall: the band and the street shaded red, within 2 s.
	band := fmt.Sprintf(`#warn-list li.warn-item[data-warning-id=%q][data-colour="red"]`, id)
	shade := fmt.Sprintf(`#map path.warn-area[data-warning-id=%q]`, id)
	wall.waitFor(2*time.Second-time.Since(issued), fmt.Sprintf(`!!document.querySelector(%q) && !!document.querySelector(%q)`, band, shade))
	var shapes []string
	wall.run(3*time.Second, chromedp.Evaluate(fmt.Sprintf(`[...document.querySelectorAll(%q)].map((p) => [p.getAttribute('fill'), p.getAttribute('fill-opacity'), p.getAttribute('stroke'), p.getAttribute('stroke-dasharray') ? 'dashed' : 'solid'].join(' '))`, shade), &shapes))
	if len(shapes) != 1 || shapes[0] != "#e53935 0.18 #e53935 dashed" {
		t.Errorf("the street's shading %v, want one red dashed shape", shapes)
	}
	if got := wall.textOf(band); !strings.Contains(got, "红色") || !strings.Contains(got, "暴雨") || !strings.Contains(got, "南湖街道") || !strings.Contains(got, "至 ") {
		t.Errorf("the band says %q", got)
	}
	wall.screenshot("warning")
	// The wall's clock is UTC; the band says the end in Asia/Shanghai.
	res, body := h.do("GET", "/api/v1/warnings/"+id, h.token("operator"), nil)
	var issuedW struct {
		EndsAt time.Time `json:"ends_at"`
	}
	if res.StatusCode != 200 {
		t.Fatalf("GET warning: %d %s", res.StatusCode, body)
	}
	mustJSON(t, body, &issuedW)
	zone, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	until := issuedW.EndsAt.In(zone).Format("15:04")
	if got := wall.textOf(band + " .warn-until"); !strings.HasPrefix(got, "至 ") || !strings.HasSuffix(got, " "+until) {
		t.Errorf("the band in a UTC browser says %q, want the end at %s Asia/Shanghai", got, until)
	}

	// The phone of a unit in a stand-by group is told at once.
	phone.waitFor(5*time.Second, `!!document.querySelector('#standby-card:not([hidden]) li.standby-item[data-plan-id="flood-typhoon"][data-group-id="drainage"]') && !!document.querySelector('#resp-warnings:not([hidden]) li.warn-item')`)
	phone.waitFor(3*time.Second, `window.vibrated.length > 0`)
	// The event carries a summary; the phone fetches the whole warning after it (its text in the banner's title).
	phone.waitFor(5*time.Second, fmt.Sprintf(`(document.querySelector('#resp-warn-list li.warn-item[data-warning-id=%q]')?.title ?? '').includes('预计未来3小时')`, id))

	// The leader page: the plan on stand-by, started from there with two groups.
	lead := wall.tab("leader", 1600, 1000)
	lead.login(h.base+"/leader.html", "leader")
	standby := fmt.Sprintf(`#warnings-panel article.warn-card[data-warning-id=%q] li.warn-standby[data-plan-id="flood-typhoon"]`, id)
	// An extend form opened on the card and typed into stays as typed when the plan starts.
	extend := fmt.Sprintf(`#warnings-panel article.warn-card[data-warning-id=%q] form.warn-act[data-action="extend"]`, id)
	lead.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery), chromedp.WaitVisible(standby+` button.warn-start`, chromedp.ByQuery),
		click(fmt.Sprintf(`#warnings-panel article.warn-card[data-warning-id=%q] button[data-action="extend"]`, id)),
		chromedp.WaitVisible(extend+` textarea[name="reason"]`, chromedp.ByQuery),
		typeInto(extend+` textarea[name="reason"]`, "雨势持续"),
		click(standby+` button.warn-start`),
		chromedp.WaitVisible("#start-dialog #start-warning", chromedp.ByQuery))
	lead.waitFor(5*time.Second, fmt.Sprintf(`document.querySelector('#start-warning').value === %q && document.querySelector('#start-plan').value === 'flood-typhoon' && document.querySelector('#start-level').value === 'I' && document.querySelectorAll('#start-groups input').length === 3`, id))
	var checked []string
	lead.run(3*time.Second, chromedp.Evaluate(`[...document.querySelectorAll('#start-groups input:checked')].map((x) => x.value)`, &checked))
	if strings.Join(checked, ",") != "transfer,rescue,drainage" {
		t.Fatalf("groups ticked by default: %v", checked)
	}
	lead.run(5*time.Second,
		click("#start-group-drainage"),
		typeInto("#start-reason", "暴雨红色预警，提前转移低洼地带群众"),
		click("#start-send"),
		chromedp.WaitNotVisible("#start-dialog", chromedp.ByQuery))
	card := fmt.Sprintf(`#active-list article.act-card[data-plan-id="flood-typhoon"][data-warning-id=%q]`, id)
	lead.run(5*time.Second, chromedp.WaitVisible(card+` li.act-group[data-group-id="transfer"]`, chromedp.ByQuery))
	var groups []string
	lead.run(3*time.Second, chromedp.Evaluate(fmt.Sprintf(`[...document.querySelectorAll(%q)].map((x) => x.dataset.groupId)`, card+" li.act-group"), &groups))
	if strings.Join(groups, ",") != "transfer,rescue" {
		t.Errorf("the active plan's groups %v, want transfer,rescue", groups)
	}
	if got := lead.textOf(card + ` .act-warning`); !strings.Contains(got, "南湖街道暴雨红色预警") {
		t.Errorf("the active plan names its warning as %q", got)
	}
	lead.waitFor(5*time.Second, fmt.Sprintf(`!!document.querySelector(%q)`, standby+`[data-started="1"]`))
	lead.screenshot("leader")
	if got := lead.text(fmt.Sprintf(`document.querySelector(%q)?.value ?? 'no form'`, extend+` textarea[name="reason"]`)); got != "雨势持续" {
		t.Errorf("the open extend form after the plan started holds %q", got)
	}
	lead.run(3*time.Second, click(extend+` .warn-act-cancel`))
	// The issue form is folded, closed, so the approvals keep their room.
	if got := lead.text(`String(document.querySelector('#warnings-panel details#warn-fold')?.open)`); got != "false" {
		t.Errorf("the leader's issue form folded and closed: %s", got)
	}
	// Leaders issue and change warnings there too (the console's panel).
	if got := lead.text(`String(!!document.querySelector('#warnings-panel #warn-form') && !document.querySelector('#warnings-panel .warn-form-col').hidden && !!document.querySelector('#warnings-panel button[data-action="lift"]'))`); got != "true" {
		t.Errorf("the leader page offers no issue form or lift: %s", got)
	}
	// The wall's banner of the plan names the warning it was started for.
	wall.waitFor(5*time.Second, fmt.Sprintf(`(document.querySelector('#plan-banners .plan-banner[data-plan-id="flood-typhoon"] .plan-incident')?.textContent ?? '') === %q`, "预警：南湖街道暴雨红色预警"))

	// The unchosen drainage group's motorbike gets no task; the transfer
	// group's grid officer does.
	grid := newBrowser(t, 390, 844) // a browser of its own: the phones of one browser share their sign-in
	grid.login(h.base+"/responder.html", "grid-09")
	grid.run(10*time.Second, chromedp.WaitVisible(`#tasks li.task[data-group-id="transfer"]`, chromedp.ByQuery))
	if got := h.snapshotTasks("moto-01"); len(got) != 0 {
		t.Errorf("moto-01 of the unchosen drainage group has tasks %+v", got)
	}
	grid.waitFor(5*time.Second, `!!document.querySelector('#standby-card:not([hidden]) li.standby-item[data-group-id="transfer"]')`)
	grid.screenshot("phone")

	// The English switch, once: the band in English.
	wall.run(5*time.Second, click("#lang-toggle"))
	if got := wall.textOf(band); !strings.Contains(got, "Red") || !strings.Contains(got, "Rainstorm") || !strings.Contains(got, "Nanhu Subdistrict") || !strings.Contains(got, "until") {
		t.Errorf("the band in English says %q", got)
	}
	if got := wall.textOf("#warn-band-heading"); got != "Warnings" {
		t.Errorf("the band's heading in English %q", got)
	}
	wall.run(5*time.Second, click("#lang-toggle"))

	// Lifted on the console: the wall's shading and band go.
	lift := fmt.Sprintf(`#warn-cards article.warn-card[data-warning-id=%q]`, id)
	con.run(5*time.Second, click(lift+` button[data-action="lift"]`),
		chromedp.WaitVisible(lift+` form.warn-act[data-action="lift"] textarea[name="reason"]`, chromedp.ByQuery),
		typeInto(lift+` form.warn-act textarea[name="reason"]`, "降雨减弱，解除预警"),
		click(lift+` form.warn-act .warn-act-send`))
	con.waitFor(5*time.Second, fmt.Sprintf(`document.querySelector(%q)?.dataset.status === 'lifted'`, lift))
	lifted := time.Now()
	wall.waitFor(2*time.Second-time.Since(lifted), fmt.Sprintf(`!document.querySelector(%q) && !document.querySelector(%q) && document.querySelector('#warn-band').hidden`, band, shade))
	wall.screenshot("lifted")
	// Both phones' stand-by ends.
	for _, p := range []*browser{phone, grid} {
		p.waitFor(5*time.Second, `document.querySelector('#standby-card').hidden && !document.querySelector('#standby-list li')`)
	}

	for _, b := range []*browser{wall, phone, grid, con, lead} {
		b.clean()
	}
}

// On the console an operator draws a polygon by clicking its corners (one
// undone), issues a yellow large-event warning for it, which puts the
// crowd plan on stand-by; raises it to orange; a lower without a reason is
// refused with the reason beside its field, then lowers it to blue, which
// ends the stand-by (a motorbike of the crowd plan's diversion group sees
// its stand-by card come and go); extends it by a day. An incident recorded inside the
// polygon shows the warning in its detail on the incident desk.
func TestWarningPolygonDrawnRaisedLoweredExtendedOnConsole(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1600, 1000)
	phone := b.tab("phone", 390, 844)
	phone.login(h.base+"/responder.html", "moto-01")
	phone.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	b.openConsole(h.base, "operator")
	b.run(10*time.Second, click("#tab-warnings"), chromedp.WaitVisible("#warn-form", chromedp.ByQuery),
		click("#warn-kind-polygon"), chromedp.WaitVisible("#warn-poly-map .leaflet-pane", chromedp.ByQuery))
	var box []float64
	b.run(3*time.Second, chromedp.Evaluate(`(() => { const r = document.querySelector('#warn-poly-map').getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`, &box))
	for _, p := range [][2]float64{{0.35, 0.35}, {0.65, 0.35}, {0.65, 0.65}, {0.35, 0.65}, {0.5, 0.9}} {
		b.run(3*time.Second, chromedp.MouseClickXY(box[0]+p[0]*box[2], box[1]+p[1]*box[3]))
	}
	b.waitFor(3*time.Second, `document.querySelector('#warn-poly-map').dataset.points === '5'`)
	b.run(3*time.Second, click("#warn-poly-undo"))
	b.waitFor(3*time.Second, `document.querySelector('#warn-poly-map').dataset.points === '4'`)
	b.run(5*time.Second, pick("#warn-type", "large_event"), pick("#warn-colour", "yellow"),
		typeInto("#warn-title", "国际马拉松赛大型活动预警"),
		click("#warn-issue"))
	b.waitFor(5*time.Second, `document.querySelector('#warn-status').dataset.result === 'issued'`)
	id := b.text(`document.querySelector('#warn-status').dataset.id`)
	card := fmt.Sprintf(`#warn-cards article.warn-card[data-warning-id=%q]`, id)
	b.waitFor(5*time.Second, fmt.Sprintf(`!!document.querySelector(%q)`, card+` li.warn-standby[data-plan-id="crowd"]`))
	onCall := fmt.Sprintf(`#standby-card:not([hidden]) li.standby-item[data-warning-id=%q][data-plan-id="crowd"][data-group-id="diversion"]`, id)
	phone.waitFor(5*time.Second, fmt.Sprintf(`!!document.querySelector(%q)`, onCall))

	// act opens an action's form on the card, fills it and sends it.
	act := func(action, colour, reason string) {
		t.Helper()
		f := card + fmt.Sprintf(` form.warn-act[data-action=%q]`, action)
		b.run(5*time.Second, click(card+fmt.Sprintf(` button[data-action=%q]`, action)), chromedp.WaitVisible(f, chromedp.ByQuery))
		if colour != "" {
			b.run(3*time.Second, pick(f+` select[name="colour"]`, colour))
		}
		if reason != "" {
			b.run(3*time.Second, typeInto(f+` textarea[name="reason"]`, reason))
		}
		b.run(3*time.Second, click(f+` .warn-act-send`))
	}
	act("raise", "orange", "参赛人数超出预期")
	b.waitFor(5*time.Second, fmt.Sprintf(`document.querySelector(%q)?.dataset.colour === 'orange' && document.querySelector(%q)?.dataset.version === '2'`, card, card))

	act("lower", "blue", "")
	reasonBox := card + ` form.warn-act[data-action="lower"] .fld.invalid[data-field="reason"] .field-error`
	b.waitFor(5*time.Second, fmt.Sprintf(`(document.querySelector(%q)?.textContent ?? '') !== ''`, reasonBox))
	f := card + ` form.warn-act[data-action="lower"]`
	b.run(5*time.Second, typeInto(f+` textarea[name="reason"]`, "赛事结束，人员疏散"), click(f+` .warn-act-send`))
	b.waitFor(5*time.Second, fmt.Sprintf(`document.querySelector(%q)?.dataset.colour === 'blue' && !document.querySelector(%q)`, card, card+` li.warn-standby`))
	phone.waitFor(5*time.Second, `document.querySelector('#standby-card').hidden && !document.querySelector('#standby-list li')`)
	if got := phone.textOf(fmt.Sprintf(`#resp-warn-list li.warn-item[data-warning-id=%q]`, id)); !strings.Contains(got, "蓝色") {
		t.Errorf("the phone's banner after the lower says %q", got)
	}

	before := b.text(fmt.Sprintf(`document.querySelector(%q).textContent`, card+` .warn-valid`))
	act("extend", "", "次日仍有活动")
	b.waitFor(5*time.Second, fmt.Sprintf(`document.querySelector(%q)?.dataset.version === '4'`, card))
	if after := b.text(fmt.Sprintf(`document.querySelector(%q).textContent`, card+` .warn-valid`)); after == before {
		t.Errorf("extended validity still %q", after)
	}

	// An incident inside the polygon carries the warning; its detail says so.
	res, body := h.do("GET", "/api/v1/warnings/"+id, h.token("operator"), nil)
	if res.StatusCode != 200 {
		t.Fatalf("GET warning: %d %s", res.StatusCode, body)
	}
	var w struct {
		Area struct{ Polygon [][][2]float64 }
	}
	mustJSON(t, body, &w)
	if len(w.Area.Polygon) != 1 || len(w.Area.Polygon[0]) != 5 {
		t.Fatalf("polygon drawn %v, want 4 corners closed", w.Area.Polygon)
	}
	var lon, lat float64
	for _, p := range w.Area.Polygon[0][:4] {
		lon += p[0] / 4
		lat += p[1] / 4
	}
	inc := h.create(map[string]any{"category": "public_order", "title": "赛道旁人群拥挤", "location": map[string]float64{"lon": lon, "lat": lat}, "people_involved": 3})
	incID := inc["id"].(string)
	b.openOnDesk(incID)
	b.waitFor(5*time.Second, fmt.Sprintf(`!!document.querySelector('#detail-body .incident-warnings [data-warning-id=%q]')`, id))
	b.screenshot("console")
	b.clean()
	phone.clean()
}

// The wall's band never hides warnings silently: with more than it has room
// for, it says "+N" for exactly those below its fold.
func TestWarningBandSaysHowManyItHides(t *testing.T) {
	h := newHarness(t)
	wall := newBrowser(t, 1920, 1080)
	wall.login(h.base+"/", "viewer")
	wall.run(15*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	const n = 12
	ends := time.Now().Add(6 * time.Hour).UTC().Format(time.RFC3339)
	for i := range n {
		body := map[string]any{"type": "rainstorm", "colour": "blue", "title": fmt.Sprintf("全市暴雨蓝色预警第%d号，请市民减少外出并注意防范", i+1),
			"area": map[string]any{"kind": "city"}, "ends_at": ends}
		if res, b := h.do("POST", "/api/v1/warnings", h.token("operator"), body); res.StatusCode != 201 {
			t.Fatalf("issuing warning %d: %d %s", i, res.StatusCode, b)
		}
	}
	wall.waitFor(5*time.Second, fmt.Sprintf(`document.querySelector('#warn-band').dataset.count === '%d'`, n))
	var got struct{ More, Below, Shown int }
	wall.run(3*time.Second, chromedp.Evaluate(`(() => {
		const list = document.querySelector('#warn-list');
		const bottom = list.getBoundingClientRect().bottom;
		const below = [...list.children].filter((li) => li.getBoundingClientRect().bottom > bottom + 1).length;
		const more = document.querySelector('#warn-more');
		return { More: more.hidden ? 0 : Number(more.dataset.count), Below: below, Shown: list.children.length - below };
	})()`, &got))
	if got.Below == 0 || got.More != got.Below || got.Shown == 0 {
		t.Errorf("the band shows %d, hides %d and says +%d", got.Shown, got.Below, got.More)
	}
	if txt := wall.textOf("#warn-more"); txt != fmt.Sprintf("+%d 条", got.Below) {
		t.Errorf("the band's +N says %q", txt)
	}
	wall.screenshot("band-more")
	wall.clean()
}

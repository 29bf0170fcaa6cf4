package acceptance_test

import (
	"strings"
	"testing"
	"time"

	"watchfloor/config"
)

// A case kind added in the configuration is named on the wall with its
// configured name: no page knows the kinds by heart.
func TestWallNamesConfiguredCaseKinds(t *testing.T) {
	h := newHarness(t, func(c *config.Config) {
		c.CaseKinds = append(c.CaseKinds, config.CaseKind{ID: "noise", Name: config.Text{ZH: "噪音扰民", EN: "Noise nuisance"},
			FirstLevel: "grid", Limits: map[string]time.Duration{"accept": 2 * time.Hour, "dispatch": 2 * time.Hour, "handle": 24 * time.Hour, "verify": 24 * time.Hour, "close": 24 * time.Hour}})
	})
	h.createCase(h.token("operator"), map[string]any{"kind": "noise", "title": "夜间施工", "location": map[string]float64{"lon": 114.1118, "lat": 22.547}})
	b := newBrowser(t, 1920, 1080)
	b.login(h.base+"/", "operator")
	b.poll(10*time.Second, `!!document.querySelector('li.case-row[data-kind="noise"]')`)
	var text string
	b.run(2*time.Second, textOf(`li.case-row[data-kind="noise"] .case-row-kind`, &text))
	if !strings.Contains(text, "噪音扰民") {
		t.Errorf("the wall names the configured kind %q, want 噪音扰民", text)
	}
	b.clean()
}

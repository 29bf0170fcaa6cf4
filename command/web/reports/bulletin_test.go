package reports

import (
	"bytes"
	"strings"
	"testing"

	"watchfloor/command/stats"
)

// TestBulletinPage: the embedded page renders its bars largest first,
// escapes every name, and shows "无 None" for an empty chart.
func TestBulletinPage(t *testing.T) {
	ack := 42.4
	b := stats.Bulletin{Date: "2026-11-24",
		Calls:     stats.Calls{Total: 3, BySource: map[string]int64{"phone": 2, "app": 1}, AckP50: &ack},
		Incidents: stats.IncidentCounts{ByCategory: map[string]int64{"<fire>": 1}}}
	var buf bytes.Buffer
	if err := bulletinPage().Execute(&buf, bulletinView(b, map[string]string{"phone": "电话"})); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{
		"<title>每日三通报 2026-11-24</title>",
		`<text x="0" y="15" class="label">电话</text><rect x="170" y="3" height="16" width="380.0" class="bar">`,
		`<g transform="translate(0,22)"><text x="0" y="15" class="label">app</text>`,
		"&lt;fire&gt;",
		"<td>42 s</td>",
		"<td>—</td>",
		`<p class="none">无 None</p>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(page, "<fire>") {
		t.Error("a name is not escaped")
	}
}

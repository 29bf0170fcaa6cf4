package plan_test

import (
	"encoding/json"
	"strings"
	"testing"

	"watchfloor/alerts"
	"watchfloor/command/plan"
)

// TestOldTaskReadsAsBrief: a task stored when tasks carried the whole
// incident reads back with its title, level and drill flag, and is
// written out again as the brief, without the reporter.
func TestOldTaskReadsAsBrief(t *testing.T) {
	old := `{"id":"A-1.g.u1","activation_id":"A-1","group_id":"g","unit_id":"u1","status":"assigned",
		"incident":{"id":"INC-1","category":"mass_incident","title":"东门聚集","description":"人员聚集",
		"location":{"lon":114.1118,"lat":22.547},"reporter":{"name":"张**","phone":"138****5678"},
		"level":"II","level_reasons":[{"code":"people"}],"deadlines":[{"kind":"first"}],"drill":true}}`
	var tk plan.Task
	if err := json.Unmarshal([]byte(old), &tk); err != nil {
		t.Fatal(err)
	}
	if b := tk.Incident; b == nil || b.ID != "INC-1" || b.Title != "东门聚集" || b.Level != alerts.LevelII || !b.Drill || b.Location == nil || b.Location.Lon != 114.1118 {
		t.Fatalf("read back as %+v", tk.Incident)
	}
	out, err := json.Marshal(&tk)
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"reporter", "description", "level_reasons", "deadlines", "138"} {
		if strings.Contains(string(out), gone) {
			t.Errorf("written again with %q: %s", gone, out)
		}
	}
}

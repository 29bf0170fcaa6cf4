package plan

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"watchfloor/alerts"
	"watchfloor/command/incident"
	"watchfloor/command/vocab"
	"watchfloor/config"
)

// fullTask is a task with every field set: a field added to Task and left
// out of the sample fails TestSharedTaskIsWhole until it is set here.
func fullTask() Task {
	at := time.Date(2026, 12, 6, 9, 30, 0, 0, time.UTC)
	acked, done := at.Add(time.Minute), at.Add(time.Hour)
	return Task{ID: "A-20261206-0001.g.car-1", ActivationID: "A-20261206-0001", PlanID: "flood-iv",
		PlanName: config.Text{ZH: "城市内涝Ⅳ级应急预案", EN: "Urban flooding, level IV"}, GroupID: "g",
		GroupName: config.Text{ZH: "现场处置组", EN: "On-site group"},
		Tasks:     []config.Text{{ZH: "控制现场秩序", EN: "Keep order on site"}}, UnitID: "car-1",
		Incident: &incident.Brief{ID: "I-20261206-000001", Category: "urban_flooding", Title: "隧道积水", Level: alerts.LevelIV,
			Location: &vocab.Location{Lon: 117.2, Lat: 39.12}, Address: "解放路", OccurredAt: at},
		WarningID: "W-20261206-0001", Drill: true, AssignedAt: at, Status: TaskDone, AckedAt: &acked, DoneAt: &done, Note: "已处置"}
}

// TestSharedTaskIsWhole: a task stored with its group's part shared reads
// back as the same task: every field of Task is in the part or its own.
func TestSharedTaskIsWhole(t *testing.T) {
	task := fullTask()
	v := reflect.ValueOf(task)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("the sample task leaves %s unset: set it, and put it in taskPart or taskOwn", v.Type().Field(i).Name)
		}
	}
	var s sharedTasks
	sh, err := s.of(&task)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(sh)
	if err != nil {
		t.Fatal(err)
	}
	var back Task
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, task) {
		t.Fatalf("read back\n%+v\nwant\n%+v\n(%s)", back, task, b)
	}
	whole, _ := json.Marshal(task)
	if len(sh.Slim()) > len(whole)/2 {
		t.Fatalf("slim task %d bytes of %d whole", len(sh.Slim()), len(whole))
	}
}

// TestSharedTasksOnePartPerGroup: a delivery's tasks of one group share one
// part, of another group another, and a changed brief makes a new part.
func TestSharedTasksOnePartPerGroup(t *testing.T) {
	var s sharedTasks
	keys := map[string]string{}
	for _, c := range []struct{ unit, group, title string }{
		{"car-1", "g", "隧道积水"}, {"car-2", "g", "隧道积水"}, {"car-3", "h", "隧道积水"}, {"car-4", "g", "隧道积水，两车被困"},
	} {
		task := fullTask()
		task.UnitID, task.GroupID, task.ID = c.unit, c.group, TaskID(task.ActivationID, c.group, c.unit)
		if c.group == "h" {
			task.GroupName = config.Text{ZH: "交通管制组", EN: "Traffic group"}
		}
		brief := *task.Incident
		brief.Title = c.title
		task.Incident = &brief
		sh, err := s.of(&task)
		if err != nil {
			t.Fatal(err)
		}
		if sh.Of != &task {
			t.Fatal("the shared value does not carry its task for the store's indexes")
		}
		keys[c.unit] = sh.Part.Key
	}
	if keys["car-1"] != keys["car-2"] || keys["car-1"] == keys["car-3"] || keys["car-1"] == keys["car-4"] || len(s.enc) != 3 {
		t.Fatalf("parts %v (%d encoded)", keys, len(s.enc))
	}
}

// TestTaskPartSameEveryMember: a task that differs from a part in any one
// of the part's members is not the same, so a member added to taskPart and
// left out of same fails here (tasks would get another group's orders).
func TestTaskPartSameEveryMember(t *testing.T) {
	base := fullTask()
	part := partOf(&base)
	if !part.same(&base) {
		t.Fatal("a task is not the same as its own part")
	}
	copied := base
	brief := *base.Incident
	copied.Incident, copied.Tasks = &brief, append([]config.Text(nil), base.Tasks...)
	if !part.same(&copied) {
		t.Fatal("a task with equal copies of the part's members is not the same")
	}
	none, empty := fullTask(), fullTask()
	none.Tasks, empty.Tasks = nil, []config.Text{}
	if p := partOf(&none); p.same(&empty) {
		t.Fatal("a task with no orders (null) is the same as one with an empty list ([])")
	}
	members := reflect.TypeFor[taskPart]()
	for i := range members.NumField() {
		name := members.Field(i).Name
		task := fullTask()
		field := reflect.ValueOf(&task).Elem().FieldByName(name)
		if !field.IsValid() {
			t.Fatalf("Task has no member %s", name)
		}
		differ(t, field)
		if part.same(&task) {
			t.Errorf("a task whose %s differs is the same as the part", name)
		}
	}
}

// differ changes v (settable) to another value of its type.
func differ(t *testing.T, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "+")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Slice:
		v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
	case reflect.Pointer:
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(v.Elem())
		differ(t, c.Elem())
		v.Set(c)
	case reflect.Struct:
		differ(t, v.Field(0))
	default:
		t.Fatalf("no way to change a %s", v.Type())
	}
}

package duty_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"watchfloor/alerts"
	"watchfloor/command/alarm"
	"watchfloor/command/audit"
	"watchfloor/command/change"
	"watchfloor/command/dispatch"
	"watchfloor/command/duty"
	"watchfloor/command/fault"
	"watchfloor/command/gridcase"
	"watchfloor/command/incident"
	"watchfloor/command/memstore"
	"watchfloor/command/vocab"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// people are the accounts of the tests.
type people map[string]duty.Person

func (p people) Person(_ context.Context, u string) (duty.Person, bool, error) {
	v, ok := p[u]
	return v, ok, nil
}

type units map[string]string

func (u units) Callsign(id string) (string, bool) { v, ok := u[id]; return v, ok }

var accounts = people{
	"lead": {Username: "lead", Name: "王带班", Role: vocab.Leader, Phone: "13800001111"},
	"dep":  {Username: "dep", Name: "李副", Role: vocab.Deputy},
	"op1":  {Username: "op1", Name: "张值班", Role: vocab.Operator},
	"op2":  {Username: "op2", Name: "赵值班", Role: vocab.Operator},
	"r1":   {Username: "r1", Name: "队员", Role: vocab.Responder},
	"gone": {Username: "gone", Name: "停用", Role: vocab.Leader, Disabled: true},
}

type fixture struct {
	svc *duty.Service
	mem *memstore.Store
	now time.Time
}

// newFixture is a duty service on a memory store whose clock reads *now.
func newFixture(t *testing.T, now time.Time) *fixture {
	t.Helper()
	f := &fixture{mem: memstore.New(memstore.Options{Location: shanghai}), now: now}
	items := duty.NewOpenItems(f.mem.Incidents(), f.mem.Dispatches(), f.mem.Cases(), f.mem.Alarms())
	f.svc = duty.NewService(f.mem.Duty(), accounts, units{"u1": "消防1", "u2": "消防2"}, items, shanghai, func() time.Time { return f.now })
	return f
}

var admin = vocab.Actor{Username: "admin", Role: vocab.Admin}

func day(id, start, end string) duty.Shift {
	return duty.Shift{ID: id, Start: start, End: end, Leader: "lead", Operators: []string{"op1"}, Standby: []string{"u1"}}
}

// fields returns the field names of an Invalid, or "" for none.
func fields(err error) string {
	var bad *fault.Invalid
	if !errors.As(err, &bad) {
		return ""
	}
	var out []string
	for _, e := range bad.Errors {
		out = append(out, e.Field)
	}
	return strings.Join(out, ",")
}

func TestRosterRules(t *testing.T) {
	next := []duty.Shift{day("d", "08:00", "20:00")}
	for _, c := range []struct {
		name   string
		shifts []duty.Shift
		want   string // the fields named, "" when accepted
	}{
		{"dayAndNight", []duty.Shift{day("d", "08:00", "20:00"), day("n", "20:00", "08:00")}, ""},
		{"overlap", []duty.Shift{day("a", "08:00", "14:00"), day("b", "13:00", "20:00")}, "shifts[1].start"},
		{"nightRunsIntoNextDay", []duty.Shift{day("n", "20:00", "08:30")}, "shifts[0].start"},
		{"emptyShift", []duty.Shift{day("a", "08:00", "08:00")}, "shifts[0].end"},
		{"badTimes", []duty.Shift{day("a", "8:00", "25:00")}, "shifts[0].start,shifts[0].end"},
		{"duplicateID", []duty.Shift{day("a", "08:00", "12:00"), day("a", "12:00", "16:00")}, "shifts[1].id"},
		{"unknownPeople", []duty.Shift{{ID: "a", Start: "08:00", End: "12:00", Leader: "nobody", Operators: []string{"ghost"}, Standby: []string{"u9"}}},
			"shifts[0].leader,shifts[0].operators[0],shifts[0].standby[0]"},
		{"wrongRoles", []duty.Shift{{ID: "a", Start: "08:00", End: "12:00", Leader: "op1", Operators: []string{"r1"}}}, "shifts[0].leader,shifts[0].operators[0]"},
		{"noLeader", []duty.Shift{{ID: "a", Start: "08:00", End: "12:00"}}, "shifts[0].leader"},
		{"operatorTwice", []duty.Shift{{ID: "a", Start: "08:00", End: "12:00", Leader: "lead", Operators: []string{"op1", "op2", "op1"}, Standby: []string{"u1", "u1"}}},
			"shifts[0].operators[2],shifts[0].standby[1]"},
		{"twentyOperators", []duty.Shift{{ID: "a", Start: "08:00", End: "12:00", Leader: "lead", Operators: names("op1", duty.MaxOperators)}}, notAccounts(1, duty.MaxOperators)},
		{"tooManyOperators", []duty.Shift{{ID: "a", Start: "08:00", End: "12:00", Leader: "lead", Operators: names("op1", duty.MaxOperators+1)}}, "shifts[0].operators"},
		{"tooManyStandby", []duty.Shift{{ID: "a", Start: "08:00", End: "12:00", Leader: "lead", Standby: names("u1", duty.MaxStandby+1)}}, "shifts[0].standby"},
		{"tooManyShifts", shifts(duty.MaxShifts + 1), "shifts"},
		{"disabledAccounts", []duty.Shift{{ID: "a", Start: "08:00", End: "12:00", Leader: "gone", Operators: []string{"op1", "gone"}}},
			"shifts[0].leader,shifts[0].operators[1]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, time.Date(2026, 12, 1, 9, 0, 0, 0, shanghai))
			ctx := context.Background()
			if _, err := f.svc.PutDay(ctx, admin, "2026-12-05", 0, next); err != nil {
				t.Fatal(err)
			}
			_, err := f.svc.PutDay(ctx, admin, "2026-12-04", 0, c.shifts)
			if got := fields(err); got != c.want || c.want == "" && err != nil {
				t.Fatalf("fields %q, want %q (%v)", got, c.want, err)
			}
			d, _ := f.svc.Day(ctx, "2026-12-04")
			if c.want != "" && (d.Version != 0 || len(d.Shifts) != 0) {
				t.Fatalf("a refused day was written: %+v", d)
			}
			if c.want == "" && (d.Version != 1 || len(d.Shifts) != len(c.shifts)) {
				t.Fatalf("day not written: %+v", d)
			}
		})
	}
}

func TestRosterVersionAndOnDuty(t *testing.T) {
	f := newFixture(t, time.Date(2026, 12, 5, 2, 30, 0, 0, shanghai))
	ctx := context.Background()
	if _, err := f.svc.PutDay(ctx, admin, "2026-12-04", 0, []duty.Shift{day("d", "08:00", "20:00"),
		{ID: "n", Start: "20:00", End: "08:00", Leader: "dep", Operators: []string{"op2"}, Standby: []string{"u2"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.PutDay(ctx, admin, "2026-12-04", 0, nil); !fault.IsConflict(err) {
		t.Fatalf("a stale version: %v", err)
	}
	if msgs, _, err := f.mem.Range(ctx, vocab.ScreenStream, 1, 10); err != nil || len(msgs) != 1 || !strings.Contains(string(msgs[0].JSON), `"type":"roster.changed"`) ||
		!strings.Contains(string(msgs[0].JSON), `"dates":["2026-12-04"]`) {
		t.Fatalf("the screens are told of the edit once: %+v %v", msgs, err)
	}
	now, err := f.svc.Now(ctx)
	if err != nil || now.Shift == nil || now.Shift.ID != "n" || now.Date != "2026-12-04" || now.Leader.Name != "李副" ||
		len(now.Operators) != 1 || now.Operators[0].Username != "op2" || len(now.Standby) != 1 || now.Standby[0].Callsign != "消防2" {
		t.Fatalf("on duty after midnight: %+v %v", now, err)
	}
	if name, user, err := f.svc.Approver(ctx, time.Date(2026, 12, 4, 12, 0, 0, 0, shanghai)); err != nil || name != "王带班" || user != "lead" {
		t.Fatalf("approver at noon: %q %q %v", name, user, err)
	}
	if name, _, err := f.svc.Approver(ctx, time.Date(2026, 12, 5, 9, 0, 0, 0, shanghai)); err != nil || name != "" {
		t.Fatalf("approver with no shift: %q %v", name, err)
	}
}

func TestRosterImportAllOrNothing(t *testing.T) {
	f := newFixture(t, time.Date(2026, 12, 1, 9, 0, 0, 0, shanghai))
	ctx := context.Background()
	good := "\ufeffdate,shift,start,end,leader,operators,standby\n" +
		"2026-12-04,d,08:00,20:00,lead,op1;op2,u1\n2026-12-04,n,20:00,08:00,dep,op2,\n"
	bad := good + "2026-12-05,d,07:00,19:00,lead,op1,u1\n2026-12-06,d,08:00,20:00,op1,op1,u7\n2026-11-30,d,08:00,20:00,lead,,\n"
	_, err := f.svc.ImportMonth(ctx, admin, "2026-12", []byte(bad))
	if got := fields(err); got != "row[6].date" {
		t.Fatalf("bad date row: %q %v", got, err)
	}
	bad = strings.TrimSuffix(bad, "2026-11-30,d,08:00,20:00,lead,,\n")
	_, err = f.svc.ImportMonth(ctx, admin, "2026-12", []byte(bad))
	if got := fields(err); got != "row[5].leader,row[5].standby,row[4].start" && got != "row[4].start,row[5].leader,row[5].standby" {
		t.Fatalf("bad rows: %q %v", got, err)
	}
	if days, _ := f.svc.Month(ctx, "2026-12"); len(days) != 0 {
		t.Fatalf("a refused import wrote %+v", days)
	}
	days, err := f.svc.ImportMonth(ctx, admin, "2026-12", []byte(good))
	if err != nil || len(days) != 1 || len(days[0].Shifts) != 2 {
		t.Fatalf("import: %+v %v", days, err)
	}
	out, err := f.svc.ExportMonth(ctx, "2026-12")
	if err != nil || !bytes.Equal(out, []byte(good)) {
		t.Fatalf("export %q %v", out, err)
	}
	if days, err := f.svc.ImportMonth(ctx, admin, "2026-12", []byte("\ufeffdate,shift,start,end,leader,operators,standby\n")); err != nil || len(days) != 1 || len(days[0].Shifts) != 0 {
		t.Fatalf("an empty import empties the month: %+v %v", days, err)
	}
}

// seed stores what a shift leaves open.
func seed(t *testing.T, mem *memstore.Store, at time.Time) {
	t.Helper()
	before := at.Add(-48 * time.Hour)
	c := &change.Change{At: at, Docs: []change.Doc{
		{Kind: change.KindIncident, ID: "I-1", Value: &incident.Incident{ID: "I-1", Title: "仓库火灾", Level: alerts.LevelII, Status: incident.StatusResponding,
			CreatedAt: at.Add(-time.Hour), UpdatedAt: at.Add(-time.Hour), Deadlines: []incident.Deadline{{ID: "first", Kind: "initial", Status: "pending"}, {ID: "x", Status: "sent"}}}},
		{Kind: change.KindIncident, ID: "I-0", Value: &incident.Incident{ID: "I-0", Title: "旧事件", Status: incident.StatusClosed, CreatedAt: before, UpdatedAt: before}},
		{Kind: change.KindDispatch, ID: "D-1", Value: &dispatch.Dispatch{ID: "D-1", IncidentID: "I-1", UnitID: "u1", Callsign: "消防1", Status: dispatch.EnRoute}},
		{Kind: change.KindDispatch, ID: "D-0", Value: &dispatch.Dispatch{ID: "D-0", IncidentID: "I-0", UnitID: "u2", Status: dispatch.Cleared}},
		{Kind: change.KindCase, ID: "C-1", Value: &gridcase.Case{ID: "C-1", Title: "占道经营", Status: gridcase.Accepted, UpdatedAt: at}},
		{Kind: change.KindCase, ID: "C-0", Value: &gridcase.Case{ID: "C-0", Title: "已结", Status: gridcase.Closed, UpdatedAt: at}},
	}}
	c.Raise(&alarm.Alarm{ID: "incident.serious:I-1", Kind: alarm.SeriousIncident, IncidentID: "I-1", Title: "仓库火灾", RaisedAt: at})
	if _, err := mem.Apply(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

func ids(rs []duty.Ref) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return strings.Join(out, ",")
}

func TestHandoverPrefillSubmitAccept(t *testing.T) {
	at := time.Date(2026, 12, 4, 19, 50, 0, 0, shanghai)
	f := newFixture(t, at)
	ctx := context.Background()
	if _, err := f.svc.PutDay(ctx, admin, "2026-12-04", 0, []duty.Shift{day("d", "08:00", "20:00")}); err != nil {
		t.Fatal(err)
	}
	seed(t, f.mem, at)
	op1 := vocab.Actor{Username: "op1", Role: vocab.Operator}
	h, created, err := f.svc.OpenHandover(ctx, op1)
	if err != nil || !created {
		t.Fatal(created, err)
	}
	if h.Status != duty.Draft || h.ShiftID != "d" || ids(h.Incidents) != "I-1" || ids(h.Orders) != "D-1" || ids(h.Cases) != "C-1" ||
		ids(h.Reports) != "I-1/first" || ids(h.Alarms) != "incident.serious:I-1" {
		t.Fatalf("pre-filled %+v", h)
	}
	if _, err := f.svc.Accept(ctx, vocab.Actor{Username: "op2", Role: vocab.Operator}, h.ID, ""); !fault.IsConflict(err) {
		t.Fatalf("accepting a draft: %v", err)
	}
	if _, err := f.svc.Submit(ctx, vocab.Actor{Username: "op2", Role: vocab.Operator}, h.ID, "x"); !errors.Is(err, fault.ErrForbidden) {
		t.Fatalf("submitting another's handover: %v", err)
	}
	// Notes past their bound are refused, naming the field; the draft stays.
	var inv *fault.Invalid
	if _, err := f.svc.Submit(ctx, op1, h.ID, strings.Repeat("长", duty.NotesRunes+1)); !errors.As(err, &inv) || len(inv.Errors) != 1 || inv.Errors[0].Field != "notes" {
		t.Fatalf("over-long notes: %v", err)
	}
	if again, _ := f.svc.Handover(ctx, h.ID); again == nil || again.Status != duty.Draft {
		t.Fatalf("after refused notes: %+v", again)
	}
	if _, err := f.svc.Submit(ctx, op1, h.ID, "  仓库火灾仍在处置\x07 "); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Accept(ctx, op1, h.ID, ""); !errors.Is(err, fault.ErrForbidden) {
		t.Fatalf("accepting one's own handover: %v", err)
	}
	got, err := f.svc.Accept(ctx, vocab.Actor{Username: "op2", Role: vocab.Operator}, h.ID, "收到")
	if err != nil || got.Status != duty.Accepted || got.Incoming != "op2" || got.Notes != "仓库火灾仍在处置" {
		t.Fatalf("accepted %+v %v", got, err)
	}
	for _, c := range []struct {
		q    duty.Query
		want int
	}{
		{duty.Query{From: "2026-12-04", To: "2026-12-04"}, 1},
		{duty.Query{From: "2026-12-01", To: "2026-12-31", Person: "op2", Text: "仓库"}, 1},
		{duty.Query{From: "2026-12-01", To: "2026-12-31", Text: "nothing like it"}, 0},
		{duty.Query{From: "2026-12-05", To: "2026-12-31"}, 0},
	} {
		if hs, err := f.svc.Handovers(ctx, c.q); err != nil || len(hs) != c.want {
			t.Fatalf("%+v: %d %v", c.q, len(hs), err)
		}
	}
	if _, err := f.svc.Handovers(ctx, duty.Query{From: "x", To: "2026-01-01", Status: "y"}); fields(err) != "from,status" {
		t.Fatalf("bad query: %v", err)
	}
	trail, _ := f.mem.Audit(ctx, auditQuery())
	if n := countActions(trail, duty.HandoverOpened, duty.HandoverSubmit, duty.HandoverAccepted); n != 3 {
		t.Fatalf("audited %d of the handover's steps: %+v", n, trail)
	}
}

func auditQuery() audit.Query { return audit.Query{Limit: 100} }

func countActions(rs []audit.Record, actions ...string) int {
	n := 0
	for _, r := range rs {
		if slices.Contains(actions, r.Action) {
			n++
		}
	}
	return n
}

// names is n names, the first being first and the others "x1", "x2"…
func names(first string, n int) []string {
	out := []string{first}
	for i := 1; i < n; i++ {
		out = append(out, "x"+strconv.Itoa(i))
	}
	return out
}

// notAccounts are the fields of operators from..to-1 of shift 0.
func notAccounts(from, to int) string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("shifts[0].operators[%d]", i))
	}
	return strings.Join(out, ",")
}

// shifts is n one-hour shifts from 00:00.
func shifts(n int) []duty.Shift {
	var out []duty.Shift
	for i := range n {
		out = append(out, day("s"+strconv.Itoa(i), fmt.Sprintf("%02d:00", i), fmt.Sprintf("%02d:00", i+1)))
	}
	return out
}

// countingPeople counts the lookups of accounts.
type countingPeople struct {
	people
	n int
}

func (c *countingPeople) Person(ctx context.Context, u string) (duty.Person, bool, error) {
	c.n++
	return c.people.Person(ctx, u)
}

// An oversized list is refused before any account is looked up, in an edit
// and in an import.
func TestRosterSizesBeforeLookups(t *testing.T) {
	f := newFixture(t, time.Date(2026, 12, 1, 9, 0, 0, 0, shanghai))
	cp := &countingPeople{people: accounts}
	svc := duty.NewService(f.mem.Duty(), cp, units{"u1": "消防1"}, nil, shanghai, func() time.Time { return f.now })
	ctx := context.Background()
	many := names("op1", 50000)
	_, err := svc.PutDay(ctx, admin, "2026-12-04", 0, []duty.Shift{{ID: "a", Start: "08:00", End: "12:00", Leader: "lead", Operators: many}})
	if fields(err) != "shifts[0].operators" || cp.n != 0 {
		t.Fatalf("50,000 operators: %q after %d lookups (%v)", fields(err), cp.n, err)
	}
	csv := "date,shift,start,end,leader,operators,standby\n2026-12-04,a,08:00,12:00,lead," + strings.Join(many, ";") + ",u1\n"
	_, err = svc.ImportMonth(ctx, admin, "2026-12", []byte(csv))
	if fields(err) != "row[2].operators" || cp.n != 0 {
		t.Fatalf("a CSV row of 50,000 operators: %q after %d lookups (%v)", fields(err), cp.n, err)
	}
}

// A CSV saved by Excel as GBK is refused naming its first row that is not
// UTF-8, saying to save it as UTF-8.
func TestRosterImportRefusesGBK(t *testing.T) {
	f := newFixture(t, time.Date(2026, 12, 1, 9, 0, 0, 0, shanghai))
	gbk := "date,shift,start,end,leader,operators,standby\n2026-12-04,d,08:00,20:00,lead,op1,u1\n" +
		"2026-12-05,\xb0\xd7\xb0\xe0,08:00,20:00,lead,op1,u1\n" // 白班 in GBK
	_, err := f.svc.ImportMonth(context.Background(), admin, "2026-12", []byte(gbk))
	if fields(err) != "row[3].row" || !strings.Contains(err.Error(), "UTF-8") {
		t.Fatalf("a GBK file: %q %v", fields(err), err)
	}
	if days, _ := f.svc.Month(context.Background(), "2026-12"); len(days) != 0 {
		t.Fatalf("a refused import wrote %+v", days)
	}
}

// monthCounter counts the reads of whole months.
type monthCounter struct {
	*memstore.Duty
	months int
}

func (m *monthCounter) Month(ctx context.Context, kind, month string) (map[string]string, error) {
	m.months++
	return m.Duty.Month(ctx, kind, month)
}

// An account has one draft: opening again returns it with its pre-fill
// read afresh; once submitted, opening makes a new one. One handover is
// read by itself, not with its month.
func TestHandoverOneDraftPerAccount(t *testing.T) {
	at := time.Date(2026, 12, 4, 19, 50, 0, 0, shanghai)
	f := newFixture(t, at)
	ctx := context.Background()
	mc := &monthCounter{Duty: f.mem.Duty()}
	items := duty.NewOpenItems(f.mem.Incidents(), f.mem.Dispatches(), f.mem.Cases(), f.mem.Alarms())
	svc := duty.NewService(mc, accounts, units{"u1": "消防1"}, items, shanghai, func() time.Time { return f.now })
	op1 := vocab.Actor{Username: "op1", Role: vocab.Operator}
	first, created, err := svc.OpenHandover(ctx, op1)
	if err != nil || !created || len(first.Cases) != 0 {
		t.Fatalf("first open: %+v %v %v", first, created, err)
	}
	seed(t, f.mem, at)
	f.now = at.Add(time.Minute)
	again, created, err := svc.OpenHandover(ctx, op1)
	if err != nil || created || again.ID != first.ID || ids(again.Cases) != "C-1" || again.Totals.Cases != 1 {
		t.Fatalf("opened again: %+v %v %v", again, created, err)
	}
	other, created, err := svc.OpenHandover(ctx, vocab.Actor{Username: "op2", Role: vocab.Operator})
	if err != nil || !created || other.ID == first.ID {
		t.Fatalf("another account's: %+v %v %v", other, created, err)
	}
	mc.months = 0
	if h, err := svc.Handover(ctx, first.ID); err != nil || ids(h.Cases) != "C-1" || mc.months != 0 {
		t.Fatalf("read one: %+v %v after %d month reads", h, err, mc.months)
	}
	if _, err := svc.Submit(ctx, op1, first.ID, "交班"); err != nil {
		t.Fatal(err)
	}
	next, created, err := svc.OpenHandover(ctx, op1)
	if err != nil || !created || next.ID == first.ID {
		t.Fatalf("after submitting: %+v %v %v", next, created, err)
	}
	hs, _ := svc.Handovers(ctx, duty.Query{From: "2026-12-01", To: "2026-12-31"})
	trail, _ := f.mem.Audit(ctx, auditQuery())
	if len(hs) != 3 || countActions(trail, duty.HandoverOpened) != 3 || countActions(trail, duty.HandoverRefresh) != 1 {
		t.Fatalf("%d handovers, audit %+v", len(hs), trail)
	}
}

// manyItems lists n of each item.
type manyItems int

func (n manyItems) Open(context.Context, time.Time, time.Time) (duty.Lists, error) {
	var rs []duty.Ref
	for i := range int(n) {
		rs = append(rs, duty.Ref{ID: fmt.Sprintf("X-%04d", i)})
	}
	return duty.Lists{Incidents: rs, Orders: rs, Cases: rs, Reports: rs, Alarms: rs}, nil
}

// Each pre-filled list keeps at most MaxItems, with the total it had.
func TestHandoverPrefillBounded(t *testing.T) {
	f := newFixture(t, time.Date(2026, 12, 4, 19, 50, 0, 0, shanghai))
	svc := duty.NewService(f.mem.Duty(), accounts, units{}, manyItems(duty.MaxItems+100), shanghai, func() time.Time { return f.now })
	h, _, err := svc.OpenHandover(context.Background(), vocab.Actor{Username: "op1", Role: vocab.Operator})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []struct {
		rs    []duty.Ref
		total int
	}{{h.Incidents, h.Totals.Incidents}, {h.Orders, h.Totals.Orders}, {h.Cases, h.Totals.Cases}, {h.Reports, h.Totals.Reports}, {h.Alarms, h.Totals.Alarms}} {
		if len(l.rs) != duty.MaxItems || l.total != duty.MaxItems+100 {
			t.Fatalf("a list of %d, total %d", len(l.rs), l.total)
		}
	}
}

// A leader disabled after being rostered is not shown on duty nor named
// approver: nobody is, rather than a disabled account.
func TestDisabledLeaderNotOnDuty(t *testing.T) {
	at := time.Date(2026, 12, 4, 9, 0, 0, 0, shanghai)
	f := newFixture(t, at)
	ppl := people{"lead": accounts["lead"], "op1": accounts["op1"], "op2": accounts["op2"]}
	svc := duty.NewService(f.mem.Duty(), ppl, units{"u1": "消防1"}, nil, shanghai, func() time.Time { return f.now })
	ctx := context.Background()
	sh := day("d", "08:00", "20:00")
	sh.Operators = []string{"op1", "op2"}
	if _, err := svc.PutDay(ctx, admin, "2026-12-04", 0, []duty.Shift{sh}); err != nil {
		t.Fatal(err)
	}
	if name, user, err := svc.Approver(ctx, at); err != nil || user != "lead" || name != "王带班" {
		t.Fatalf("approver %q %q %v", name, user, err)
	}
	for _, u := range []string{"lead", "op2"} {
		p := ppl[u]
		p.Disabled = true
		ppl[u] = p
	}
	on, err := svc.Now(ctx)
	if err != nil || on.Shift == nil || on.Leader != nil || len(on.Operators) != 1 || on.Operators[0].Username != "op1" {
		t.Fatalf("on duty %+v %v", on, err)
	}
	if name, user, err := svc.Approver(ctx, at); err != nil || user != "" || name != "" {
		t.Fatalf("a disabled approver %q %q %v", name, user, err)
	}
}

// TestHandoverListsCasesOpenLong: a case open for days and untouched is in
// the handover's list although 600 cases changed after it (it was read from
// the 500 most recently changed, and crowded out).
func TestHandoverListsCasesOpenLong(t *testing.T) {
	at := time.Date(2026, 12, 4, 19, 50, 0, 0, shanghai)
	f := newFixture(t, at)
	ctx := context.Background()
	c := &change.Change{At: at, Docs: []change.Doc{
		{Kind: change.KindCase, ID: "C-OLD", Value: &gridcase.Case{ID: "C-OLD", Title: "长期未办", Status: gridcase.Dispatched, UpdatedAt: at.Add(-72 * time.Hour)}}}}
	for i := range 600 {
		id := fmt.Sprintf("C-%04d", i)
		c.Docs = append(c.Docs, change.Doc{Kind: change.KindCase, ID: id, Value: &gridcase.Case{ID: id, Title: "已结", Status: gridcase.Closed, UpdatedAt: at.Add(-time.Duration(i) * time.Second)}})
	}
	if _, err := f.mem.Apply(ctx, c); err != nil {
		t.Fatal(err)
	}
	items := duty.NewOpenItems(f.mem.Incidents(), f.mem.Dispatches(), f.mem.Cases(), f.mem.Alarms())
	l, err := items.Open(ctx, at.Add(-12*time.Hour), at)
	if err != nil || ids(l.Cases) != "C-OLD" {
		t.Fatalf("open cases %q, %v; want C-OLD", ids(l.Cases), err)
	}
}

package duty_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"watchfloor/command/duty"
	"watchfloor/command/vocab"
)

// A shift's id is 1 to 32 bytes of visible, clean text not starting as a
// spreadsheet formula, in a day's edit and in an import alike: blanks,
// invisible and bidirectional characters are refused naming the id (the
// CSV's shift column); ids days were saved with before stay valid.
func TestShiftIDs(t *testing.T) {
	for _, c := range []struct {
		id string
		ok bool
	}{
		{"d", true}, {"day-1", true}, {"_night", true}, {"早班", true}, {strings.Repeat("a", 32), true},
		// Ids days were saved with before the check: still valid.
		{"08:00-20:00", true}, {"白班 1", true}, {"A班(早)", true},
		{"", false}, {" ", false}, {"\u200b", false}, {"\u202eadmin", false}, {" a", false}, {"-1", false},
		{"=cmd", false}, {"+1", false}, {"@x", false}, {"a\u200bb", false}, {"day\n", false},
		{strings.Repeat("a", 33), false}, {strings.Repeat("早", 11), false},
	} {
		t.Run(c.id, func(t *testing.T) {
			f := newFixture(t, time.Date(2026, 12, 1, 9, 0, 0, 0, shanghai))
			ctx := context.Background()
			_, err := f.svc.PutDay(ctx, admin, "2026-12-04", 0, []duty.Shift{day(c.id, "08:00", "20:00")})
			want := ""
			if !c.ok {
				want = "shifts[0].id"
			}
			if got := fields(err); got != want || c.ok && err != nil {
				t.Fatalf("edit: fields %q, want %q (%v)", got, want, err)
			}
			if strings.ContainsAny(c.id, ",\"\n") || strings.TrimSpace(c.id) != c.id {
				return // not one CSV cell as it is
			}
			csv := "date,shift,start,end,leader,operators,standby\n2026-12-05," + c.id + ",08:00,20:00,lead,op1,u1\n"
			_, err = f.svc.ImportMonth(ctx, admin, "2026-12", []byte(csv))
			if !c.ok {
				want = "row[2].shift"
			}
			if got := fields(err); got != want || c.ok && err != nil {
				t.Fatalf("import: fields %q, want %q (%v)", got, want, err)
			}
		})
	}
}

// A roster date is of the years 1970 to 9998: one outside is refused naming
// the field sent (date; month on an import), not the month of a day next to
// it that cannot be written with four digits.
func TestRosterDateYears(t *testing.T) {
	f := newFixture(t, time.Date(2026, 12, 1, 9, 0, 0, 0, shanghai))
	ctx := context.Background()
	for _, c := range []struct {
		date string
		ok   bool
	}{
		{"1970-01-01", true}, {"9998-12-31", true},
		{"0000-01-01", false}, {"0001-01-01", false}, {"1969-12-31", false}, {"9999-12-31", false}, {"9999-01-01", false},
	} {
		_, err := f.svc.PutDay(ctx, admin, c.date, 0, []duty.Shift{})
		if got, want := fields(err), map[bool]string{true: "", false: "date"}[c.ok]; got != want || c.ok && err != nil {
			t.Errorf("put %s: fields %q, want %q (%v)", c.date, got, want, err)
		}
		_, err = f.svc.Day(ctx, c.date)
		if got, want := fields(err), map[bool]string{true: "", false: "date"}[c.ok]; got != want || c.ok && err != nil {
			t.Errorf("day %s: fields %q, want %q (%v)", c.date, got, want, err)
		}
		month := c.date[:7]
		_, err = f.svc.ImportMonth(ctx, admin, month, []byte("date,shift,start,end,leader,operators,standby\n"+c.date+",d,08:00,20:00,lead,op1,u1\n"))
		if got, want := fields(err), map[bool]string{true: "", false: "month"}[c.ok]; got != want || c.ok && err != nil {
			t.Errorf("import %s: fields %q, want %q (%v)", month, got, want, err)
		}
	}
}

// Handover notes are cleaned as every typed text: format characters (a
// zero-width space, a bidirectional override) are dropped, new lines and
// tabs kept, and notes with nothing visible are none.
func TestHandoverNotesCleaned(t *testing.T) {
	at := time.Date(2026, 12, 4, 19, 50, 0, 0, shanghai)
	f := newFixture(t, at)
	ctx := context.Background()
	if _, err := f.svc.PutDay(ctx, admin, "2026-12-04", 0, []duty.Shift{day("d", "08:00", "20:00")}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, notes, note, wantNotes, wantNote string }{
		{"format characters", " \u202e仓库\u200b火灾\ufeff\n\t续报 ", "收\u2060到", "仓库火灾\n\t续报", "收到"},
		{"nothing visible", "\u200b \u3164", "\u202e", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			op1 := vocab.Actor{Username: "op1", Role: vocab.Operator}
			h, _, err := f.svc.OpenHandover(ctx, op1)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Submit(ctx, op1, h.ID, c.notes); err != nil {
				t.Fatal(err)
			}
			got, err := f.svc.Accept(ctx, vocab.Actor{Username: "op2", Role: vocab.Operator}, h.ID, c.note)
			if err != nil || got.Notes != c.wantNotes || got.AcceptNote != c.wantNote {
				t.Fatalf("notes %q, note %q (%v); want %q, %q", got.Notes, got.AcceptNote, err, c.wantNotes, c.wantNote)
			}
		})
	}
}

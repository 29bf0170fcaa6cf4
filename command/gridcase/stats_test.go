package gridcase_test

import (
	"errors"
	"testing"

	"watchfloor/command/fault"
	"watchfloor/command/gridcase"
)

// A month's case figures count every case: with more changed since the
// month began than are read, the request is refused naming month (as the
// ledger refuses), never answered with some of them counted.
func TestMonthStatsRefusesWhatItCannotCount(t *testing.T) {
	f := newCaseFloor(t)
	for range gridcase.MaxStatsCases {
		f.report("litter", west)
	}
	st, err := f.svc.MonthStats(bg, operator, "2026-03")
	if err != nil || len(st.Communities) != 1 || st.Communities[0].Cases != gridcase.MaxStatsCases {
		t.Fatalf("%d cases: %+v %v", gridcase.MaxStatsCases, st, err)
	}
	f.report("litter", east)
	st, err = f.svc.MonthStats(bg, operator, "2026-03")
	var inv *fault.Invalid
	if !errors.As(err, &inv) || len(inv.Errors) != 1 || inv.Errors[0].Field != "month" {
		t.Fatalf("%d cases: %+v %v, want a field error on month", gridcase.MaxStatsCases+1, st, err)
	}
}

package cases

import (
	"slices"
	"testing"
)

func TestSafeCells(t *testing.T) {
	in := []string{"=1+1", "+86 136", "-3", "@SUM(A1)", "\tx", "\rx", "普通", "", "a=b", "'quoted"}
	want := []string{"'=1+1", "'+86 136", "'-3", "'@SUM(A1)", "'\tx", "'\rx", "普通", "", "a=b", "'quoted"}
	if got := safeCells(slices.Clone(in)); !slices.Equal(got, want) {
		t.Errorf("safeCells(%q) = %q", in, got)
	}
}

// One ledger export runs at a time per account; another account is not held.
func TestOneExportPerAccount(t *testing.T) {
	var r running
	if !r.start("hubei-operator") || r.start("hubei-operator") {
		t.Fatal("a second export of one account started")
	}
	if !r.start("dongmen-operator") {
		t.Fatal("another account's export was held")
	}
	r.end("hubei-operator")
	if !r.start("hubei-operator") {
		t.Fatal("an account cannot export again after its export ended")
	}
}

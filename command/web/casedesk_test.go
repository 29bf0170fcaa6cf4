package web

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

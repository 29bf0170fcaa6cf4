package sockets

import "testing"

// TestSocketCounts: a socket is refused when its session or its address
// is at its limit, and a closed one frees its place.
func TestSocketCounts(t *testing.T) {
	var s sockets
	a1, a2 := socketOwner{token: "t1", addr: "192.0.2.1"}, socketOwner{token: "t2", addr: "192.0.2.1"}
	anon := socketOwner{addr: "192.0.2.2"}
	steps := []struct {
		name string
		who  socketOwner
		open bool // open, else close
		want bool
	}{
		{"first of a session", a1, true, true},
		{"second of the session", a1, true, true},
		{"third of the session: at its limit", a1, true, false},
		{"another session at the address", a2, true, true},
		{"the address at its limit", a2, true, false},
		{"one closed", a1, false, true},
		{"another session takes its place", a2, true, true},
		{"without a token, counted by address only", anon, true, true},
	}
	for _, st := range steps {
		if !st.open {
			s.closed(st.who)
			continue
		}
		if got := s.open(st.who, 2, 3); got != st.want {
			t.Fatalf("%s: open = %v, want %v", st.name, got, st.want)
		}
	}
	if len(s.byTok) != 2 || s.byTok["t1"] != 1 || s.byTok["t2"] != 2 || s.byAddr["192.0.2.1"] != 3 || s.byAddr["192.0.2.2"] != 1 {
		t.Fatalf("counts %v %v", s.byTok, s.byAddr)
	}
}

package live

import "testing"

func TestArea(t *testing.T) {
	for in, want := range map[string]string{
		`{"seq":7,"type":"case.created","area":"440303001001","at":"x","data":{"area":"no"}}`: "440303001001",
		`{"seq":18446744073709551615,"type":"case.updated","area":"4403","at":"x","data":{}}`: "4403",
		`{"seq":7,"type":"incident.created","at":"x","data":{"area":"no"}}`:                   "",
		`{"type":"heartbeat","at":"x","data":{"seq":1}}`:                                      "",
		`{"seq":7,"type":"case.created","area":"unterminated`:                                 "",
		``: "",
	} {
		if got := string(Area([]byte(in))); got != want {
			t.Errorf("Area(%s) = %q, want %q", in, got, want)
		}
	}
}

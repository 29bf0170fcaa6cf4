package vocab

import "testing"

// TestEnvelopeType reads the type from the store's layout and from any
// other shape, and finds none in what does not decode.
func TestEnvelopeType(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"seq":12,"type":"unit.status","at":"2026-01-02T03:04:05Z","data":{}}`, "unit.status"},
		{`{"seq":1,"type":"incident.created","area":"440303","at":"x","data":{}}`, "incident.created"},
		{`{"type":"alarm.raised","seq":3,"data":{}}`, "alarm.raised"},
		{`{"seq":3,"type":"a\"b","data":{}}`, `a"b`},
		{`{"seq":,"type":"x"}`, ""},
		{`not json`, ""},
		{``, ""},
	} {
		if got := EnvelopeType([]byte(tc.in)); got != tc.want {
			t.Errorf("EnvelopeType(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

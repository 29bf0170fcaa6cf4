package sockets

import (
	"bytes"
	"fmt"
	"testing"
)

// FuzzSmallWindow: an extensions header never panics the check; without a
// server_max_window_bits parameter it is never a small window; with one of
// 8 to 15 bits (any case, spaces, quotes, among other offers) it is exactly
// when the bits are under 15.
func FuzzSmallWindow(f *testing.F) {
	f.Add([]byte("permessage-deflate; client_max_window_bits"), uint8(10), true)
	f.Add([]byte(""), uint8(15), false)
	f.Add([]byte(`x-webkit-deflate-frame, permessage-deflate; server_max_window_bits="9"`), uint8(9), true)
	f.Fuzz(func(t *testing.T, header []byte, bits uint8, quoted bool) {
		got := smallWindow(header)
		if !bytes.Contains(bytes.ToLower(header), []byte("server_max_window_bits")) && got {
			t.Fatalf("%q: a small window without the parameter", header)
		}
		if bytes.Contains(bytes.ToLower(header), []byte("server_max_window_bits")) {
			return // the random part already names one: no expectation below
		}
		b := 8 + int(bits)%8
		value := fmt.Sprint(b)
		if quoted {
			value = `"` + value + `"`
		}
		offer := fmt.Sprintf("%s, permessage-deflate ; Server_Max_Window_Bits = %s; client_no_context_takeover", bytes.Map(func(r rune) rune {
			if r == ',' || r == ';' || r == '=' {
				return ' '
			}
			return r
		}, header), value)
		if got := smallWindow([]byte(offer)); got != (b < 15) {
			t.Fatalf("%q: small window %v, want %v", offer, got, b < 15)
		}
	})
}

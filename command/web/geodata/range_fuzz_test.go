package geodata

import (
	"errors"
	"testing"

	"watchfloor/command/fault"
)

// FuzzByteRange: whatever Range header a client sends (the basemap's route
// is public), the answer is the whole file, a range inside it (start ≤ end
// < size), a 400 naming Range, or a 416; never a range past either end.
func FuzzByteRange(f *testing.F) {
	for _, h := range []string{"", "bytes=0-99", "bytes=100-", "bytes=-500", "bytes=5-2", "bytes=0-0,5-9", "items=0-1", "bytes=-0",
		"bytes= 7 - 9", "bytes=9223372036854775807-", "bytes=--1", "bytes=1-99999999999999999999"} {
		for _, size := range []int64{0, 1, 100, 1 << 30} {
			f.Add(h, size)
		}
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 0 {
			return // a file's size
		}
		start, end, partial, err := byteRange(h, size)
		var bad *fault.Invalid
		var unsat errUnsatisfiable
		switch {
		case errors.As(err, &bad):
			if len(bad.Errors) != 1 || bad.Errors[0].Field != "Range" {
				t.Fatalf("byteRange(%q, %d): %v", h, size, err)
			}
		case errors.As(err, &unsat):
		case err != nil:
			t.Fatalf("byteRange(%q, %d): an error of no kind: %v", h, size, err)
		case !partial:
			if h != "" || start != 0 || end != size-1 {
				t.Fatalf("byteRange(%q, %d) = whole %d-%d", h, size, start, end)
			}
		case start < 0 || start > end || end >= size:
			t.Fatalf("byteRange(%q, %d) = %d-%d, outside the file", h, size, start, end)
		}
	})
}

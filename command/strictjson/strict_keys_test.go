package strictjson

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"watchfloor/command/fault"
)

// manyKeys is a JSON object of about size bytes: distinct short keys
// {"a0":0,"a1":0,…}, or, repeated, the same key over and over.
func manyKeys(size int, repeated bool) []byte {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		if repeated {
			b.WriteString(`"a":0`)
		} else {
			b.WriteString(`"a` + strconv.Itoa(i) + `":0`)
		}
	}
	b.WriteByte('}')
	return []byte(b.String())
}

// BenchmarkStrictManyKeys: a body of very many members is refused in time
// linear in its size (once quadratic: 1 MiB took 15-36 s); past
// maxMembers in one object the walk stops.
func BenchmarkStrictManyKeys(b *testing.B) {
	for _, size := range []int{64 << 10, 1 << 20} {
		for _, repeated := range []bool{false, true} {
			name := strconv.Itoa(size>>10) + "KiB/distinct"
			if repeated {
				name = strconv.Itoa(size>>10) + "KiB/repeated"
			}
			body := manyKeys(size, repeated)
			b.Run(name, func(b *testing.B) {
				b.SetBytes(int64(len(body)))
				for b.Loop() {
					var in sampleInput
					if Decode(body, &in) == nil {
						b.Fatal("accepted")
					}
				}
			})
		}
	}
}

// nMembers is a JSON object of n members: distinct keys, or one repeated.
func nMembers(n int, repeated bool) []byte {
	var b strings.Builder
	b.WriteByte('{')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		if repeated {
			b.WriteString(`"a":0`)
		} else {
			b.WriteString(`"a` + strconv.Itoa(i) + `":0`)
		}
	}
	b.WriteByte('}')
	return []byte(b.String())
}

// TestStrictManyKeysLinear: an object of as many members as allowed, all
// unknown, distinct or one repeated, is refused with the first 100 errors
// listed and the rest counted, after a number of name comparisons linear
// in the members (a list scan each would make n²/2: 5·10⁷).
func TestStrictManyKeysLinear(t *testing.T) {
	for _, repeated := range []bool{false, true} {
		n := maxMembers
		var in sampleInput
		w, err := strictWalk(nMembers(n, repeated), &in)
		if got := fields(err); len(got) != maxErrors+1 {
			t.Fatalf("repeated %v: %d errors, want %d listed and a count", repeated, len(got), maxErrors)
		}
		errs := n // each member unknown
		if repeated {
			errs = 2*n - 1 // and each but the first a duplicate
		}
		if want := "and " + strconv.Itoa(errs-maxErrors) + " more field errors"; !strings.Contains(err.Error(), want) {
			t.Errorf("repeated %v: %v, want %q", repeated, err, want)
		}
		if w.cmps > smallObject*n {
			t.Errorf("repeated %v: %d comparisons for %d members, want at most %d", repeated, w.cmps, n, smallObject*n)
		}
	}
}

// TestStrictTooManyMembers: a 1 MiB body of distinct or repeated keys is
// refused whole once an object passes maxMembers, with the work done
// bounded by that, whatever the target (a struct, a map, anything).
func TestStrictTooManyMembers(t *testing.T) {
	for _, repeated := range []bool{false, true} {
		body := manyKeys(1<<20, repeated)
		for _, v := range []any{&sampleInput{}, &map[string]int{}, new(any)} {
			w, err := strictWalk(body, v)
			if got := fields(err); len(got) != 1 || got[0] != "" || !strings.Contains(err.Error(), "more than 10000 members") {
				t.Errorf("repeated %v, %T: %v", repeated, v, err)
			}
			if w.cmps > smallObject*maxMembers {
				t.Errorf("repeated %v, %T: %d comparisons", repeated, v, w.cmps)
			}
		}
	}
	// As many as allowed in a map is fine.
	var m map[string]int
	if err := Decode(nMembers(maxMembers, false), &m); err != nil || len(m) != maxMembers {
		t.Errorf("%d members in a map: %v, %d", maxMembers, err, len(m))
	}
	if err := Decode(nMembers(maxMembers+1, false), &m); err == nil {
		t.Errorf("%d members in a map accepted", maxMembers+1)
	}
}

// Duplicates are still found past the small-object list, and required
// members still missed, in an object of many members.
func TestStrictManyKeysDuplicates(t *testing.T) {
	var req struct {
		Need string         `json:"need" wf:"required"`
		M    map[string]int `json:"m"`
	}
	var b strings.Builder
	b.WriteString(`{"m":{`)
	for i := range 40 {
		b.WriteString(`"k` + strconv.Itoa(i) + `":1,`)
	}
	b.WriteString(`"k3":2,"k39":3}}`)
	err := Decode([]byte(b.String()), &req)
	if got := fields(err); strings.Join(got, " ") != "m.k3 m.k39 need" {
		t.Errorf("fields %v (%v)", got, err)
	}
}

// A body with very many bad fields lists the first 100 and counts the rest.
func TestInputErrorsCapped(t *testing.T) {
	var req struct {
		IDs []string `json:"ids"`
	}
	body := `{"ids":[` + strings.TrimSuffix(strings.Repeat("1,", 250), ",") + `]}`
	err := Decode([]byte(body), &req)
	var inv *fault.Invalid
	if !errors.As(err, &inv) || len(inv.Errors) != 101 || inv.Errors[100].Message != "and 150 more field errors" || inv.Errors[99].Field != "ids[99]" {
		t.Fatalf("%v", err)
	}
}

// BenchmarkDecodeBatch decodes a batch of 1,000 positions the way the
// batch API does, strict pre-pass included.
func BenchmarkDecodeBatch(b *testing.B) {
	type pos struct {
		UnitID     string   `json:"unit_id"`
		DeviceID   string   `json:"device_id"`
		Lon        *float64 `json:"lon"`
		Lat        *float64 `json:"lat"`
		At         string   `json:"at"`
		SpeedMPS   *float64 `json:"speed_mps"`
		Heading    *float64 `json:"heading"`
		AccuracyM  *float64 `json:"accuracy_m"`
		BatteryPct *float64 `json:"battery_pct"`
	}
	var sb strings.Builder
	sb.WriteString(`{"positions":[`)
	for i := range 1000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"unit_id":"car-01","lon":114.1234567,"lat":22.5432109,"at":"2026-11-23T08:30:00Z","speed_mps":12.5,"heading":270,"accuracy_m":5,"battery_pct":80}`)
	}
	sb.WriteString(`]}`)
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		var req struct {
			Positions []pos `json:"positions"`
		}
		if err := Decode(body, &req); err != nil {
			b.Fatal(err)
		}
	}
}

// sampleInput stands for a request type: nested objects, pointers, arrays.
type sampleInput struct {
	Category string `json:"category"`
	Title    string `json:"title"`
	Location *struct {
		Lon float64 `json:"lon" wf:"required"`
		Lat float64 `json:"lat" wf:"required"`
	} `json:"location"`
	Count *int64   `json:"count"`
	Tags  []string `json:"tags"`
}

// fields lists the fields of a *fault.Invalid, sorted.
func fields(err error) []string {
	var inv *fault.Invalid
	if !errors.As(err, &inv) {
		return nil
	}
	out := []string{}
	for _, f := range inv.Errors {
		out = append(out, f.Field)
	}
	slices.Sort(out)
	return out
}

package units

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"watchfloor/command/strictjson"
)

// manyPositions is a batch of n positions of unit u.
func manyPositions(n int) []byte {
	var many strings.Builder
	many.WriteString(`{"positions":[`)
	for i := range n {
		if i > 0 {
			many.WriteByte(',')
		}
		many.WriteString(`{"unit_id":"u","lon":1,"lat":2}`)
	}
	many.WriteString(`]}`)
	return []byte(many.String())
}

// batchSeeds are bodies at the edges of what the strict decoder takes.
func batchSeeds() []string {
	return []string{
		`{"positions":[{"unit_id":"car-01","lon":114.115,"lat":22.547,"at":"2026-11-23T20:13:10Z","speed_mps":8.3,"heading":90,"accuracy_m":5,"battery_pct":76},{"device_id":"860000000000037","lon":114.112,"lat":22.547}]}`,
		` {"positions" : [ { "unit_id" : "car-01" , "lon" : -0 , "lat" : 0.5e-400 , "at" : "2026-11-23T20:13:10.123456789+08:00" } ] } ` + "\n",
		`{"positions":null}`, `{}`, `{"positions":[]}`, `{"positions":[null,{}]}`, `{"positions":[{"unit_id":null,"lon":null,"lat":null,"at":null}]}`,
		`{"positions":[{"unit_id":"car-01","lon":1,"lat":2,"at":""}]}`,
		`{"positions":[{"unit_\u0069d":"car\/01\u4e2d","lon":1,"lat":2}]}`,
		`{"positions":[{"unit_id":"car-01","lon":1,"lat":2,"l\u006fn":3}]}`,
		`{"positions":[{"unit_id":"a\u0000","lon":1,"lat":2}]}`,
		`{"positions":[{"unit_id":"\ud800","lon":1,"lat":2}]}`,
		`{"positions":[{"unit_id":"car-01","Lon":1,"lat":2}]}`,
		`{"positions":[{"unit_id":"car-01","lon":1,"lat":2,"extra":{"a":[1,"\u0000",{"b":1,"b":2}]}}]}`,
		`{"positions":[{"unit_id":"car-01","lon":1e309,"lat":2}]}`,
		`{"positions":[{"unit_id":"car-01","lon":"1","lat":true}]}`,
		`{"positions":[{"unit_id":7,"lon":01,"lat":2}]}`,
		`{"positions":[{"unit_id":"x","lon":1.,"lat":-}]}`,
		`{"positions":{}}`, `{"positions":[1]}`, `{"positions":[],"positions":[]}`, `{"Positions":[]}`,
		`{"positions":[]} x`, "\ufeff{}", "\u00a0", "", "null", `[]`, "{\"positions\":[\xff]}",
		`{"positions":[{"unit_id":"car-01","lon":181,"lat":22.5},{"lat":1},{"unit_id":"x","lon":1,"lat":1,"at":"yesterday"}]}`,
		`{"positions":[{"unit_id":"car-01","lon":1,"lat":2,"at":"0001-01-01T00:00:00Z","speed_mps":1e308,"heading":-1,"battery_pct":101}]}`,
		`{"positions":[{"unit_id":"` + strings.Repeat("u", maxIDLen+1) + `","lon":1,"lat":2},{"device_id":"` + strings.Repeat("d", maxIDLen+1) + `"}]}`,
		`{"positions":[{"lon":1,"lat":2,"lon":3}` + strings.Repeat(`,{"x":1}`, 120) + `]}`,
		`{"positions":[` + strings.Repeat(`[`, 70) + strings.Repeat(`]`, 70) + `]}`,
	}
}

// FuzzBatchReaderMatchesStrict: the hand-written reader takes exactly the
// bodies the strict decoder takes, with the same values; every other body
// is answered by the strict decoder itself (the same errors and field
// names), so the batch API answers as it did with strictjson.
func FuzzBatchReaderMatchesStrict(f *testing.F) {
	for _, s := range batchSeeds() {
		f.Add([]byte(s))
	}
	r := &batchReader{} // reused, as the handler's pool reuses it
	f.Fuzz(func(t *testing.T, body []byte) { matchStrict(t, r, body) })
}

// TestBatchReaderMatchesStrictAtMaxBatch: the batch limit, and a bad
// position past it, as the strict decoder answers them.
func TestBatchReaderMatchesStrictAtMaxBatch(t *testing.T) {
	r := &batchReader{}
	matchStrict(t, r, manyPositions(MaxBatch))
	matchStrict(t, r, manyPositions(MaxBatch+1))
	bad := manyPositions(MaxBatch + 1)
	matchStrict(t, r, append(bad[:len(bad)-2:len(bad)-2], `,{"lon":"x"}]}`...))
	if _, err := r.decode(manyPositions(MaxBatch + 1)); err == nil || !strings.Contains(err.Error(), "positions: at most 10000") {
		t.Fatalf("%d positions: %v", MaxBatch+1, err)
	}
}

// matchStrict fails unless the reader takes body exactly when the strict
// decoder does, and decode answers as strictPositions does.
func matchStrict(t *testing.T, r *batchReader, body []byte) {
	t.Helper()
	defer r.release()
	var req struct {
		Positions []positionIn `json:"positions"`
	}
	strictOK := strictjson.Decode(body, &req) == nil
	if took := r.read(body); took != strictOK {
		t.Fatalf("reader took the body: %v; strict decoder: %v", took, strictOK)
	}
	got, err := r.decode(body)
	want, werr := strictPositions(body)
	if !reflect.DeepEqual(err, werr) {
		t.Fatalf("error %v, strict decoder's %v", err, werr)
	}
	if len(got) != len(want) {
		t.Fatalf("%d positions, strict decoder %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.UnitID != w.UnitID || g.DeviceID != w.DeviceID || fmt.Sprint(g.Err) != fmt.Sprint(w.Err) ||
			!reflect.DeepEqual(g.Err, w.Err) || !samePosition(g, w) {
			t.Fatalf("positions[%d]: %+v, strict decoder %+v", i, g, w)
		}
	}
}

// samePosition compares two reads' positions field by field (%+v: unknown
// readings, NaN, alike; times with their zones).
func samePosition(a, b positionRead) bool {
	return fmt.Sprintf("%+v", a.Position) == fmt.Sprintf("%+v", b.Position) && a.Position.At.Equal(b.Position.At)
}

// benchBody is a batch like the load's: n positions with a unit, place,
// time and speed each (a time of up to 32 bytes is parsed without a copy
// on the heap; a longer one, with nanoseconds and an offset, costs one).
func benchBody(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"positions":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"at":"2026-12-05T02:21:34.123456789Z","lat":22.5%04d,"lon":114.1%04d,"speed_mps":5,"unit_id":"load-%05d"}`, i, i, i+1)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// knownIDs is a fleet's unit ids for the reader: each its shared string.
type knownIDs map[string]string

func (k knownIDs) ID(b []byte) (string, bool) { id, ok := k[string(b)]; return id, ok }

// benchIDs knows the unit ids of benchBody(n).
func benchIDs(n int) knownIDs {
	k := knownIDs{}
	for i := range n {
		id := fmt.Sprintf("load-%05d", i+1)
		k[id] = id
	}
	return k
}

// TestBatchReaderAllocations: a reused reader allocates nothing per
// position of a known unit (its id is the fleet's string), and one string
// per position of an id it does not know.
func TestBatchReaderAllocations(t *testing.T) {
	body := benchBody(500)
	for _, c := range []struct {
		name string
		ids  unitIDs
		max  float64
	}{{"known units", benchIDs(500), 5}, {"unknown units", nil, 500 + 5}} {
		r := &batchReader{}
		n := testing.AllocsPerRun(20, func() {
			r.ids = c.ids
			reads, err := r.decode(body)
			if err != nil || reads[499].UnitID != "load-00500" {
				t.Fatalf("%v %+v", err, reads[499])
			}
			r.release()
		})
		if n > c.max {
			t.Errorf("%s: %v allocations for 500 positions, want at most %v", c.name, n, c.max)
		}
	}
}

// BenchmarkDecodeBatch compares the reader with the strict decoder on a
// batch of 500 positions; one op is one batch.
func BenchmarkDecodeBatch(b *testing.B) {
	body := benchBody(500)
	for _, v := range []struct {
		name string
		ids  unitIDs
	}{{"reader", nil}, {"reader-fleet-ids", benchIDs(500)}} {
		b.Run(v.name, func(b *testing.B) {
			r := &batchReader{}
			b.ReportAllocs()
			for b.Loop() {
				r.ids = v.ids
				if _, err := r.decode(body); err != nil {
					b.Fatal(err)
				}
				r.release()
			}
		})
	}
	b.Run("strict", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := strictPositions(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestBatchReaderBoundedOnHugeArrays: an array of a million empty
// positions is refused like 10,001, and the reader going back to the pool
// holds no more than MaxBatch+1 fixes' worth of memory.
func TestBatchReaderBoundedOnHugeArrays(t *testing.T) {
	for _, n := range []int{MaxBatch + 1, 1_000_000} {
		body := []byte(`{"positions":[` + strings.Repeat(`{},`, n-1) + `{}]}`)
		r := &batchReader{}
		if _, err := r.decode(body); err == nil || !strings.Contains(err.Error(), "positions: at most 10000") {
			t.Fatalf("%d positions: %v", n, err)
		}
		if c := cap(r.fixes); c > 2*(MaxBatch+1) {
			t.Errorf("%d positions: the reader keeps room for %d fixes", n, c)
		}
	}
}

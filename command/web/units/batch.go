package units

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"watchfloor/command/unit"
)

// The batch body is read by hand (batchReader) in one pass without
// reflection: it takes exactly the bodies the strict decoder takes whole
// (command/strictjson: no unknown, misspelt or repeated member, every
// value of its type, numbers within float64, no NUL character, UTF-8, one
// object) and gives the same values. Anything else, it gives up at once and
// the strict decoder reads the body again to say what is wrong, with its
// own words and field names (positions[N].field). FuzzBatchReaderMatchesStrict
// holds the two to each other.

// fix is one position of a batch as sent: its strings as views of the body
// (or decoded copies when escaped) and its numbers, before any check.
type fix struct {
	unitID, deviceID, at []byte
	num                  [nNums]float64
	sent                 uint8 // which of num were sent (bit i: num[i])
}

// The numbers of a position, by index into fix.num.
const (
	numLon = iota
	numLat
	numSpeed
	numHeading
	numAccuracy
	numBattery
	nNums
)

// reading returns a pointer to number i when it was sent, else nil.
func (f *fix) reading(i int) *float64 {
	if f.sent&(1<<i) == 0 {
		return nil
	}
	return &f.num[i]
}

// batchReader reads batch bodies; one is reused from request to request
// (handlers.readers), keeping its slices.
type batchReader struct {
	b     []byte
	i     int
	fixes []fix
	reads []positionRead
	// ids, when set, gives a known unit's id as a string without a copy.
	ids unitIDs
	// samples and index are the handler's, kept with the reader while the
	// ingest has answered for them (keep).
	samples []unit.Sample
	index   []int
}

// unitIDs returns the shared string of a unit id (unit.Fleet.ID).
type unitIDs interface {
	ID(b []byte) (string, bool)
}

// read reads body into r.fixes and reports whether the strict decoder
// would take it whole.
func (r *batchReader) read(body []byte) bool {
	r.b, r.i, r.fixes = body, 0, r.fixes[:0]
	if len(bytes.TrimSpace(body)) == 0 || !utf8.Valid(body) {
		return false
	}
	if r.ws(); !r.eat('{') {
		return false
	}
	if r.ws(); r.eat('}') {
		return r.end()
	}
	for seen := false; ; seen = true {
		r.ws()
		key, ok := r.str()
		if !ok || seen || string(key) != "positions" {
			return false
		}
		if r.ws(); !r.eat(':') {
			return false
		}
		if r.ws(); !r.positions() {
			return false
		}
		r.ws()
		switch {
		case r.eat('}'):
			return r.end()
		case !r.eat(','):
			return false
		}
	}
}

// end reports whether nothing but white space follows.
func (r *batchReader) end() bool {
	r.ws()
	return r.i == len(r.b)
}

// positions reads the positions' array (or null). Past MaxBatch+1 it
// only checks the rest (into the last fix, again and again), so that a
// hostile array of millions of {} leaves no giant slice in the pool; the
// count over MaxBatch is all decode needs to refuse it.
func (r *batchReader) positions() bool {
	if r.null() {
		return true
	}
	if !r.eat('[') {
		return false
	}
	if r.ws(); r.eat(']') {
		return true
	}
	for {
		r.ws()
		if len(r.fixes) <= MaxBatch {
			r.fixes = append(r.fixes, fix{})
		} else {
			r.fixes[len(r.fixes)-1] = fix{}
		}
		if !r.null() && !r.position(&r.fixes[len(r.fixes)-1]) {
			return false
		}
		r.ws()
		switch {
		case r.eat(']'):
			return true
		case !r.eat(','):
			return false
		}
	}
}

// members of a position, in the order of the seen bits.
const (
	mUnitID = nNums + iota
	mDeviceID
	mAt
)

// member is the index of a position's member (numbers first), or -1.
func member(key []byte) int {
	switch string(key) {
	case "lon":
		return numLon
	case "lat":
		return numLat
	case "speed_mps":
		return numSpeed
	case "heading":
		return numHeading
	case "accuracy_m":
		return numAccuracy
	case "battery_pct":
		return numBattery
	case "unit_id":
		return mUnitID
	case "device_id":
		return mDeviceID
	case "at":
		return mAt
	}
	return -1
}

// position reads one position's object into f.
func (r *batchReader) position(f *fix) bool {
	if !r.eat('{') {
		return false
	}
	if r.ws(); r.eat('}') {
		return true
	}
	var seen uint16
	for {
		r.ws()
		key, ok := r.str()
		if !ok {
			return false
		}
		m := member(key)
		if m < 0 || seen&(1<<m) != 0 {
			return false
		}
		seen |= 1 << m
		if r.ws(); !r.eat(':') {
			return false
		}
		if r.ws(); !r.null() && !r.value(f, m) {
			return false
		}
		r.ws()
		switch {
		case r.eat('}'):
			return true
		case !r.eat(','):
			return false
		}
	}
}

// value reads member m's value (not null) into f.
func (r *batchReader) value(f *fix, m int) bool {
	if m < nNums {
		v, ok := r.number()
		f.num[m], f.sent = v, f.sent|1<<m
		return ok
	}
	s, ok := r.str()
	switch m {
	case mUnitID:
		f.unitID = s
	case mDeviceID:
		f.deviceID = s
	default:
		f.at = s
	}
	return ok
}

func (r *batchReader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// eat takes c when it is next.
func (r *batchReader) eat(c byte) bool {
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

// null takes the literal null when it is next.
func (r *batchReader) null() bool {
	if bytes.HasPrefix(r.b[r.i:], []byte("null")) {
		r.i += 4
		return true
	}
	return false
}

// number reads a JSON number within float64's range.
func (r *batchReader) number() (float64, bool) {
	start := r.i
	r.eat('-')
	if !r.eat('0') && r.digits() == 0 {
		return 0, false
	}
	if r.eat('.') && r.digits() == 0 {
		return 0, false
	}
	if r.eat('e') || r.eat('E') {
		if !r.eat('+') {
			r.eat('-')
		}
		if r.digits() == 0 {
			return 0, false
		}
	}
	v, err := strconv.ParseFloat(string(r.b[start:r.i]), 64)
	return v, err == nil
}

func (r *batchReader) digits() int {
	n := 0
	for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
		r.i++
		n++
	}
	return n
}

// str reads a string: a view of the body, or a decoded copy when it has
// escapes. A NUL character, a control character or a bad escape fails it.
func (r *batchReader) str() ([]byte, bool) {
	if !r.eat('"') {
		return nil, false
	}
	start, escaped := r.i, false
	for r.i < len(r.b) {
		switch c := r.b[r.i]; {
		case c == '"':
			r.i++
			if !escaped {
				return r.b[start : r.i-1], true
			}
			var s string
			if json.Unmarshal(r.b[start-1:r.i], &s) != nil || strings.IndexByte(s, 0) >= 0 {
				return nil, false
			}
			return []byte(s), true
		case c < 0x20:
			return nil, false
		case c == '\\':
			escaped = true
			if !r.escape() {
				return nil, false
			}
		default:
			r.i++
		}
	}
	return nil, false
}

// escape steps over one escape sequence, as the strict decoder checks it.
func (r *batchReader) escape() bool {
	if r.i+1 >= len(r.b) {
		return false
	}
	switch r.b[r.i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		r.i += 2
		return true
	case 'u':
		if r.i+6 > len(r.b) {
			return false
		}
		for _, h := range r.b[r.i+2 : r.i+6] {
			if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
				return false
			}
		}
		r.i += 6
		return true
	}
	return false
}

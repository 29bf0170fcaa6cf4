// Package strictjson decodes request bodies strictly: one walk over the
// bytes, guided by the target type, reports every field error at once
// before encoding/json decodes the body.
package strictjson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"watchfloor/command/fault"
)

// The strict pre-pass: before encoding/json decodes a body, one walk over
// its bytes, guided by the type decoded into, finds every field error at
// once: keys that appear twice in one object (encoding/json keeps the
// last), keys that are unknown or differ from a field's name only by case
// (encoding/json matches them case-insensitively), values of the wrong
// type, numbers out of the field's range, NUL characters in strings, and
// fields tagged wf:"required" missing from an object that is present.

// maxDepth bounds the nesting of a body; maxErrors the field errors
// listed (a batch of 10,000 bad positions is not answered with 10,000);
// maxMembers the members of one object (no struct has so many fields, nor
// any map a request carries): past it the body is refused whole, so that
// the names kept to find duplicates stay few.
const (
	maxDepth   = 64
	maxErrors  = 100
	maxMembers = 10000
)

// field is one JSON member of a struct.
type field struct {
	typ      reflect.Type
	required bool
}

// shape is what a struct type accepts: its members by exact name.
type shape struct {
	fields   map[string]field
	required []string
}

// shapes memoizes each struct type's shape (read-only once stored, as
// encoding/json's field cache): built for every body it was a third of a
// report's decoding.
var shapes sync.Map // reflect.Type → *shape

type walker struct {
	b   []byte
	i   int
	bad *fault.Invalid
	// path is where the walk is: member names, and array indexes as
	// index (key nil); written out only for an error.
	path []step
	// more counts the errors past maxErrors.
	more int
	// cmps counts the member-name comparisons and look-ups made to find
	// duplicates: a test holds it linear in the number of members.
	cmps int
}

type step struct {
	key   []byte
	index int
}

// at writes out the current path: location.lat, positions[3].lon.
func (w *walker) at() string {
	var b strings.Builder
	for _, s := range w.path {
		if s.key == nil {
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.Write(s.key)
	}
	return b.String()
}

// add records a field error at the current path.
func (w *walker) add(format string, a ...any) {
	if len(w.bad.Errors) >= maxErrors {
		w.more++
		return
	}
	w.bad.Add(w.at(), format, a...)
}

// syntaxError is malformed JSON at an offset; it stops the walk.
type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("malformed JSON at byte %d: %s", e.off, e.msg)
}

// strictCheck walks body as a value of v's type and returns every field
// error found, or the first syntax error.
func strictCheck(body []byte, v any) error {
	_, err := strictWalk(body, v)
	return err
}

// strictWalk is strictCheck that also returns its walker (nil when the
// body is refused before the walk), for tests to see the work done.
func strictWalk(body []byte, v any) (*walker, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fault.Field("", "the body is empty: a JSON object is required")
	}
	if !utf8.Valid(body) {
		return nil, fault.Field("", "the body must be UTF-8")
	}
	w := &walker{b: body, bad: &fault.Invalid{}}
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	w.ws()
	if t != nil && t.Kind() == reflect.Struct && w.i < len(w.b) && w.b[w.i] != '{' {
		return w, fault.Field("", "the body must be a JSON object")
	}
	if err := w.value(t, 0); err != nil {
		return w, fault.Field("", "%v", err)
	}
	w.ws()
	if w.i < len(w.b) {
		return w, fault.Field("", "unexpected data after the JSON object")
	}
	if w.more > 0 {
		w.bad.Add("", "and %d more field errors", w.more)
	}
	return w, w.bad.Err()
}

func (w *walker) ws() {
	for w.i < len(w.b) {
		switch w.b[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

func (w *walker) fail(msg string) error { return &syntaxError{off: w.i, msg: msg} }

// shapeOf lists the JSON members of struct type t as encoding/json sees
// them (embedded structs without a tag are flattened), built once a type.
func shapeOf(t reflect.Type) *shape {
	if s, ok := shapes.Load(t); ok {
		return s.(*shape)
	}
	s := &shape{fields: map[string]field{}}
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			ft := f.Type
			if f.Anonymous && name == "" {
				for ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					add(ft)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			req := f.Tag.Get("wf") == "required"
			s.fields[name] = field{typ: f.Type, required: req}
			if req {
				s.required = append(s.required, name)
			}
		}
	}
	add(t)
	v, _ := shapes.LoadOrStore(t, s)
	return v.(*shape)
}

// kind says what a JSON value at b[i] is, in words.
func (w *walker) kind() string {
	switch c := w.b[w.i]; {
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "true or false"
	case c == 'n':
		return "null"
	}
	return "a number"
}

// value walks one value expected to fit t (nil: anything).
func (w *walker) value(t reflect.Type, depth int) error {
	if depth > maxDepth {
		return w.fail(fmt.Sprintf("nested deeper than %d levels", maxDepth))
	}
	w.ws()
	if w.i >= len(w.b) {
		return w.fail("the body ends too early")
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && ownRules(t) {
		t = nil // decoded by its own rules: only syntax and duplicate keys here
	}
	if w.b[w.i] == 'n' { // null fits every field: it leaves it unset
		return w.literal("null")
	}
	want := ""
	if t != nil {
		switch t.Kind() {
		case reflect.Struct, reflect.Map:
			if w.b[w.i] != '{' {
				want = "an object"
			}
		case reflect.Slice, reflect.Array:
			if w.b[w.i] != '[' {
				want = "an array"
			}
		case reflect.String:
			if w.b[w.i] != '"' {
				want = "a string"
			}
		case reflect.Bool:
			if w.b[w.i] != 't' && w.b[w.i] != 'f' {
				want = "true or false"
			}
		default:
			if c := w.b[w.i]; c != '-' && (c < '0' || c > '9') {
				want = "a number"
			}
		}
	}
	if want != "" {
		w.add("must be %s, not %s", want, w.kind())
		t = nil
	}
	switch c := w.b[w.i]; {
	case c == '{':
		return w.object(t, depth)
	case c == '[':
		var elem reflect.Type
		if t != nil {
			elem = t.Elem()
		}
		return w.array(elem, depth)
	case c == '"':
		_, nul, err := w.str()
		if err != nil {
			return err
		}
		if nul {
			w.add("must not contain NUL characters")
		}
		return nil
	case c == 't':
		return w.literal("true")
	case c == 'f':
		return w.literal("false")
	case c == '-' || c >= '0' && c <= '9':
		start := w.i
		if err := w.number(); err != nil {
			return err
		}
		if t != nil {
			w.numberFits(t, w.b[start:w.i])
		}
		return nil
	}
	return w.fail(fmt.Sprintf("unexpected character %q", w.b[w.i]))
}

// ownRules reports whether values of t decode by rules of their own: an
// interface, []byte (base64), or a type with its own unmarshalling.
func ownRules(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t.Kind() == reflect.Interface || t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 ||
		p.Implements(reflect.TypeFor[json.Unmarshaler]()) || p.Implements(reflect.TypeFor[encoding.TextUnmarshaler]())
}

// numberFits checks that the number n fits a field of type t. Most numbers
// are checked without parsing: a float without an exponent cannot overflow,
// nor an integer of few digits.
func (w *walker) numberFits(t reflect.Type, n []byte) {
	plain := !bytes.ContainsAny(n, ".eE")
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if plain && t.Bits() == 64 && len(n) <= 18 {
			return
		}
		if _, err := strconv.ParseInt(string(n), 10, t.Bits()); err != nil {
			w.add("must be a whole number from %d to %d, not %s", int64(-1)<<(t.Bits()-1), int64(1)<<(t.Bits()-1)-1, n)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if _, err := strconv.ParseUint(string(n), 10, t.Bits()); err != nil {
			w.add("must be a whole number from 0 to %d, not %s", uint64(1)<<(t.Bits()-1)*2-1, n)
		}
	case reflect.Float32, reflect.Float64:
		if plain && t.Bits() == 64 && len(n) < 300 {
			return
		}
		if _, err := strconv.ParseFloat(string(n), t.Bits()); err != nil {
			w.add("must be a number within range, not %s", n)
		}
	}
}

func (w *walker) literal(lit string) error {
	if !strings.HasPrefix(string(w.b[w.i:min(len(w.b), w.i+len(lit))]), lit) {
		return w.fail("invalid literal")
	}
	w.i += len(lit)
	return nil
}

func (w *walker) number() error {
	digits := func() int {
		n := 0
		for w.i < len(w.b) && w.b[w.i] >= '0' && w.b[w.i] <= '9' {
			w.i++
			n++
		}
		return n
	}
	if w.b[w.i] == '-' {
		w.i++
	}
	if w.i < len(w.b) && w.b[w.i] == '0' {
		w.i++
	} else if digits() == 0 {
		return w.fail("invalid number")
	}
	if w.i < len(w.b) && w.b[w.i] == '.' {
		w.i++
		if digits() == 0 {
			return w.fail("invalid number")
		}
	}
	if w.i < len(w.b) && (w.b[w.i] == 'e' || w.b[w.i] == 'E') {
		w.i++
		if w.i < len(w.b) && (w.b[w.i] == '+' || w.b[w.i] == '-') {
			w.i++
		}
		if digits() == 0 {
			return w.fail("invalid number")
		}
	}
	return nil
}

// str reads a string at b[i] and returns it decoded (a slice of the body
// when it has no escapes), and whether it holds a NUL character.
func (w *walker) str() ([]byte, bool, error) {
	start := w.i
	w.i++
	escaped, nul := false, false
	for {
		if w.i >= len(w.b) {
			return nil, false, w.fail("unterminated string")
		}
		c := w.b[w.i]
		switch {
		case c == '"':
			w.i++
			raw := w.b[start:w.i]
			if !escaped {
				return raw[1 : len(raw)-1], false, nil
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, false, &syntaxError{off: start, msg: "invalid string"}
			}
			return []byte(s), nul, nil
		case c < 0x20:
			return nil, false, w.fail("control character in a string")
		case c == '\\':
			escaped = true
			if w.i+1 >= len(w.b) {
				return nil, false, w.fail("unterminated string")
			}
			switch w.b[w.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				w.i += 2
			case 'u':
				if w.i+6 > len(w.b) {
					return nil, false, w.fail("invalid \\u escape")
				}
				v, err := strconv.ParseUint(string(w.b[w.i+2:w.i+6]), 16, 16)
				if err != nil {
					return nil, false, w.fail("invalid \\u escape")
				}
				nul = nul || v == 0
				w.i += 6
			default:
				return nil, false, w.fail("invalid escape")
			}
		default:
			w.i++
		}
	}
}

func (w *walker) object(t reflect.Type, depth int) error {
	w.i++ // {
	var sh *shape
	var elem reflect.Type
	if t != nil && t.Kind() == reflect.Struct {
		sh = shapeOf(t)
	} else if t != nil && t.Kind() == reflect.Map {
		elem = t.Elem()
	}
	var buf [smallObject][]byte
	seen := members{list: buf[:0]}
	w.ws()
	if w.i < len(w.b) && w.b[w.i] == '}' {
		w.i++
		w.missing(sh, &seen)
		return nil
	}
	for n := 1; ; n++ {
		if n > maxMembers {
			return w.fail(fmt.Sprintf("an object has more than %d members", maxMembers))
		}
		w.ws()
		if w.i >= len(w.b) || w.b[w.i] != '"' {
			return w.fail("expected a quoted member name")
		}
		key, nul, err := w.str()
		if err != nil {
			return err
		}
		w.path = append(w.path, step{key: key})
		if nul {
			w.add("a member name must not contain NUL characters")
		}
		if !seen.add(key, &w.cmps) {
			w.add("appears more than once in the same object")
		}
		w.ws()
		if w.i >= len(w.b) || w.b[w.i] != ':' {
			return w.fail("expected a colon after a member name")
		}
		w.i++
		ft := elem
		if sh != nil {
			f, ok := sh.fields[string(key)]
			if !ok {
				w.unknown(sh, string(key))
			}
			if w.ws(); f.required && w.i < len(w.b) && w.b[w.i] == 'n' {
				w.add("required: not null")
			}
			ft = f.typ
		}
		if err := w.value(ft, depth+1); err != nil {
			return err
		}
		w.path = w.path[:len(w.path)-1]
		w.ws()
		if w.i >= len(w.b) {
			return w.fail("the body ends too early")
		}
		switch w.b[w.i] {
		case ',':
			w.i++
		case '}':
			w.i++
			w.missing(sh, &seen)
			return nil
		default:
			return w.fail("expected a comma or a closing brace")
		}
	}
}

// smallObject is how many members an object's names are kept in a list
// for; past it they go into a map, so that finding duplicates among n
// members costs O(n), not O(n²).
const smallObject = 16

// members are the names met so far in one object.
type members struct {
	list [][]byte
	set  map[string]struct{}
}

// add records key and reports whether it is new; cmps counts the work.
func (m *members) add(key []byte, cmps *int) bool {
	if m.set == nil {
		for _, k := range m.list {
			*cmps++
			if bytes.Equal(k, key) {
				return false
			}
		}
		if len(m.list) < smallObject {
			m.list = append(m.list, key)
			return true
		}
		m.set = make(map[string]struct{}, 2*smallObject)
		for _, k := range m.list {
			m.set[string(k)] = struct{}{}
		}
		m.list = nil
	}
	*cmps++
	if _, dup := m.set[string(key)]; dup {
		return false
	}
	m.set[string(key)] = struct{}{}
	return true
}

func (m *members) has(name string) bool {
	if m.set != nil {
		_, ok := m.set[name]
		return ok
	}
	return slices.ContainsFunc(m.list, func(k []byte) bool { return string(k) == name })
}

// unknown records an unknown member, naming the field it differs from
// only by case. Past maxErrors it only counts: the search for a
// case-insensitive match is not made for errors that are not listed.
func (w *walker) unknown(sh *shape, key string) {
	if len(w.bad.Errors) >= maxErrors {
		w.more++
		return
	}
	for name := range sh.fields {
		if strings.EqualFold(name, key) {
			w.add("unknown field: names are case-sensitive, did you mean %q?", name)
			return
		}
	}
	w.add("unknown field")
}

func (w *walker) missing(sh *shape, seen *members) {
	if sh == nil {
		return
	}
	for _, name := range sh.required {
		if !seen.has(name) {
			w.path = append(w.path, step{key: []byte(name)})
			w.add("required")
			w.path = w.path[:len(w.path)-1]
		}
	}
}

func (w *walker) array(elem reflect.Type, depth int) error {
	w.i++ // [
	w.ws()
	if w.i < len(w.b) && w.b[w.i] == ']' {
		w.i++
		return nil
	}
	for n := 0; ; n++ {
		w.path = append(w.path, step{index: n})
		if err := w.value(elem, depth+1); err != nil {
			return err
		}
		w.path = w.path[:len(w.path)-1]
		w.ws()
		if w.i >= len(w.b) {
			return w.fail("the body ends too early")
		}
		switch w.b[w.i] {
		case ',':
			w.i++
		case ']':
			w.i++
			return nil
		default:
			return w.fail("expected a comma or a closing bracket")
		}
	}
}

// Decode strictly decodes a JSON object into v. Every field error of
// the body is reported at once: unknown fields and names that differ from a
// field's only by case, keys that appear twice in one object, wrong types,
// numbers out of range, NUL characters, and members tagged wf:"required"
// missing from an object present. Malformed JSON, trailing data and a body
// that is not UTF-8 are errors of the whole body (field "").
func Decode(body []byte, v any) error {
	if err := strictCheck(body, v); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fault.Field("", "unexpected data after the JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fault.Field("", "malformed JSON at byte %d: %v", syn.Offset, err)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return fault.Field("", "the body must be a JSON object")
		}
		return fault.Field(field, "must be %s, not %s", kindName(typ.Type.Kind().String()), typ.Value)
	case errors.Is(err, io.EOF):
		return fault.Field("", "the body is empty: a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fault.Field("", "malformed JSON: the body ends too early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return fault.Field(name, "unknown field")
	}
	return fault.Field("", "malformed JSON: %v", err)
}

func kindName(k string) string {
	switch k {
	case "int64", "int", "float64", "uint64":
		return "a number of the right kind (" + k + ")"
	case "ptr", "struct":
		return "an object"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	}
	return "a " + k
}

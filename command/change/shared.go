package change

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// Part is JSON object members that many values repeat (a plan group's
// orders in each of its 2,000 tasks), which a store may keep once.
type Part struct {
	// Key names the part by its content: the same members always have the
	// same Key, so a stored part never changes and can be cached anywhere.
	Key string
	// JSON is the members without the object's braces: `"a":1,"b":[2]`.
	JSON []byte
}

// NewPart encodes v, a JSON object with at least one member, as a part.
func NewPart(v any) (Part, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Part{}, fmt.Errorf("encoding a shared part: %w", err)
	}
	if !members(b) {
		return Part{}, fmt.Errorf("a shared part must be a JSON object with members, not %.40s", b)
	}
	b = b[1 : len(b)-1]
	sum := sha256.Sum256(b)
	return Part{Key: hex.EncodeToString(sum[:16]), JSON: b}, nil
}

// With is the value of own's members (at least one, none named as one of
// the part's) and the part's; of is the domain value they encode.
func (p Part) With(own, of any) (*Shared, error) {
	o, err := json.Marshal(own)
	if err != nil {
		return nil, fmt.Errorf("encoding a value with a shared part: %w", err)
	}
	if !members(o) {
		return nil, fmt.Errorf("a value with a shared part must be a JSON object with members, not %.40s", o)
	}
	return &Shared{Part: p, Own: o, Of: of}, nil
}

// Shared is a document or event value with a Part that a store may keep
// once: what it stores refers to the part, and reads back whole. Its JSON
// is the whole value, so a store that keeps values whole needs nothing
// more. Every read of a document or a stream gives it whole (the store's
// LoadDoc and document reads, Range, Tail, Notifications and the
// notifications feed); a unit's task.assigned is the one taken so far.
type Shared struct {
	Part Part
	// Own is the value's own members as a JSON object: `{"id":"x"}`.
	Own []byte
	// Of is the domain value encoded, for a store that indexes by it.
	Of any
}

// members reports whether b is a JSON object with at least one member.
func members(b []byte) bool {
	return len(b) > 2 && b[0] == '{' && b[len(b)-1] == '}'
}

// MarshalJSON is the whole value: the part's members, then Own's.
func (s *Shared) MarshalJSON() ([]byte, error) {
	out := make([]byte, 0, len(s.Part.JSON)+len(s.Own)+1)
	out = append(out, '{')
	out = append(out, s.Part.JSON...)
	out = append(out, ',')
	return append(out, s.Own[1:]...), nil
}

// SharedMark opens and closes a reference to a shared part in a stored
// value: a control character, which JSON never holds unescaped.
const SharedMark = 0x02

// Slim is how a store keeps the value: the part replaced by a reference
// to its key, `{` + mark + key + mark + `,` + Own's members.
func (s *Shared) Slim() []byte {
	out := make([]byte, 0, len(s.Part.Key)+len(s.Own)+3)
	out = append(out, '{', SharedMark)
	out = append(out, s.Part.Key...)
	out = append(out, SharedMark, ',')
	return append(out, s.Own[1:]...)
}

// Whole returns stored with every reference to a part replaced by the part
// part(key) gives, as one new slice of its exact size (stored is a string
// because Redis's replies are: reading one whole costs one copy).
func Whole(stored string, part func(key string) ([]byte, error)) ([]byte, error) {
	i := strings.IndexByte(stored, SharedMark)
	if i < 0 {
		return []byte(stored), nil
	}
	// The references, found and their parts read first, so that the value
	// is copied once into a slice of its size; most values have one.
	type ref struct {
		at, end int // the reference's marks
		part    []byte
	}
	var few [4]ref
	refs, size := few[:0], len(stored)
	for i >= 0 {
		j := strings.IndexByte(stored[i+1:], SharedMark)
		if j < 0 {
			return nil, fmt.Errorf("a reference to a shared part is not closed in %.60q", stored)
		}
		end := i + 1 + j
		p, err := part(stored[i+1 : end])
		if err != nil {
			return nil, err
		}
		refs = append(refs, ref{at: i, end: end, part: p})
		size += len(p) - (end - i + 1)
		if k := strings.IndexByte(stored[end+1:], SharedMark); k >= 0 {
			i = end + 1 + k
		} else {
			i = -1
		}
	}
	out, from := make([]byte, 0, size), 0
	for _, r := range refs {
		out = append(out, stored[from:r.at]...)
		out = append(out, r.part...)
		from = r.end + 1
	}
	return append(out, stored[from:]...), nil
}

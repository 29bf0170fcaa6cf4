package change

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

type sharedPart struct {
	Orders []string `json:"orders"`
	Name   string   `json:"name"`
}

type sharedOwn struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

type sharedWhole struct {
	sharedPart
	sharedOwn
}

// TestSharedWholeAgain: a value with a shared part encodes as the whole
// value, and its slim form, read back with the part, gives the same bytes.
func TestSharedWholeAgain(t *testing.T) {
	p, err := NewPart(sharedPart{Orders: []string{"控制现场", "疏散"}, Name: "现场处置组"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := p.With(sharedOwn{ID: "A-1.g.car-1", Status: "assigned"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var got sharedWhole
	if err := json.Unmarshal(whole, &got); err != nil {
		t.Fatalf("%s: %v", whole, err)
	}
	want := sharedWhole{sharedPart{Orders: []string{"控制现场", "疏散"}, Name: "现场处置组"}, sharedOwn{ID: "A-1.g.car-1", Status: "assigned"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("whole %s decodes as %+v", whole, got)
	}
	slim := v.Slim()
	if strings.Contains(string(slim), "控制现场") || len(slim) >= len(whole) {
		t.Fatalf("slim %q carries the part", slim)
	}
	asked := 0
	again, err := Whole(string(slim), func(key string) ([]byte, error) {
		asked++
		if key != p.Key {
			t.Fatalf("asked for part %q, want %q", key, p.Key)
		}
		return p.JSON, nil
	})
	if err != nil || string(again) != string(whole) || asked != 1 {
		t.Fatalf("read back %s %v (asked %d), want %s", again, err, asked, whole)
	}
}

// TestPartKeyIsItsContent: the same members give the same key, others
// another; a part must be an object with members, and so must a value.
func TestPartKeyIsItsContent(t *testing.T) {
	a, _ := NewPart(sharedPart{Name: "a"})
	a2, _ := NewPart(sharedPart{Name: "a"})
	b, _ := NewPart(sharedPart{Name: "b"})
	if a.Key != a2.Key || a.Key == b.Key || len(a.Key) != 32 {
		t.Fatalf("keys %s %s %s", a.Key, a2.Key, b.Key)
	}
	for _, bad := range []any{struct{}{}, []int{1}, "x", nil} {
		if _, err := NewPart(bad); err == nil {
			t.Errorf("part %#v accepted", bad)
		}
		if _, err := a.With(bad, nil); err == nil {
			t.Errorf("value %#v accepted", bad)
		}
	}
}

// TestWholeOfStoredValues: what refers to no part comes back as it is;
// each reference is replaced; an unclosed one or a part that cannot be
// read is an error.
func TestWholeOfStoredValues(t *testing.T) {
	parts := map[string]string{"k1": `"a":1`, "k2": `"b":2`}
	read := func(key string) ([]byte, error) {
		if p, ok := parts[key]; ok {
			return []byte(p), nil
		}
		return nil, errors.New("no part " + key)
	}
	plain := `{"seq":1,"type":"x","data":{"id":"i"}}`
	if got, err := Whole(plain, read); err != nil || string(got) != plain {
		t.Fatalf("a value with no reference changed or was refused: %s %v", got, err)
	}
	for _, c := range []struct{ stored, want, err string }{
		{"{\x02k1\x02,\"id\":\"i\"}", `{"a":1,"id":"i"}`, ""},
		{"{\"seq\":3,\"data\":{\x02k2\x02,\"id\":\"i\"}}", `{"seq":3,"data":{"b":2,"id":"i"}}`, ""},
		{"[{\x02k1\x02,\"x\":1},{\x02k2\x02,\"y\":2}]", `[{"a":1,"x":1},{"b":2,"y":2}]`, ""},
		{strings.Repeat("{\x02k1\x02,\"x\":1},", 5) + "{\x02k2\x02,\"y\":2}", strings.Repeat(`{"a":1,"x":1},`, 5) + `{"b":2,"y":2}`, ""},
		{"{\x02k1,\"id\":\"i\"}", "", "not closed"},
		{"{\x02k3\x02,\"id\":\"i\"}", "", "no part k3"},
	} {
		got, err := Whole(c.stored, read)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: %s %v, want an error saying %q", c.stored, got, err, c.err)
			}
			continue
		}
		if err != nil || string(got) != c.want || cap(got) != len(got) {
			t.Errorf("%q: %s (capacity %d) %v, want %s in a slice of its size", c.stored, got, cap(got), err, c.want)
		}
	}
}

// FuzzWhole: any stored bytes either read back or fail, never panic; bytes
// with no mark come back unchanged, and a slim value reads back whole.
func FuzzWhole(f *testing.F) {
	f.Add([]byte("{\x02k\x02,\"id\":1}"), []byte(`"a":[1]`))
	f.Add([]byte("\x02\x02\x02"), []byte(`"a":1`))
	f.Add([]byte(`{"plain":true}`), []byte(`"b":2`))
	f.Fuzz(func(t *testing.T, stored, part []byte) {
		got, err := Whole(string(stored), func(string) ([]byte, error) { return part, nil })
		if !strings.ContainsRune(string(stored), SharedMark) && (err != nil || string(got) != string(stored)) {
			t.Fatalf("%q with no mark read back as %q %v", stored, got, err)
		}
		var own, members map[string]any
		if json.Unmarshal(stored, &own) != nil || len(own) == 0 || json.Unmarshal(append(append([]byte("{"), part...), '}'), &members) != nil || len(members) == 0 {
			return
		}
		p, err := NewPart(members)
		if err != nil {
			t.Fatalf("part of %q: %v", part, err)
		}
		v, err := p.With(own, nil)
		if err != nil {
			t.Fatalf("value of %q: %v", stored, err)
		}
		part = p.JSON
		back, err := Whole(string(v.Slim()), func(string) ([]byte, error) { return part, nil })
		want, _ := json.Marshal(v)
		if err != nil || string(back) != string(want) {
			t.Fatalf("slim %q read back as %q %v, want %q", v.Slim(), back, err, want)
		}
	})
}

// BenchmarkWhole is what every read of a stream message or document pays
// to have it whole from Redis's reply: one scan and one copy of a message
// with no reference (most), and a task.assigned with one, its part cached.
func BenchmarkWhole(b *testing.B) {
	plain := []byte(`{"seq":12,"type":"incident.updated","at":"2026-12-06T09:30:00Z","data":` + strings.Repeat(`{"id":"I-20261206-000123","title":"解放路下穿隧道积水"},`, 30) + `{}}`)
	p, err := NewPart(sharedPart{Orders: slices.Repeat([]string{"控制现场秩序，疏散周边群众，设置警戒区域，防止事态扩大"}, 12), Name: "现场处置组"})
	if err != nil {
		b.Fatal(err)
	}
	v, err := p.With(sharedOwn{ID: "A-20261206-0001.g.car-0001", Status: "assigned"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	slim := append([]byte(`{"seq":1,"type":"task.assigned","at":"2026-12-06T09:30:00Z","data":`), append(v.Slim(), '}')...)
	part := func(string) ([]byte, error) { return p.JSON, nil }
	for _, c := range []struct {
		name   string
		stored string
	}{{"no-reference", string(plain)}, {"task-with-part", string(slim)}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.stored)))
			for b.Loop() {
				if _, err := Whole(c.stored, part); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

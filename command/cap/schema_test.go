package cap_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// The OASIS CAP 1.2 schema (CAP-v1.2.xsd) is not available offline; this
// table encodes what it requires, from the CAP 1.2 specification
// (OASIS Standard, 1 July 2010): the elements of each block in the
// schema's sequence order, how often each may occur and the values of its
// enumerations. Sections: alert §3.2.1, info §3.2.2, resource §3.2.3,
// area §3.2.4, eventCode/parameter/geocode value pairs §3.2.2 and §3.2.4,
// dateTime §3.3.2.
type elem struct {
	name     string
	min, max int // max -1: unbounded
	enum     []string
}

const many = -1

var schema = map[string][]elem{
	"alert": {
		{"identifier", 1, 1, nil}, {"sender", 1, 1, nil}, {"sent", 1, 1, nil},
		{"status", 1, 1, []string{"Actual", "Exercise", "System", "Test", "Draft"}},
		{"msgType", 1, 1, []string{"Alert", "Update", "Cancel", "Ack", "Error"}},
		{"source", 0, 1, nil},
		{"scope", 1, 1, []string{"Public", "Restricted", "Private"}},
		{"restriction", 0, 1, nil}, {"addresses", 0, 1, nil}, {"code", 0, many, nil}, {"note", 0, 1, nil},
		{"references", 0, 1, nil}, {"incidents", 0, 1, nil}, {"info", 0, many, nil},
	},
	"info": {
		{"language", 0, 1, nil},
		{"category", 1, many, []string{"Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE", "Other"}},
		{"event", 1, 1, nil},
		{"responseType", 0, many, []string{"Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None"}},
		{"urgency", 1, 1, []string{"Immediate", "Expected", "Future", "Past", "Unknown"}},
		{"severity", 1, 1, []string{"Extreme", "Severe", "Moderate", "Minor", "Unknown"}},
		{"certainty", 1, 1, []string{"Observed", "Likely", "Possible", "Unlikely", "Unknown"}},
		{"audience", 0, 1, nil}, {"eventCode", 0, many, nil}, {"effective", 0, 1, nil}, {"onset", 0, 1, nil},
		{"expires", 0, 1, nil}, {"senderName", 0, 1, nil}, {"headline", 0, 1, nil}, {"description", 0, 1, nil},
		{"instruction", 0, 1, nil}, {"web", 0, 1, nil}, {"contact", 0, 1, nil}, {"parameter", 0, many, nil},
		{"resource", 0, many, nil}, {"area", 0, many, nil},
	},
	"resource": {
		{"resourceDesc", 1, 1, nil}, {"mimeType", 1, 1, nil}, {"size", 0, 1, nil}, {"uri", 0, 1, nil},
		{"derefUri", 0, 1, nil}, {"digest", 0, 1, nil},
	},
	"area": {
		{"areaDesc", 1, 1, nil}, {"polygon", 0, many, nil}, {"circle", 0, many, nil}, {"geocode", 0, many, nil},
		{"altitude", 0, 1, nil}, {"ceiling", 0, 1, nil},
	},
	"eventCode": {{"valueName", 1, 1, nil}, {"value", 1, 1, nil}},
	"parameter": {{"valueName", 1, 1, nil}, {"value", 1, 1, nil}},
	"geocode":   {{"valueName", 1, 1, nil}, {"value", 1, 1, nil}},
}

// node is one parsed element.
type node struct {
	ns, name, text string
	kids           []*node
}

func (n *node) kid(name string) *node {
	for _, k := range n.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

func (n *node) all(name string) []*node {
	var out []*node
	for _, k := range n.kids {
		if k.name == name {
			out = append(out, k)
		}
	}
	return out
}

// parse reads a document into nodes with encoding/xml.
func parse(b []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return root, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{ns: t.Name.Space, name: t.Name.Local}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
}

var (
	dateTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$`) // §3.3.2
	noSpace  = regexp.MustCompile(`^[^\s,<&]+$`)                                   // identifier, sender §3.2.1
	pair     = `-?\d+(\.\d+)?,-?\d+(\.\d+)?`
	polygon  = regexp.MustCompile(`^` + pair + `( ` + pair + `){3,}$`)                    // §3.2.4
	circle   = regexp.MustCompile(`^` + pair + ` \d+(\.\d+)?$`)                           // §3.2.4
	refs     = regexp.MustCompile(`^[^\s,]+,[^\s,]+,[^\s,]+( [^\s,]+,[^\s,]+,[^\s,]+)*$`) // §3.2.1
)

// validate checks a CAP 1.2 document against the schema table and the
// spec's rules on values; it returns every problem.
func validate(b []byte) []string {
	root, err := parse(b)
	if err != nil {
		return []string{"not XML: " + err.Error()}
	}
	var bad []string
	add := func(f string, a ...any) { bad = append(bad, fmt.Sprintf(f, a...)) }
	if root.name != "alert" || root.ns != "urn:oasis:names:tc:emergency:cap:1.2" {
		add("root is {%s}%s, want {urn:oasis:names:tc:emergency:cap:1.2}alert", root.ns, root.name)
	}
	var walk func(n *node, path string)
	walk = func(n *node, path string) {
		seq, ok := schema[n.name]
		if !ok {
			return
		}
		i := 0
		for _, e := range seq {
			count := 0
			for i < len(n.kids) && n.kids[i].name == e.name {
				k := n.kids[i]
				if k.ns != "urn:oasis:names:tc:emergency:cap:1.2" {
					add("%s/%s: namespace %q", path, k.name, k.ns)
				}
				if e.enum != nil && !slices.Contains(e.enum, k.text) {
					add("%s/%s: %q is not one of %v", path, k.name, k.text, e.enum)
				}
				if _, nested := schema[k.name]; !nested && strings.TrimSpace(k.text) == "" {
					add("%s/%s: empty", path, k.name)
				}
				walk(k, path+"/"+k.name)
				count++
				i++
			}
			if count < e.min || e.max != many && count > e.max {
				add("%s: %d <%s>, want %d to %d", path, count, e.name, e.min, e.max)
			}
		}
		if i < len(n.kids) {
			add("%s: <%s> out of order or not in the schema", path, n.kids[i].name)
		}
	}
	walk(root, "alert")
	for _, k := range []string{"identifier", "sender"} {
		if n := root.kid(k); n != nil && !noSpace.MatchString(n.text) {
			add("%s %q has spaces, commas or <", k, n.text)
		}
	}
	times := []*node{root.kid("sent")}
	for _, in := range root.all("info") {
		times = append(times, in.kid("effective"), in.kid("onset"), in.kid("expires"))
		for _, ar := range in.all("area") {
			for _, p := range ar.all("polygon") {
				f := strings.Fields(p.text)
				if !polygon.MatchString(p.text) || f[0] != f[len(f)-1] {
					add("polygon %q: want 4 or more lat,lon pairs, first = last", p.text)
				}
			}
			for _, c := range ar.all("circle") {
				if !circle.MatchString(c.text) {
					add("circle %q: want \"lat,lon radius\"", c.text)
				}
			}
		}
	}
	for _, t := range times {
		if t != nil && !dateTime.MatchString(t.text) {
			add("dateTime %q: want YYYY-MM-DDThh:mm:ss±hh:mm (§3.3.2)", t.text)
		}
	}
	if s := root.kid("scope"); s != nil && s.text == "Restricted" && root.kid("restriction") == nil {
		add("scope Restricted without restriction (§3.2.1)")
	}
	if m := root.kid("msgType"); m != nil && (m.text == "Update" || m.text == "Cancel") {
		if r := root.kid("references"); r == nil || !refs.MatchString(r.text) {
			add("%s without references \"sender,identifier,sent\" (§3.2.1)", m.text)
		}
	}
	return bad
}

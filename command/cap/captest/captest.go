// Package captest checks CAP 1.2 documents for the tests of the CAP
// export, in package cap and in the acceptance tests: Validate holds a
// document against a table of what the CAP 1.2 schema requires, and Parse
// reads one into nodes to look at.
package captest

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

// Node is one parsed element: its namespace, name, text and children.
type Node struct {
	NS, Name, Text string
	Kids           []*Node
}

// Kid is n's first child called name, or nil.
func (n *Node) Kid(name string) *Node {
	for _, k := range n.Kids {
		if k.Name == name {
			return k
		}
	}
	return nil
}

// All are n's children called name.
func (n *Node) All(name string) []*Node {
	var out []*Node
	for _, k := range n.Kids {
		if k.Name == name {
			out = append(out, k)
		}
	}
	return out
}

// Parse reads a document into nodes with encoding/xml.
func Parse(b []byte) (*Node, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	var stack []*Node
	var root *Node
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
			n := &Node{NS: t.Name.Space, Name: t.Name.Local}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Kids = append(p.Kids, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text += string(t)
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

// Validate checks a CAP 1.2 document against the schema table and the
// spec's rules on values; it returns every problem.
func Validate(b []byte) []string {
	root, err := Parse(b)
	if err != nil {
		return []string{"not XML: " + err.Error()}
	}
	var bad []string
	add := func(f string, a ...any) { bad = append(bad, fmt.Sprintf(f, a...)) }
	if root.Name != "alert" || root.NS != "urn:oasis:names:tc:emergency:cap:1.2" {
		add("root is {%s}%s, want {urn:oasis:names:tc:emergency:cap:1.2}alert", root.NS, root.Name)
	}
	var walk func(n *Node, path string)
	walk = func(n *Node, path string) {
		seq, ok := schema[n.Name]
		if !ok {
			return
		}
		i := 0
		for _, e := range seq {
			count := 0
			for i < len(n.Kids) && n.Kids[i].Name == e.name {
				k := n.Kids[i]
				if k.NS != "urn:oasis:names:tc:emergency:cap:1.2" {
					add("%s/%s: namespace %q", path, k.Name, k.NS)
				}
				if e.enum != nil && !slices.Contains(e.enum, k.Text) {
					add("%s/%s: %q is not one of %v", path, k.Name, k.Text, e.enum)
				}
				if _, nested := schema[k.Name]; !nested && strings.TrimSpace(k.Text) == "" {
					add("%s/%s: empty", path, k.Name)
				}
				walk(k, path+"/"+k.Name)
				count++
				i++
			}
			if count < e.min || e.max != many && count > e.max {
				add("%s: %d <%s>, want %d to %d", path, count, e.name, e.min, e.max)
			}
		}
		if i < len(n.Kids) {
			add("%s: <%s> out of order or not in the schema", path, n.Kids[i].Name)
		}
	}
	walk(root, "alert")
	for _, k := range []string{"identifier", "sender"} {
		if n := root.Kid(k); n != nil && !noSpace.MatchString(n.Text) {
			add("%s %q has spaces, commas or <", k, n.Text)
		}
	}
	times := []*Node{root.Kid("sent")}
	for _, in := range root.All("info") {
		times = append(times, in.Kid("effective"), in.Kid("onset"), in.Kid("expires"))
		for _, ar := range in.All("area") {
			for _, p := range ar.All("polygon") {
				f := strings.Fields(p.Text)
				if !polygon.MatchString(p.Text) || f[0] != f[len(f)-1] {
					add("polygon %q: want 4 or more lat,lon pairs, first = last", p.Text)
				}
			}
			for _, c := range ar.All("circle") {
				if !circle.MatchString(c.Text) {
					add("circle %q: want \"lat,lon radius\"", c.Text)
				}
			}
		}
	}
	for _, t := range times {
		if t != nil && !dateTime.MatchString(t.Text) {
			add("dateTime %q: want YYYY-MM-DDThh:mm:ss±hh:mm (§3.3.2)", t.Text)
		}
	}
	if s := root.Kid("scope"); s != nil && s.Text == "Restricted" && root.Kid("restriction") == nil {
		add("scope Restricted without restriction (§3.2.1)")
	}
	if m := root.Kid("msgType"); m != nil && (m.Text == "Update" || m.Text == "Cancel") {
		if r := root.Kid("references"); r == nil || !refs.MatchString(r.Text) {
			add("%s without references \"sender,identifier,sent\" (§3.2.1)", m.Text)
		}
	}
	return bad
}

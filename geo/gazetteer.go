package geo

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Place kinds of the gazetteer (地名地址库).
const (
	PlaceAddress   = "address"    // 地址
	PlaceDoorPlate = "door_plate" // 门牌
	PlacePole      = "pole"       // 电杆编号
	PlaceLandmark  = "landmark"   // 地标
	PlaceBuilding  = "building"   // 建筑
)

// PlaceKinds lists the kinds a gazetteer entry may have.
var PlaceKinds = []string{PlaceAddress, PlaceDoorPlate, PlacePole, PlaceLandmark, PlaceBuilding}

// Gazetteer limits: what one entry and one query may hold.
const (
	MaxPlaceText  = 200 // runes in a name or an address
	MaxPlaceCode  = 64  // bytes in a code
	MaxQueryRunes = 64  // runes in a search
)

// Place is one entry of the gazetteer: an address, a door plate, a pole
// number, a landmark or a building, with where it is (WGS-84).
type Place struct {
	Code    string  `json:"code"`
	Name    string  `json:"name"`
	Kind    string  `json:"kind"`
	Address string  `json:"address,omitempty"`
	Lon     float64 `json:"-"`
	Lat     float64 `json:"-"`
}

// Gazetteer searches places by prefix and substring of their name,
// address or code. It is built once and read concurrently.
type Gazetteer struct {
	// places are ordered by name length, then code: the order results of
	// equal rank come in, so a scan can stop at the first that cannot win.
	places []Place
	// hay is each place's lower-cased name, address and code joined by
	// NUL; names and codes are kept lower-cased for prefix tests.
	hay, names, codes []string
	// byCode and byName hold place indexes sorted by lower-cased code and
	// name, for prefix ranges by binary search.
	byCode, byName []int32
	// grams maps a rune pair (or a single rune, second half zero) to the
	// places whose hay holds it, in ascending order.
	grams map[uint64][]int32
}

// PlaceMatch is one search result: the place and how well it matched
// (lower is better: 0 the exact code, 1 a code prefix, 2 a name prefix,
// 3 a substring of name, address or code).
type PlaceMatch struct {
	Place
	Rank int
}

// NewGazetteer indexes places; each must already be valid (see ParsePlaces).
func NewGazetteer(places []Place) *Gazetteer {
	places = slices.Clone(places)
	slices.SortStableFunc(places, func(a, b Place) int { return placeOrder(a, b) })
	n := len(places)
	g := &Gazetteer{places: places, hay: make([]string, n), names: make([]string, n),
		codes: make([]string, n), byCode: make([]int32, n), byName: make([]int32, n), grams: map[uint64][]int32{}}
	seen := map[uint64]struct{}{}
	for i, p := range places {
		g.names[i] = strings.ToLower(p.Name)
		g.codes[i] = strings.ToLower(p.Code)
		g.byCode[i], g.byName[i] = int32(i), int32(i)
		g.hay[i] = g.names[i] + "\x00" + strings.ToLower(p.Address) + "\x00" + g.codes[i]
		var prev rune = -1
		clear(seen)
		for _, r := range g.hay[i] {
			if r == 0 {
				prev = -1
				continue
			}
			keys := [2]uint64{gram(r, 0), 0}
			if prev >= 0 {
				keys[1] = gram(prev, r)
			}
			for _, k := range keys {
				if k == 0 {
					continue
				}
				if _, dup := seen[k]; !dup {
					seen[k] = struct{}{}
					g.grams[k] = append(g.grams[k], int32(i))
				}
			}
			prev = r
		}
	}
	slices.SortFunc(g.byCode, func(a, b int32) int { return strings.Compare(g.codes[a], g.codes[b]) })
	slices.SortFunc(g.byName, func(a, b int32) int { return strings.Compare(g.names[a], g.names[b]) })
	return g
}

func gram(a, b rune) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// placeOrder orders places of equal rank: shorter names first, then by code.
func placeOrder(a, b Place) int {
	la, lb := utf8.RuneCountInString(a.Name), utf8.RuneCountInString(b.Name)
	if la != lb {
		return la - lb
	}
	return strings.Compare(a.Code, b.Code)
}

// Len is the number of places.
func (g *Gazetteer) Len() int { return len(g.places) }

// Search returns up to limit places whose name, address or code contains
// q (case-insensitive), best first: the exact code, then code prefixes,
// name prefixes and substrings, shorter names before longer ones. Its
// cost is bounded by the prefix ranges and the first matches of the
// rarest rune pair, not by the size of the gazetteer.
func (g *Gazetteer) Search(q string, limit int) []PlaceMatch {
	q = strings.ToLower(strings.TrimSpace(q))
	// NUL separates the fields of a place's searched text: a query holding
	// one would match across fields, so it matches nothing.
	if g == nil || q == "" || limit <= 0 || strings.ContainsRune(q, 0) {
		return nil
	}
	t := topK{limit: limit, best: make([]match, 0, limit+1)}
	// Prefixes of codes and names, by binary search.
	lo, hi := prefixRange(g.byCode, g.codes, q)
	for _, i := range g.byCode[lo:hi] {
		rank := 1
		if g.codes[i] == q {
			rank = 0
		}
		t.offer(match{i, rank})
	}
	lo, hi = prefixRange(g.byName, g.names, q)
	for _, i := range g.byName[lo:hi] {
		if !strings.HasPrefix(g.codes[i], q) {
			t.offer(match{i, 2})
		}
	}
	// Substrings: the places holding the query's rarest rune pair (or its
	// one rune), in result order, so the scan ends at the first that
	// cannot enter the results.
	rs := []rune(q)
	var cand []int32
	if len(rs) == 1 {
		cand = g.grams[gram(rs[0], 0)]
	} else {
		for i := 1; i < len(rs); i++ {
			list, ok := g.grams[gram(rs[i-1], rs[i])]
			if !ok {
				return g.results(t.best)
			}
			if cand == nil || len(list) < len(cand) {
				cand = list
			}
		}
	}
	whole := len(rs) <= 2 // the gram is the whole query
	for _, i := range cand {
		if strings.HasPrefix(g.codes[i], q) || strings.HasPrefix(g.names[i], q) {
			continue // ranked above
		}
		if !whole && !strings.Contains(g.hay[i], q) {
			continue
		}
		if !t.offer(match{i, 3}) {
			break
		}
	}
	return g.results(t.best)
}

type match struct {
	i    int32
	rank int
}

// topK keeps the best limit matches; places are ordered so that, within a
// rank, a lower index is better.
type topK struct {
	limit int
	best  []match
}

func (t *topK) less(a, b match) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return a.i < b.i
}

// offer adds m when it is among the best; it reports false when m did not
// enter a full list.
func (t *topK) offer(m match) bool {
	if len(t.best) == t.limit && !t.less(m, t.best[t.limit-1]) {
		return false
	}
	at, _ := slices.BinarySearchFunc(t.best, m, func(a, b match) int {
		if t.less(a, b) {
			return -1
		}
		return 1
	})
	t.best = slices.Insert(t.best, at, m)
	if len(t.best) > t.limit {
		t.best = t.best[:t.limit]
	}
	return true
}

func (g *Gazetteer) results(ms []match) []PlaceMatch {
	out := make([]PlaceMatch, len(ms))
	for k, m := range ms {
		out[k] = PlaceMatch{Place: g.places[m.i], Rank: m.rank}
	}
	return out
}

// prefixRange returns the range of sorted (indexes into keys, ordered by
// key) whose key starts with p.
func prefixRange(sorted []int32, keys []string, p string) (int, int) {
	lo, _ := slices.BinarySearchFunc(sorted, p, func(i int32, p string) int { return strings.Compare(keys[i], p) })
	hi := lo
	for hi < len(sorted) && strings.HasPrefix(keys[sorted[hi]], p) {
		hi++
	}
	return lo, hi
}

// ParsePlaces reads a gazetteer from CSV (a header row naming at least
// code, name, kind, lon and lat; address optional; UTF-8, BOM allowed) or
// from a GeoJSON FeatureCollection of points with those properties. name
// is the file's name, for errors, and picks the format by its extension.
// A bad entry is an error naming its row (or feature) and field.
func ParsePlaces(b []byte, name string) ([]Place, error) {
	if strings.HasSuffix(strings.ToLower(name), ".geojson") || strings.HasSuffix(strings.ToLower(name), ".json") {
		return parsePlacesGeoJSON(b, name)
	}
	return parsePlacesCSV(b, name)
}

// PlaceError is a bad gazetteer entry: the file, its row (CSV, 1-based,
// the header being row 1) or feature index, the field and why.
type PlaceError struct {
	File   string
	Row    int
	Field  string
	Reason string
}

func (e *PlaceError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s: row %d: %s", e.File, e.Row, e.Reason)
	}
	return fmt.Sprintf("%s: row %d, %s: %s", e.File, e.Row, e.Field, e.Reason)
}

func parsePlacesCSV(b []byte, file string) ([]Place, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return nil, &PlaceError{File: file, Row: 1, Reason: "no header row: " + errText(err)}
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := col[h]; dup && h != "" {
			return nil, &PlaceError{File: file, Row: 1, Field: h, Reason: "column named twice"}
		}
		col[h] = i
	}
	for _, need := range []string{"code", "name", "kind", "lon", "lat"} {
		if _, ok := col[need]; !ok {
			return nil, &PlaceError{File: file, Row: 1, Field: need, Reason: "missing column (the header needs code, name, kind, lon, lat; address is optional)"}
		}
	}
	var out []Place
	seen := map[string]int{}
	for row := 2; ; row++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &PlaceError{File: file, Row: row, Reason: errText(err)}
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		get := func(c string) string {
			i, ok := col[c]
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		p := Place{Code: get("code"), Name: get("name"), Kind: get("kind"), Address: get("address")}
		var perr *PlaceError
		p.Lon, perr = coord(get("lon"), "lon", 180)
		if perr == nil {
			p.Lat, perr = coord(get("lat"), "lat", 90)
		}
		if perr == nil {
			perr = checkPlace(&p)
		}
		if perr == nil {
			if first, dup := seen[p.Code]; dup {
				perr = &PlaceError{Field: "code", Reason: fmt.Sprintf("%q is already used on row %d", p.Code, first)}
			}
		}
		if perr != nil {
			perr.File, perr.Row = file, row
			return nil, perr
		}
		seen[p.Code] = row
		out = append(out, p)
	}
	return out, nil
}

func errText(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func coord(s, field string, bound float64) (float64, *PlaceError) {
	if s == "" {
		return 0, &PlaceError{Field: field, Reason: "missing"}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, &PlaceError{Field: field, Reason: fmt.Sprintf("%q is not a number", clip(s))}
	}
	if f < -bound || f > bound {
		return 0, &PlaceError{Field: field, Reason: fmt.Sprintf("%v is out of range (±%v)", f, bound)}
	}
	return f, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// checkPlace validates the text fields of p (coordinates are checked by
// the caller).
func checkPlace(p *Place) *PlaceError {
	switch {
	case p.Code == "":
		return &PlaceError{Field: "code", Reason: "missing"}
	case len(p.Code) > MaxPlaceCode:
		return &PlaceError{Field: "code", Reason: fmt.Sprintf("longer than %d bytes", MaxPlaceCode)}
	case strings.IndexFunc(p.Code, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0:
		return &PlaceError{Field: "code", Reason: "holds spaces or control characters"}
	case !visible(p.Name):
		return &PlaceError{Field: "name", Reason: "missing, or only invisible characters"}
	case utf8.RuneCountInString(p.Name) > MaxPlaceText:
		return &PlaceError{Field: "name", Reason: fmt.Sprintf("longer than %d characters", MaxPlaceText)}
	case utf8.RuneCountInString(p.Address) > MaxPlaceText:
		return &PlaceError{Field: "address", Reason: fmt.Sprintf("longer than %d characters", MaxPlaceText)}
	case !slices.Contains(PlaceKinds, p.Kind):
		return &PlaceError{Field: "kind", Reason: fmt.Sprintf("%q is not one of %s", clip(p.Kind), strings.Join(PlaceKinds, ", "))}
	case !utf8.ValidString(p.Name) || !utf8.ValidString(p.Address):
		return &PlaceError{Field: "name", Reason: "not valid UTF-8"}
	case strings.IndexFunc(p.Name+p.Address, unicode.IsControl) >= 0:
		return &PlaceError{Field: "name", Reason: "holds control characters"}
	}
	return nil
}

// visible reports whether s holds a letter, digit, symbol or punctuation
// (not only spaces and format characters such as U+200B).
func visible(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsSymbol(r) || unicode.IsPunct(r)
	}) >= 0
}

func parsePlacesGeoJSON(b []byte, file string) ([]Place, error) {
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Geometry *struct {
				Type        string    `json:"type"`
				Coordinates []float64 `json:"coordinates"`
			} `json:"geometry"`
			Properties struct {
				Code    json.RawMessage `json:"code"`
				Name    string          `json:"name"`
				Kind    string          `json:"kind"`
				Address string          `json:"address"`
			} `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		return nil, &PlaceError{File: file, Reason: "not a GeoJSON FeatureCollection: " + err.Error()}
	}
	if fc.Type != "FeatureCollection" {
		return nil, &PlaceError{File: file, Field: "type", Reason: "must be FeatureCollection"}
	}
	out := make([]Place, 0, len(fc.Features))
	seen := map[string]int{}
	for i, f := range fc.Features {
		fail := func(field, reason string) error {
			return &PlaceError{File: file, Row: i, Field: "features[" + strconv.Itoa(i) + "]." + field, Reason: reason}
		}
		if f.Geometry == nil || f.Geometry.Type != "Point" || len(f.Geometry.Coordinates) < 2 {
			return nil, fail("geometry", "must be a Point with [lon, lat]")
		}
		code := strings.TrimSpace(string(f.Properties.Code))
		if s, err := strconv.Unquote(code); err == nil {
			code = s
		}
		p := Place{Code: strings.TrimSpace(code), Name: strings.TrimSpace(f.Properties.Name), Kind: strings.TrimSpace(f.Properties.Kind),
			Address: strings.TrimSpace(f.Properties.Address), Lon: f.Geometry.Coordinates[0], Lat: f.Geometry.Coordinates[1]}
		if !ValidPoint(p.Lon, p.Lat) {
			return nil, fail("geometry", "coordinates out of range")
		}
		if perr := checkPlace(&p); perr != nil {
			return nil, fail("properties."+perr.Field, perr.Reason)
		}
		if first, dup := seen[p.Code]; dup {
			return nil, fail("properties.code", fmt.Sprintf("%q is already used by feature %d", p.Code, first))
		}
		seen[p.Code] = i
		out = append(out, p)
	}
	return out, nil
}

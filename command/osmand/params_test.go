package osmand

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"watchfloor/command/fault"
)

// paramNames are the parameters the decoder reads, by index.
var paramNames = [nParams]string{"id", "deviceid", "lat", "lon", "location", "timestamp", "speed", "bearing", "heading", "altitude", "accuracy", "hdop", "batt", "valid"}

// fromValues is what the decoder read from url.ParseQuery before params:
// each parameter's first value (Values.Get) and whether it was sent.
func fromValues(v url.Values) *params {
	var p params
	for i, name := range paramNames {
		if vs, ok := v[name]; ok {
			p.val[i], p.sent = vs[0], p.sent|1<<i
		}
	}
	return &p
}

// decodeQueryWithValues is DecodeQuery as it was, with url.ParseQuery and
// a form body's map copied over the query's.
func decodeQueryWithValues(query, body []byte) (Report, error) {
	vals, err := url.ParseQuery(string(query))
	if err != nil {
		return unknown(), fault.Field("query", "not a query string: %v", err)
	}
	if len(body) > 0 {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return unknown(), fault.Field("body", "not a form body: %v", err)
		}
		for k, v := range form {
			vals[k] = v
		}
	}
	return decodeParams(fromValues(vals))
}

// sameParse fails unless params.parse read s as url.ParseQuery does.
func sameParse(t *testing.T, s string) {
	t.Helper()
	var p params
	err := p.parse(s)
	vals, want := url.ParseQuery(s)
	if fmt.Sprint(err) != fmt.Sprint(want) {
		t.Fatalf("%q: error %v, url.ParseQuery's %v", s, err, want)
	}
	if got, was := p, fromValues(vals); got != *was {
		t.Fatalf("%q: read %+v, url.ParseQuery %+v", s, got, *was)
	}
}

// FuzzParamsMatchParseQuery: the query parser keeps what url.ParseQuery
// keeps and fails as it fails, and DecodeQuery (and DecodeJSON's device id
// from the query) answers as it did with url.Values.
func FuzzParamsMatchParseQuery(f *testing.F) {
	for _, s := range [][2]string{
		{"id=860001&lat=22.547&lon=114.1118&timestamp=1795422600&speed=10&batt=80", ""},
		{"deviceid=d&location=22.5%2C114.1&timestamp=2026-11-23T08%3A30%3A00Z", ""},
		{"id=a&id=b&%69d=c&lat=1&lon=2", "id=&deviceid=e&lat=+3+"},
		{"id=a;b&lat=%zz&lon=%4", "id=x"},
		{"id=a&lat=%zz&lon=%4&x;y", ""},
		{"%zz=1&id=d", "a=%g"},
		{"&&id=d&=&lat&lon=&speed=1e308", "timestamp=0&&"},
		{"id=d", "hdop=3&accuracy=&bearing=%2B1&heading=2&altitude=-600"},
		{"id=d+e&batt=%41", "id=d%00&lat=1&lon=2"},
		{"id=d&lat=1&lon=2&valid=false", "valid=%31&valid=0"},
	} {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	f.Fuzz(matchValues)
}

// TestParamsAtMaxParams: url.ParseQuery's limit on parameters, as it
// applies it (a fuzz seed of that size would slow the fuzzer down).
func TestParamsAtMaxParams(t *testing.T) {
	matchValues(t, []byte(strings.Repeat("&", maxParams)+"id=d"), nil)
	matchValues(t, []byte(strings.Repeat("&", maxParams-1)+"id=d"), []byte("lat=1&lon=2"))
	matchValues(t, []byte("id=d"), []byte(strings.Repeat("&", maxParams)+"lat=1&lon=2"))
	if _, err := DecodeQuery([]byte(strings.Repeat("&", maxParams)+"id=d"), nil); err == nil || !strings.Contains(err.Error(), "exceeded limit") {
		t.Fatalf("%d parameters: %v", maxParams+1, err)
	}
}

// matchValues fails unless params and DecodeQuery (and DecodeJSON's device
// id from the query) read query and body as url.ParseQuery did.
func matchValues(t *testing.T, query, body []byte) {
	t.Helper()
	sameParse(t, string(query))
	sameParse(t, string(body))
	r, err := DecodeQuery(query, body)
	was, werr := decodeQueryWithValues(query, body)
	if fmt.Sprint(err) != fmt.Sprint(werr) || fmt.Sprintf("%#v", r) != fmt.Sprintf("%#v", was) {
		t.Fatalf("DecodeQuery %#v, %v; with url.Values %#v, %v", r, err, was, werr)
	}
	var inv *fault.Invalid
	if err != nil && !errors.As(err, &inv) {
		t.Fatalf("not a field error: %v", err)
	}
	// DecodeJSON's id from the query, as url.ParseQuery gave it.
	j, jerr := DecodeJSON([]byte(`{"location":null}`), query)
	vals, _ := url.ParseQuery(string(query))
	want, wantErr := deviceID(fromValues(vals).first(pID, pDeviceID))
	if j.DeviceID != want || fmt.Sprint(jerr) != fmt.Sprint(wantErr) {
		t.Fatalf("DecodeJSON's id %q, %v; with url.Values %q, %v", j.DeviceID, jerr, want, wantErr)
	}
}

// TestParamsAllocations: a device's usual request reads without building
// a map: the query string's one copy and nothing per parameter.
func TestParamsAllocations(t *testing.T) {
	q := []byte("id=860001&lat=22.547&lon=114.1118&timestamp=1795422600&speed=10&bearing=90&altitude=12&accuracy=5&batt=80")
	if n := testing.AllocsPerRun(100, func() { _, _ = DecodeQuery(q, nil) }); n > 1 {
		t.Fatalf("%v allocations a request, want at most 1", n)
	}
}

// BenchmarkDecodeQuery compares DecodeQuery with the url.Values decoding
// it replaced, on a Traccar Client request; one op is one request.
func BenchmarkDecodeQuery(b *testing.B) {
	q := []byte("id=860001&lat=22.547&lon=114.1118&timestamp=1795422600&speed=10&bearing=90&altitude=12&accuracy=5&batt=80")
	for _, d := range []struct {
		name   string
		decode func(query, body []byte) (Report, error)
	}{{"params", DecodeQuery}, {"url.Values", decodeQueryWithValues}} {
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.decode(q, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

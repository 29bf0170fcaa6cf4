package osmand

import (
	"errors"
	"net/url"
	"strings"
)

// The parameters the query/form form reads, by index into params.
const (
	pID = iota
	pDeviceID
	pLat
	pLon
	pLocation
	pTimestamp
	pSpeed
	pBearing
	pHeading
	pAltitude
	pAccuracy
	pHdop
	pBatt
	pValid
	nParams
)

// paramIndex is the index of a parameter the decoder reads, or -1.
func paramIndex(key string) int {
	switch key {
	case "id":
		return pID
	case "deviceid":
		return pDeviceID
	case "lat":
		return pLat
	case "lon":
		return pLon
	case "location":
		return pLocation
	case "timestamp":
		return pTimestamp
	case "speed":
		return pSpeed
	case "bearing":
		return pBearing
	case "heading":
		return pHeading
	case "altitude":
		return pAltitude
	case "accuracy":
		return pAccuracy
	case "hdop":
		return pHdop
	case "batt":
		return pBatt
	case "valid":
		return pValid
	}
	return -1
}

// maxParams is url.ParseQuery's default limit on a query's parameters
// (GODEBUG urlmaxqueryparams is not read here).
const maxParams = 10000

// errSemicolon and errTooMany are url.ParseQuery's errors, word for word.
var (
	errSemicolon = errors.New("invalid semicolon separator in query")
	errTooMany   = errors.New("number of URL query parameters exceeded limit")
)

// params holds, for each parameter the decoder reads, its first value and
// whether it was sent at all: what url.ParseQuery and Values.Get give,
// without building the map of every parameter. Values are substrings of
// the query unless they were escaped.
type params struct {
	val  [nParams]string
	sent uint16
}

// parse reads a query string or form body as url.ParseQuery does: the
// same parameters kept (pieces it skips are skipped here) and the same
// error (a semicolon anywhere, else the first bad escape).
func (p *params) parse(s string) error {
	if strings.Count(s, "&")+1 > maxParams {
		return errTooMany
	}
	var err error
	for s != "" {
		var piece string
		piece, s, _ = strings.Cut(s, "&")
		if strings.Contains(piece, ";") {
			err = errSemicolon
			continue
		}
		if piece == "" {
			continue
		}
		k, v, _ := strings.Cut(piece, "=")
		key, kerr := url.QueryUnescape(k) // no copy without escapes
		if kerr != nil {
			err = firstErr(err, kerr)
			continue
		}
		value, verr := url.QueryUnescape(v)
		if verr != nil {
			err = firstErr(err, verr)
			continue
		}
		if i := paramIndex(key); i >= 0 && p.sent&(1<<i) == 0 {
			p.val[i] = value
			p.sent |= 1 << i
		}
	}
	return err
}

// firstErr keeps the first error.
func firstErr(first, next error) error {
	if first != nil {
		return first
	}
	return next
}

// override takes every parameter the form body sent (a body's parameter
// replaces the query's, even when empty).
func (p *params) override(body *params) {
	for i := range nParams {
		if body.sent&(1<<i) != 0 {
			p.val[i] = body.val[i]
			p.sent |= 1 << i
		}
	}
}

// first is the first of the parameters with a value that is not empty.
func (p *params) first(keys ...int) string {
	for _, k := range keys {
		if p.val[k] != "" {
			return p.val[k]
		}
	}
	return ""
}

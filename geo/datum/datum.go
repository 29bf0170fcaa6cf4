// Package datum converts between WGS-84 (what Watchfloor stores) and GCJ-02,
// the obfuscated datum of Chinese online maps such as Amap (高德), so that a
// display on such a base map can shift what it draws. Only displays shift.
package datum

import "math"

// The published GCJ-02 formula works on the Krasovsky 1940 ellipsoid.
const (
	krasovskyA  = 6378245.0
	krasovskyEE = 0.00669342162296594323
)

// OutOfChina reports whether a point lies outside the rectangle in which
// GCJ-02 differs from WGS-84; there the two are the same.
func OutOfChina(lon, lat float64) bool {
	return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271
}

// delta is the GCJ-02 offset in degrees at a WGS-84 point.
func delta(lon, lat float64) (dLon, dLat float64) {
	x, y := lon-105.0, lat-35.0
	d := (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	dLat = -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x)) + d +
		(20.0*math.Sin(y*math.Pi)+40.0*math.Sin(y/3.0*math.Pi))*2.0/3.0 +
		(160.0*math.Sin(y/12.0*math.Pi)+320*math.Sin(y*math.Pi/30.0))*2.0/3.0
	dLon = 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x)) + d +
		(20.0*math.Sin(x*math.Pi)+40.0*math.Sin(x/3.0*math.Pi))*2.0/3.0 +
		(150.0*math.Sin(x/12.0*math.Pi)+300.0*math.Sin(x/30.0*math.Pi))*2.0/3.0
	rad := lat / 180.0 * math.Pi
	magic := math.Sin(rad)
	magic = 1 - krasovskyEE*magic*magic
	sq := math.Sqrt(magic)
	dLat = (dLat * 180.0) / ((krasovskyA * (1 - krasovskyEE)) / (magic * sq) * math.Pi)
	dLon = (dLon * 180.0) / (krasovskyA / sq * math.Cos(rad) * math.Pi)
	return dLon, dLat
}

// ToGCJ02 shifts a WGS-84 point onto GCJ-02.
func ToGCJ02(lon, lat float64) (float64, float64) {
	if OutOfChina(lon, lat) {
		return lon, lat
	}
	dLon, dLat := delta(lon, lat)
	return lon + dLon, lat + dLat
}

// ToWGS84 inverts ToGCJ02 by fixed-point iteration, to well under a
// millimetre (a click on a GCJ-02 map becomes a WGS-84 location).
func ToWGS84(lon, lat float64) (float64, float64) {
	if OutOfChina(lon, lat) {
		return lon, lat
	}
	wLon, wLat := lon, lat
	for range 30 {
		gLon, gLat := ToGCJ02(wLon, wLat)
		eLon, eLat := gLon-lon, gLat-lat
		wLon, wLat = wLon-eLon, wLat-eLat
		if math.Abs(eLon) < 1e-10 && math.Abs(eLat) < 1e-10 {
			break
		}
	}
	return wLon, wLat
}

package incident

import "testing"

// BenchmarkDecodeReport times a report's strict decoding, as a call taker's
// desk or the load generator sends one (a request's body, every member).
func BenchmarkDecodeReport(b *testing.B) {
	body := []byte(`{"category":"public_order","title":"load 2026-12-07T21:00:00.123456789Z","drill":true,` +
		`"location":{"lon":114.05712,"lat":22.54321},"people_involved":2,"source":"110",` +
		`"description":"两车相撞，一人受伤，占用两条车道","reporter":{"name":"张三","phone":"13800138000"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

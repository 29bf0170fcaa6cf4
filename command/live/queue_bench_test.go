package live

import (
	"runtime"
	"testing"
)

// BenchmarkPublishTo2000 publishes a message to 2,000 subscribers of one
// stream (a plan's tasks reach 2,000 phones so) and takes it off each
// queue, as their writers would; it reports the heap a subscriber holds
// once subscribed with send_queue 1024 and after a message.
func BenchmarkPublishTo2000(b *testing.B) {
	h := NewHub(emptySource{}, nil)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	subs := make([]*Sub, 2000)
	for i := range subs {
		subs[i] = h.Subscribe("s", 1024)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	m := Message{JSON: []byte(`{"type":"task.assigned"}`)}
	b.ReportAllocs()
	for b.Loop() {
		h.Publish("s", m)
		for _, s := range subs {
			<-s.Ready()
			s.Next()
		}
	}
	b.ReportMetric((float64(after.HeapInuse)-float64(before.HeapInuse))/float64(len(subs)), "B/subscriber")
}

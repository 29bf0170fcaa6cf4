//go:build unix

package unit_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"watchfloor/command/memstore"
	"watchfloor/command/unit"
)

// discarded is the memory store's unit storage with every position write
// dropped: what remains to time is the ingester's own work.
type discarded struct{ *memstore.Units }

func (discarded) WritePositions(context.Context, []unit.Fix) error { return nil }

// BenchmarkIngest: the server's own work per position, without storage
// (writes dropped): each sender checks 1,000 samples of its own 1,000 units
// as the edges do and submits them, 10,000 units or more spread over four
// workers, every fix a move within the sample map (its grid and zones looked
// up, as a real fix's). One op is one position; cpu-ns/op is the process's
// CPU time per position, late/op the share of fixes that moved nothing.
func BenchmarkIngest(b *testing.B) { benchIngest(b, 1, 1000) }

// BenchmarkIngestBusy is BenchmarkIngest with eight senders a core, as a
// loaded server has many requests at once: no core waits for a sender, so
// -cpu 1,2 shows what a second core adds to the ingester's own work.
func BenchmarkIngestBusy(b *testing.B) { benchIngest(b, 8, 1000) }

// BenchmarkIngestSingles is BenchmarkIngestBusy with one position a
// request, as OsmAnd's: 32 senders a core, each waiting for its answer.
func BenchmarkIngestSingles(b *testing.B) { benchIngest(b, 32, 1) }

// benchIngest runs sendersPerCore senders a core, each claiming its next
// batch (1,000) of the b.N positions with one atomic add (testing.PB would
// count every position on a counter all cores share, which the cores would
// pass between them once a position) and submitting them in one request.
func benchIngest(b *testing.B, sendersPerCore, batch int) {
	senders := sendersPerCore * runtime.GOMAXPROCS(0)
	units := max(10000, senders*batch) // each sender its own
	fleet := ingestFleet(b, units)
	st := discarded{memstore.New(memstore.Options{}).Units(time.Hour)}
	var late atomic.Int64
	counted := func(_, l, i int) { late.Add(int64(l + i)) }
	// Room in the queue for every sender's batch at once: none is shed.
	g := unit.NewIngester(fleet, st, positionsCfg(4, max(100000, 2*senders*batch)), nil, quiet, unit.IngestHooks{Counted: counted})
	runIngester(b, g)
	ids := make([]string, units)
	for i := range ids {
		ids[i] = fmt.Sprintf("car-%03d", i)
	}
	// Each request a step later than the last, every one inside the window
	// the ingester takes (the track's hour back to now): a millisecond, or
	// less when the run's requests would not fit in 50 minutes.
	start := time.Now().Add(-55 * time.Minute)
	step := min(time.Millisecond, 50*time.Minute/time.Duration(b.N/batch+1))
	var claimed, lap atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime(b)
	for k := range senders {
		wg.Go(func() {
			// Each sender its own units, so no fix is late behind another's.
			first := k * batch
			samples := make([]unit.Sample, 0, batch)
			for {
				n := min(int64(b.N)-(claimed.Add(int64(batch))-int64(batch)), int64(batch))
				if n <= 0 {
					return
				}
				samples = samples[:0]
				l := lap.Add(1)
				now := g.Now() // once a request, as the batch API reads it
				at := start.Add(time.Duration(l) * step)
				for i := range int(n) {
					u := (first + i) % units
					// Spread over the map (114.105–114.135, 22.528–22.558),
					// so some fall in raster cells a grid's edge touches.
					lon, lat := 114.106+float64(u%97)*3e-4+float64(l%50)*1e-5, 22.529+float64(u%89)*3e-4
					s := unit.Sample{UnitID: ids[u], Position: unit.Unknown(lon, lat, at)}
					if err := g.CheckAt(&s, now); err != nil {
						b.Error(err)
						return
					}
					samples = append(samples, s)
				}
				if _, err := g.Submit(context.Background(), samples); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(late.Load())/float64(b.N), "late/op")
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// BenchmarkPassBetweenCores: a word passed from one goroutine to another
// on another core and back, each spinning on it: what this machine charges
// for a cache line a position takes from its handler to its worker and
// back. Read it beside BenchmarkIngestBusy at -cpu 2 (a virtual machine's
// cores may be placed far apart, and moved, by its host).
func BenchmarkPassBetweenCores(b *testing.B) {
	if runtime.GOMAXPROCS(0) < 2 {
		b.Skip("needs two cores")
	}
	var word atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := int64(1); i < 2*int64(b.N); i += 2 {
			for word.Load() != i {
			}
			word.Store(i + 1)
		}
	}()
	b.ResetTimer()
	for i := int64(0); i < 2*int64(b.N); i += 2 {
		for word.Load() != i {
		}
		word.Store(i + 1)
	}
	<-done
}

package unit_test

import (
	"context"
	"fmt"
	"sync/atomic"
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
// (writes dropped): each sender checks its 1,000 samples as the edges do and
// submits them, 10,000 units spread over four workers, every fix a move
// within the sample map (its grid and zones looked up, as a real fix's).
// One op is one position.
func BenchmarkIngest(b *testing.B) {
	const units, batch = 10000, 1000
	fleet := ingestFleet(b, units)
	st := discarded{memstore.New(memstore.Options{}).Units(time.Hour)}
	g := unit.NewIngester(fleet, st, positionsCfg(4, 100000), nil, quiet, unit.IngestHooks{})
	runIngester(b, g)
	ids := make([]string, units)
	for i := range ids {
		ids[i] = fmt.Sprintf("car-%03d", i)
	}
	start := time.Now().Add(-30 * time.Minute)
	var lap, sender atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		// Each sender its own units, so no fix is late behind another's.
		first := int(sender.Add(1)-1) * batch % units
		samples := make([]unit.Sample, 0, batch)
		for {
			samples = samples[:0]
			n := lap.Add(1)
			for i := 0; i < batch && pb.Next(); i++ {
				at := start.Add(time.Duration(n) * time.Millisecond)
				u := (first + i) % units
				// Spread over the map (114.105–114.135, 22.528–22.558), so
				// some fall in raster cells a grid's edge touches.
				lon, lat := 114.106+float64(u%97)*3e-4+float64(n%50)*1e-5, 22.529+float64(u%89)*3e-4
				s := unit.Sample{UnitID: ids[u], Position: unit.Unknown(lon, lat, at)}
				if err := g.Check(&s); err != nil {
					b.Fatal(err)
				}
				samples = append(samples, s)
			}
			if len(samples) == 0 {
				return
			}
			if _, err := g.Submit(context.Background(), samples); err != nil {
				b.Fatal(err)
			}
		}
	})
}

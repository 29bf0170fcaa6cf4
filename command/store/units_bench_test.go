package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"watchfloor/command/store"
	"watchfloor/command/store/storetest"
	"watchfloor/command/store/views"
	"watchfloor/command/unit"
)

// BenchmarkWritePositions: one worker's batch of 500 fixes for 500 units
// (every fix moving) stored in one pipeline. One op is one fix, so
// allocs/op (-benchmem) is the allocations a stored position costs.
func BenchmarkWritePositions(b *testing.B) {
	const batch = 500
	st := storetest.Open(b, store.Options{Deployment: "bench"})
	x := views.NewUnits(st, time.Hour, nil)
	ctx := context.Background()
	start := time.Now().Add(-30 * time.Minute)
	fixes := make([]unit.Fix, batch)
	for i := range fixes {
		p := unit.Unknown(114.1+float64(i)*0.0003, 22.53, start)
		p.SpeedMPS, p.Heading = 5, 90
		fixes[i] = unit.Fix{UnitID: fmt.Sprintf("load-%05d", i), Position: p, Moved: true}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n += batch {
		for i := range fixes {
			fixes[i].At = start.Add(time.Duration(n) * time.Millisecond)
			fixes[i].Lon += 0.00001
		}
		if err := x.WritePositions(ctx, fixes[:min(batch, b.N-n)]); err != nil {
			b.Fatal(err)
		}
	}
}

package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"watchfloor/command/store"
	"watchfloor/command/store/storetest"
)

// Seqs asked for at once, read together, are each their own stream's: 0
// for one never sent to, an error for one holding no number.
func TestSeqsAskedAtOnce(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	for i := range 300 {
		if err := st.Client().Set(ctx, st.Key("seq", fmt.Sprintf("unit:u%d", i)), i+1, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Client().Set(ctx, st.Key("seq", "unit:bad"), "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 400 {
		wg.Go(func() {
			<-start
			stream, want := fmt.Sprintf("unit:u%d", i), uint64(i+1)
			switch {
			case i == 350:
				stream = "unit:bad"
			case i >= 300:
				want = 0 // never sent to
			}
			seq, err := st.Seq(ctx, stream)
			if i == 350 {
				if err == nil {
					t.Errorf("%s: %d, want an error", stream, seq)
				}
				return
			}
			if seq != want || err != nil {
				t.Errorf("%s: %d, %v; want %d", stream, seq, err, want)
			}
		})
	}
	close(start)
	wg.Wait()
}

// BenchmarkSeqsAtOnce2000 reads 2,000 streams' seqs at once, as every
// socket does after a broken subscription: the burst's time, Redis's CPU
// and its calls a read.
func BenchmarkSeqsAtOnce2000(b *testing.B) {
	const n = 2000
	st := storetest.Open(b, store.Options{})
	ctx := context.Background()
	rdb := st.Client()
	for i := range n {
		if err := rdb.Set(ctx, st.Key("seq", fmt.Sprintf("unit:u%04d", i)), i+1, 0).Err(); err != nil {
			b.Fatal(err)
		}
	}
	if err := rdb.ConfigResetStat(ctx).Err(); err != nil {
		b.Fatal(err)
	}
	cpu0 := redisCPU(b, rdb)
	bursts := 0
	for b.Loop() {
		bursts++
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				if seq, err := st.Seq(ctx, fmt.Sprintf("unit:u%04d", i)); err != nil || seq != uint64(i+1) {
					b.Errorf("unit:u%04d: seq %d, %v", i, seq, err)
				}
			})
		}
		close(start)
		wg.Wait()
	}
	reads := float64(bursts * n)
	b.ReportMetric((redisCPU(b, rdb)-cpu0)*1e6/reads, "µs-redis/read")
	b.ReportMetric(float64(commandCalls(b, rdb, "get")+commandCalls(b, rdb, "mget"))/reads, "calls/read")
}

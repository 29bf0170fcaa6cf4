package unit

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"
)

// framed is a unit as a frame shows it.
type framed struct {
	Status   string
	Position struct{ Lon, Lat float64 }
}

// readFrame is one frame's units by id, as a screen reads them; an error
// says what is wrong with the frame (a unit twice, out of the fleet's order).
func readFrame(f *Fleet) (map[string]framed, error) {
	b, n := f.frame(nil)
	var units []struct {
		ID string
		framed
	}
	if err := json.Unmarshal(b, &units); err != nil {
		return nil, fmt.Errorf("frame %s: %w", b, err)
	}
	out := map[string]framed{}
	prev := int32(-1)
	for _, u := range units {
		if _, twice := out[u.ID]; twice {
			return nil, fmt.Errorf("unit %s twice in one frame %s", u.ID, b)
		}
		out[u.ID] = u.framed
		// In the fleet's order, as neighbours compress best.
		s := f.state(u.ID)
		if s == nil || s.place <= prev {
			return nil, fmt.Errorf("unit %s out of the fleet's order in frame %s", u.ID, b)
		}
		prev = s.place
	}
	if n != len(units) {
		return nil, fmt.Errorf("frame says %d units, holds %d", n, len(units))
	}
	return out, nil
}

// frameUnits is readFrame for the test's own goroutine.
func frameUnits(t testing.TB, f *Fleet) map[string]framed {
	t.Helper()
	out, err := readFrame(f)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFrameListsWhatChanged: a frame holds each unit that moved or changed
// status since the last, once, as it stands; a unit without a position or
// retired is left out, and shows once it moves or returns to service.
func TestFrameListsWhatChanged(t *testing.T) {
	f := testFleet(t, 200)
	t0 := time.Now().Truncate(time.Millisecond)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	move := func(id string, lon float64, s int) {
		p := Unknown(lon, 22.55, at(s))
		f.move(id, p, &p, origin{})
	}
	a, b, c, d := "x-00001", "x-00002", "x-00003", "x-00190"
	if got := frameUnits(t, f); len(got) != 0 {
		t.Fatalf("a frame before any move: %v", got)
	}
	move(a, 114.10, 1)
	move(b, 114.11, 1)
	move(a, 114.12, 2)
	move(d, 114.13, 1)
	got := frameUnits(t, f)
	if len(got) != 3 || got[a].Position.Lon != 114.12 || got[b].Position.Lon != 114.11 || got[d].Position.Lon != 114.13 {
		t.Fatalf("after moves of a, b, a, d: %v", got)
	}
	if got := frameUnits(t, f); len(got) != 0 {
		t.Fatalf("a frame with nothing changed since the last: %v", got)
	}
	f.SetStatus(c, Dispatched) // no position yet: nothing to draw
	if got := frameUnits(t, f); len(got) != 0 {
		t.Fatalf("a status change of a unit with no position: %v", got)
	}
	move(c, 114.14, 1)
	if got := frameUnits(t, f); len(got) != 1 || got[c].Status != Dispatched {
		t.Fatalf("its first move, after a status change: %v", got)
	}
	f.SetStatus(a, Dispatched)
	if got := frameUnits(t, f); len(got) != 1 || got[a].Status != Dispatched || got[a].Position.Lon != 114.12 {
		t.Fatalf("a status change: %v", got)
	}
	var retired Unit
	for _, u := range f.registered() {
		if u.ID == b {
			retired = u
		}
	}
	retired.Retired, retired.Version = true, retired.Version+1
	f.Put(retired, false)
	move(b, 114.15, 3) // stored by an instance that had not heard yet
	if got := frameUnits(t, f); len(got) != 0 {
		t.Fatalf("a retired unit: %v", got)
	}
	back := retired
	back.Retired, back.Version = false, back.Version+1
	f.Put(back, false)
	if got := frameUnits(t, f); len(got) != 1 || got[b].Status != Available {
		t.Fatalf("its return to service: %v", got)
	}
	// A unit added at run time comes last in the fleet's order, whatever
	// its id: a frame sorted by id would put it first.
	f.Put(Unit{ID: "a-new", Callsign: "n", Type: "car"}, false)
	move("a-new", 114.16, 4)
	move(a, 114.17, 4)
	if got := frameUnits(t, f); len(got) != 2 {
		t.Fatalf("a unit added at run time and an old one: %v", got)
	}
}

// TestFramesMissNoMove: units moved by many workers while frames are read
// all end on screens where they last moved: no mark is lost between a
// frame's read of a list and a move.
func TestFramesMissNoMove(t *testing.T) {
	const workers, units, moves = 4, 400, 200
	f := testFleet(t, units)
	t0 := time.Now().Truncate(time.Millisecond)
	last := map[string]float64{}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			units, err := readFrame(f)
			if err != nil {
				t.Error(err)
				return
			}
			for id, u := range units {
				last[id] = u.Position.Lon
			}
			select {
			case <-stop:
				return
			default:
			}
		}
	}()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range moves {
				for k := w; k < units; k += workers {
					p := Unknown(114+float64(i)*1e-4, 22.55, t0.Add(time.Duration(i)*time.Millisecond))
					f.move(fmt.Sprintf("x-%05d", k), p, &p, origin{})
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	<-done
	for id, u := range frameUnits(t, f) {
		last[id] = u.Position.Lon
	}
	want := 114 + float64(moves-1)*1e-4
	for k := range units {
		if id := fmt.Sprintf("x-%05d", k); last[id] != want {
			t.Errorf("unit %s last seen at %v on screens, moved last to %v", id, last[id], want)
		}
	}
}

// BenchmarkFrame: one frame after a quarter of a second of 5,000 positions
// a second (1,250 units moved), in the bench's city of 12,000 units and in
// one of 100,000, and after every unit moved: the moved units' sort and
// encoding, and whatever the frame reads of the others.
func BenchmarkFrame(b *testing.B) {
	for _, c := range []struct{ city, moved int }{{12000, 1250}, {100000, 1250}, {12000, 12000}, {100000, 100000}} {
		b.Run(fmt.Sprintf("units=%d/moved=%d", c.city, c.moved), func(b *testing.B) {
			f := testFleet(b, c.city)
			t0 := time.Now().Add(-time.Hour)
			ids := make([]string, c.city)
			for i := range ids {
				ids[i] = fmt.Sprintf("x-%05d", i)
			}
			var buf []byte
			for n := 0; b.Loop(); n++ {
				b.StopTimer()
				for k := range c.moved {
					p := Unknown(114.1, 22.55, t0.Add(time.Duration(n)*time.Millisecond))
					f.move(ids[(n*c.moved+k*7)%c.city], p, &p, origin{})
				}
				b.StartTimer()
				buf, _ = f.frame(buf[:0])
			}
		})
	}
}

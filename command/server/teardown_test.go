package server

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// The closers run last pushed first, every one even after a failure, their
// errors joined, and a second drain runs nothing.
func TestTeardownDrainsInReverse(t *testing.T) {
	var down teardown
	var ran []string
	errB := errors.New("b failed")
	errD := errors.New("d failed")
	for _, c := range []struct {
		name string
		err  error
	}{{"a", nil}, {"b", errB}, {"c", nil}, {"d", errD}} {
		down.push(func(context.Context) error {
			ran = append(ran, c.name)
			return c.err
		})
	}
	err := down.drain(context.Background())
	if want := []string{"d", "c", "b", "a"}; !slices.Equal(ran, want) {
		t.Fatalf("ran %v, want %v", ran, want)
	}
	if !errors.Is(err, errB) || !errors.Is(err, errD) {
		t.Fatalf("drain: %v, want both b's and d's errors", err)
	}
	ran = nil
	if err := down.drain(context.Background()); err != nil || len(ran) != 0 {
		t.Fatalf("second drain ran %v, err %v; want nothing", ran, err)
	}
}

// Each closer is handed the drain's context, so one deadline bounds them all.
func TestTeardownPassesContext(t *testing.T) {
	var down teardown
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	down.push(func(ctx context.Context) error { return ctx.Err() })
	if err := down.drain(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("drain: %v, want context.Canceled from the closer", err)
	}
}

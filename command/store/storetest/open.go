package storetest

import (
	"context"
	"testing"

	"watchfloor/command/store"
)

// Open starts a Redis for the test and opens the store on it with o (its
// URL set here; Deployment "test" unless given), closed when the test ends.
func Open(t testing.TB, o store.Options) *store.Store {
	t.Helper()
	o.URL = Start(t).URL()
	if o.Deployment == "" {
		o.Deployment = "test"
	}
	st, err := store.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

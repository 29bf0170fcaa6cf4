package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"watchfloor/command/account"
	"watchfloor/config"
)

// Accounts opens what `watchfloor accounts` needs without serving: the map
// (to check areas), Redis, and the accounts, seeded from the configuration
// as a starting server seeds them. close releases Redis.
func Accounts(ctx context.Context, cfg *config.Config, opts Options) (_ *account.Service, closeFn func() error, err error) {
	b := &builder{cfg: cfg, opts: opts, log: opts.Logger, now: opts.Now, down: &teardown{}}
	if b.now == nil {
		b.now = time.Now
	}
	drain := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return b.down.drain(ctx)
	}
	for _, step := range []func(context.Context) error{b.loadMap, b.openStore, b.people} {
		if err := step(ctx); err != nil {
			if derr := drain(); derr != nil {
				err = errors.Join(err, fmt.Errorf("cleaning up: %w", derr))
			}
			return nil, nil, err
		}
	}
	return b.accounts, drain, nil
}

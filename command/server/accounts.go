package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"watchfloor/command/account"
	"watchfloor/command/store/views"
	"watchfloor/config"
)

// Accounts opens what `watchfloor accounts` needs without serving: the map
// (to check areas), Redis, the units of the run-time registry (to check
// units), and the accounts, seeded from the configuration as a starting
// server seeds them. close releases Redis.
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
	for _, step := range []func(context.Context) error{b.loadMap, b.openStore, b.people, b.unitRegistry} {
		if err := step(ctx); err != nil {
			if derr := drain(); derr != nil {
				err = errors.Join(err, fmt.Errorf("cleaning up: %w", derr))
			}
			return nil, nil, err
		}
	}
	return b.accounts, drain, nil
}

// unitRegistry loads the units of the run-time registry in Redis into the
// fleet (seeding the configured ones as a start does), so that a unit
// created at run time can be bound to an account.
func (b *builder) unitRegistry(ctx context.Context) error {
	return b.seedRegistry(ctx, views.NewUnits(b.st, b.cfg.Positions.TrackTTL, nil))
}

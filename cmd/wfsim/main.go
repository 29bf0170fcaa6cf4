// Command wfsim brings the sample city to life: it moves every configured
// unit along plausible paths inside the map, reporting positions through
// the OsmAnd protocol as phones and trackers do (query string and JSON body
// forms both), and files an incident through the API now and then.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"watchfloor/config"
)

func main() { os.Exit(run()) }

func run() int {
	cfgPath := flag.String("config", "config/sample/watchfloor.yaml", "the city to simulate (units and map)")
	api := flag.String("api", "http://127.0.0.1:8080", "Watchfloor's API")
	osmand := flag.String("osmand", "", "the OsmAnd listener (default: http:// + osmand_listen of the config)")
	every := flag.Duration("every", 3*time.Second, "how often each unit reports")
	incidents := flag.Duration("incidents", 45*time.Second, "how often an incident is filed (0: never)")
	user := flag.String("user", "operator", "the account that files incidents")
	seed := flag.Int64("seed", time.Now().UnixNano(), "random seed")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	cfg, err := config.Load(*cfgPath, os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "wfsim: %v\n", err)
		return 2
	}
	if *osmand == "" {
		*osmand = "http://" + cfg.OsmandListen
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := newSim(cfg, simOptions{
		API: *api, OsmAnd: *osmand, Every: *every, Incidents: *incidents,
		User: *user, Password: os.Getenv("WATCHFLOOR_DEMO_PASSWORD"), Seed: *seed, Log: log,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "wfsim: %v\n", err)
		return 1
	}
	if err := s.Run(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "wfsim: %v\n", err)
		return 1
	}
	return 0
}

// Command watchfloor runs the Watchfloor command-centre server; `watchfloor
// tiles` builds a base-map archive (PMTiles) from GeoJSON layers;
// `watchfloor accounts` manages accounts in Redis (the first admin).
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"watchfloor/command/auth"
	"watchfloor/command/server"
	"watchfloor/config"
)

func main() { os.Exit(run()) }

// profileContention has the runtime sample contended locks as m asks, for
// /debug/pprof/mutex; it leaves Go's default (none) at 0.
func profileContention(m config.Metrics) {
	if m.MutexProfileFraction > 0 {
		runtime.SetMutexProfileFraction(m.MutexProfileFraction)
	}
}

func run() int {
	if len(os.Args) > 1 && os.Args[1] == "tiles" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return runTiles(ctx, os.Args[2:], os.Stdout, os.Stderr)
	}
	if len(os.Args) > 1 && os.Args[1] == "accounts" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return runAccounts(ctx, os.Args[2:], os.Getenv, os.Stdout, os.Stderr)
	}
	path := flag.String("config", "config/sample/watchfloor.yaml", "path to the configuration file")
	check := flag.Bool("check", false, "validate the configuration and exit")
	hash := flag.Bool("hash-password", false, "read a password on standard input, print its bcrypt hash for the configuration, and exit")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if *hash {
		line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		h, err := auth.HashPassword(strings.TrimRight(line, "\r\n"), 12)
		if err != nil {
			fmt.Fprintf(os.Stderr, "watchfloor: %v\n", err)
			return 2
		}
		fmt.Println(h)
		return 0
	}

	cfg, err := config.Load(*path, os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "watchfloor: %v\n", err)
		return 2
	}
	if *check {
		fmt.Printf("%s: ok\n", *path)
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	profileContention(cfg.Metrics)

	srv, err := server.New(ctx, cfg, server.Options{Logger: log})
	if err != nil {
		fmt.Fprintf(os.Stderr, "watchfloor: %v\n", err)
		return 1
	}
	if err := srv.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "watchfloor: %v\n", err)
		return 1
	}
	<-ctx.Done()
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Stop(sctx); err != nil {
		log.Error("shutdown", "err", err)
		return 1
	}
	return 0
}

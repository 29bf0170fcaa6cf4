// Command watchfloor runs the Watchfloor command-centre server.
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

	"watchfloor/command/server"
	"watchfloor/config"
)

func main() { os.Exit(run()) }

func run() int {
	path := flag.String("config", "config/sample/watchfloor.yaml", "path to the configuration file")
	check := flag.Bool("check", false, "validate the configuration and exit")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

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

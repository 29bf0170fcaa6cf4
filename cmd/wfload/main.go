// Command wfload drives a running Watchfloor over the network and measures
// it: unit positions (batch API or OsmAnd) at a set rate, incidents at a
// set rate, screen and responder websockets, and a plan's tasks fanned out
// to every responder. Latencies come from timestamps carried in the
// traffic itself (position times, incident titles). It prints a table and,
// with -json, writes the figures as JSON. To find where the time goes:
// -cpuprofile profiles wfload itself, -server-cpuprofile fetches the
// first server's CPU profile over the sending (as admin, from
// /debug/pprof), -server-mutexprofile the locks it waited on,
// -server-allocprofile what it allocated, and -steps
// splits the plan tasks' time by the times the server stamps (on every
// 100th responder, and on any for a task over 2 s).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() { os.Exit(run()) }

func run() int {
	var o options
	flag.StringVar(&o.API, "api", "http://127.0.0.1:8080", "Watchfloor's API (several instances: comma-separated, used in turn)")
	flag.StringVar(&o.OsmAnd, "osmand", "http://127.0.0.1:5055", "Watchfloor's OsmAnd listener (comma-separated for several)")
	flag.StringVar(&o.Password, "password", os.Getenv("WATCHFLOOR_DEMO_PASSWORD"), "the accounts' password (demo accounts)")
	flag.DurationVar(&o.Duration, "duration", 30*time.Second, "how long to run")
	flag.IntVar(&o.PositionRate, "positions", 0, "positions per second")
	flag.StringVar(&o.PositionMode, "mode", "batch", "how positions are sent: batch (POST /api/v1/positions) or osmand (one request each)")
	flag.IntVar(&o.Units, "units", 10000, "how many units report (load-00001 …, devices L00001 …)")
	flag.IntVar(&o.Senders, "senders", 8, "concurrent senders of positions (osmand: connections)")
	flag.IntVar(&o.IncidentRate, "incidents", 0, "incidents per second")
	flag.IntVar(&o.Screens, "screens", 0, "screen websockets")
	flag.IntVar(&o.Responders, "responders", 0, "responder websockets (fan-00001 …)")
	flag.DurationVar(&o.FanoutEvery, "fanout-every", 0, "how often a plan's tasks are fanned out to every responder (0: never)")
	flag.IntVar(&o.ServerPID, "server-pid", 0, "the server's pid, to report its memory")
	flag.StringVar(&o.JSON, "json", "", "write the figures as JSON to this file")
	flag.StringVar(&o.CPUProfile, "cpuprofile", "", "write wfload's own CPU profile over the run to this file")
	flag.StringVar(&o.ServerProfile, "server-cpuprofile", "", "fetch the first -api server's CPU profile over the sending (GET /debug/pprof/profile as admin) into this file")
	flag.StringVar(&o.ServerAllocProfile, "server-allocprofile", "", "fetch what the first -api server allocated over the sending (GET /debug/pprof/allocs as admin) into this file")
	flag.StringVar(&o.ServerMutexProfile, "server-mutexprofile", "", "fetch the locks the first -api server waited on over the sending (GET /debug/pprof/mutex as admin; it samples them only with metrics.mutex_profile_fraction) into this file")
	flag.BoolVar(&o.Steps, "steps", false, "split the plan tasks' time into the server's steps (plan activated, the task's atomic step started, on the phone), read on every 100th responder and on any for a task over 2 s")
	flag.BoolVar(&o.DialTogether, "dial-together", false, "log every responder in first, then dial their sockets at once (as phones reconnect after a restart: their heartbeats meet)")
	flag.DurationVar(&o.DialDuring, "dial-during", 0, "log every responder in first, then dial all their sockets at once this long after the load starts (shorter than -duration), so that its figures take in the reconnect storm; fan-outs before then reach none (0: before it, as ever)")
	flag.BoolVar(&o.ScreensDuring, "screens-during", false, "with -dial-during, dial the screens with the responders (a wall reconnecting with the phones) and time their snapshots apart (no screen then times frames or counts traffic: for a side load)")
	flag.IntVar(&o.WriteTo, "write-to", 0, "send positions, incidents and plans to this instance of -api only (1: the first), so that another can be paused while the events go on (0: every instance in turn; sockets always go in turn)")
	flag.BoolVar(&o.Tickets, "tickets", false, "dial each socket with a one-time ticket asked for just before (POST /api/v1/sessions/ticket), instead of the session token among the subprotocols, as the pages do")
	flag.BoolVar(&o.Compress, "compress", true, "ask websockets for permessage-deflate, as browsers do (the server compresses messages of 1 KiB or more)")
	flag.Parse()
	if o.ScreensDuring && o.DialDuring == 0 {
		fmt.Fprintln(os.Stderr, "wfload: -screens-during needs -dial-during")
		return 2
	}
	if o.DialDuring < 0 || (o.DialDuring > 0 && o.DialDuring >= o.Duration) {
		fmt.Fprintf(os.Stderr, "wfload: -dial-during %s must be shorter than -duration %s: the sockets would never be dialled\n", o.DialDuring, o.Duration)
		return 2
	}
	if n := len(strings.Split(o.API, ",")); o.WriteTo < 0 || o.WriteTo > n {
		fmt.Fprintf(os.Stderr, "wfload: -write-to %d: -api names %d instance(s)\n", o.WriteTo, n)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stopProfile, err := startCPUProfile(o.CPUProfile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "wfload: %v\n", err)
		return 1
	}
	rep, err := newLoad(o).run(ctx)
	if perr := stopProfile(); err == nil {
		err = perr
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "wfload: %v\n", err)
		return 1
	}
	rep.print(os.Stdout)
	if o.JSON != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.JSON, b, 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "wfload: %v\n", err)
			return 1
		}
	}
	return 0
}

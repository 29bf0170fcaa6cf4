package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"

	"watchfloor/command/account"
	"watchfloor/command/fault"
	"watchfloor/command/server"
	"watchfloor/command/vocab"
	"watchfloor/config"
)

// cli is who the command line acts as in the audit trail: no account can
// bear the name.
var cli = vocab.Actor{Username: "(command line)", Role: vocab.Admin}

const accountsUsage = `usage: watchfloor accounts [-config PATH] COMMAND
  list                                   the accounts
  create -username U -name N -role R [-area GRID] [-unit UNIT] [-phone P]
                                         a new account; prints its one-time password
  reset USERNAME                         a new one-time password; ends its sessions
  disable USERNAME                       refuses its logins; ends its sessions`

// runAccounts is `watchfloor accounts`: it reads the configuration, talks
// to its Redis and manages accounts there (the first admin of a fresh
// deployment, a forgotten admin password).
func runAccounts(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("watchfloor accounts", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "config/sample/watchfloor.yaml", "path to the configuration file")
	fs.Usage = func() { fmt.Fprintln(stderr, accountsUsage) }
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	cfg, err := config.Load(*path, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "watchfloor accounts: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, closeFn, err := server.Accounts(ctx, cfg, server.Options{Logger: log, Notice: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "watchfloor accounts: %v\n", err)
		return 1
	}
	defer closeFn()
	if err := accountCommand(ctx, svc, fs.Arg(0), fs.Args()[1:], stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "watchfloor accounts %s: %v\n", fs.Arg(0), err)
		var inv *fault.Invalid
		if errors.As(err, &inv) || errors.Is(err, errUsage) {
			return 2
		}
		return 1
	}
	return 0
}

var errUsage = errors.New("see watchfloor accounts -h")

// accountCommand runs one command of `watchfloor accounts`.
func accountCommand(ctx context.Context, svc *account.Service, cmd string, args []string, stdout, stderr io.Writer) error {
	switch cmd {
	case "list":
		list, err := svc.List(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(w, "USERNAME\tNAME\tROLE\tAREA\tUNIT\tSTATE")
		for _, a := range list {
			state := "active"
			if a.Disabled {
				state = "disabled"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Username, a.Name, a.Role, a.Area, a.Unit, state)
		}
		return w.Flush()
	case "create":
		return createAccount(ctx, svc, args, stdout, stderr)
	case "reset":
		if len(args) != 1 {
			return errUsage
		}
		out, err := svc.ResetPassword(ctx, cli, args[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: one-time password %s (to be changed at the next login)\n", args[0], out.Password)
		return nil
	case "disable":
		if len(args) != 1 {
			return errUsage
		}
		if _, err := svc.SetDisabled(ctx, cli, args[0], true); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: disabled\n", args[0])
		return nil
	}
	return fmt.Errorf("unknown command %q: %w", cmd, errUsage)
}

// createAccount is `watchfloor accounts create`.
func createAccount(ctx context.Context, svc *account.Service, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("watchfloor accounts create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var in account.Input
	str := func(name, usage string) *string { return fs.String(name, "", usage) }
	username, name, role := str("username", "the login name"), str("name", "the person's name"), str("role", "admin, leader, deputy, operator, responder or viewer")
	area, unit, phone := str("area", "a grid code the account is limited to"), str("unit", "the unit of a responder"), str("phone", "a phone number")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	r := vocab.Role(*role)
	in.Username, in.Name, in.Role = username, name, &r
	if *area != "" {
		in.Area = area
	}
	if *unit != "" {
		in.Unit = unit
	}
	if *phone != "" {
		in.Phone = phone
	}
	out, err := svc.Create(ctx, cli, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: created (%s); one-time password %s (to be changed at the first login)\n", out.Account.Username, out.Account.Role, out.Password)
	return nil
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"watchfloor/command/server"
	"watchfloor/command/store/storetest"
	"watchfloor/config"
)

// TestAccountsCommand: `watchfloor accounts` creates an admin on a fresh
// Redis, lists it, resets its password and disables it; bad input is
// refused naming the field.
func TestAccountsCommand(t *testing.T) {
	r := storetest.Start(t)
	env := map[string]string{"WATCHFLOOR_REDIS_URL": r.URL(), "WATCHFLOOR_DEMO_PASSWORD": "demo-password"}
	run := func(args ...string) (int, string, string) {
		var out, errs bytes.Buffer
		code := runAccounts(context.Background(), append([]string{"-config", "../../config/sample/watchfloor.yaml"}, args...),
			func(k string) string { return env[k] }, &out, &errs)
		return code, out.String(), errs.String()
	}
	code, out, errs := run("create", "-username", "chief-admin", "-name", "值班管理员", "-role", "admin", "-phone", "13800138000")
	otp := regexp.MustCompile(`one-time password (\S+)`).FindStringSubmatch(out)
	if code != 0 || otp == nil {
		t.Fatalf("create: %d %q %q", code, out, errs)
	}
	if code, out, _ := run("list"); code != 0 || !regexp.MustCompile(`chief-admin\s+值班管理员\s+admin\s+active`).MatchString(out) || !strings.Contains(out, "car-01") {
		t.Fatalf("list: %d %s", code, out)
	}
	code, out, _ = run("reset", "chief-admin")
	again := regexp.MustCompile(`one-time password (\S+)`).FindStringSubmatch(out)
	if code != 0 || again == nil || again[1] == otp[1] {
		t.Fatalf("reset: %d %q", code, out)
	}
	if code, out, _ := run("disable", "chief-admin"); code != 0 || !strings.Contains(out, "disabled") {
		t.Fatalf("disable: %d %q", code, out)
	}
	if code, out, _ := run("list"); !regexp.MustCompile(`chief-admin\s+值班管理员\s+admin\s+disabled`).MatchString(out) {
		t.Fatalf("list after disabling: %d %s", code, out)
	}
	if code, _, errs := run("create", "-username", "chief-admin", "-name", "x", "-role", "chief"); code != 2 || !strings.Contains(errs, "username") || !strings.Contains(errs, "role") {
		t.Fatalf("bad create: %d %q", code, errs)
	}
	if code, _, errs := run("reset", "nobody"); code != 1 || !strings.Contains(errs, "not found") {
		t.Fatalf("reset of no account: %d %q", code, errs)
	}
	if code, _, _ := run("frobnicate"); code != 2 {
		t.Fatalf("an unknown command: %d", code)
	}
}

// TestAccountsCommandBindsRunTimeUnit: a unit created at run time (in
// Redis, not in the configuration file) can be bound to a responder from
// the command line.
func TestAccountsCommandBindsRunTimeUnit(t *testing.T) {
	r := storetest.Start(t)
	env := map[string]string{"WATCHFLOOR_REDIS_URL": r.URL(), "WATCHFLOOR_DEMO_PASSWORD": "demo-password",
		"WATCHFLOOR_LISTEN": "127.0.0.1:0", "WATCHFLOOR_OSMAND_LISTEN": "127.0.0.1:0"}
	getenv := func(k string) string { return env[k] }
	cfg, err := config.Load("../../config/sample/watchfloor.yaml", getenv)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Auth.BcryptCost = 4
	ctx := context.Background()
	srv, err := server.New(ctx, cfg, server.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Notice: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	post := func(path, token string, body any) (int, map[string]any) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", "http://"+srv.Addr()+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	code, sess := post("/api/v1/sessions", "", map[string]string{"username": "admin", "password": "demo-password"})
	if code != 201 {
		t.Fatalf("login: %d %v", code, sess)
	}
	if code, out := post("/api/v1/units", sess["token"].(string), map[string]any{"id": "car-99", "callsign": "东门巡99", "type": "car"}); code != 201 {
		t.Fatalf("creating a unit: %d %v", code, out)
	}
	stop, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := srv.Stop(stop); err != nil {
		t.Fatal(err)
	}

	var out, errs bytes.Buffer
	code = runAccounts(ctx, []string{"-config", "../../config/sample/watchfloor.yaml", "create", "-username", "wang-99", "-name", "王", "-role", "responder", "-unit", "car-99"},
		getenv, &out, &errs)
	if code != 0 || !strings.Contains(out.String(), "one-time password") {
		t.Fatalf("binding a run-time unit: %d %q %q", code, out.String(), errs.String())
	}
}

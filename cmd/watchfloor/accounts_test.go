package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"watchfloor/command/store/storetest"
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

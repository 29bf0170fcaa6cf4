package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"watchfloor/config"
)

// TestComposeDeployment checks what docker-compose.yml relies on, since no
// Docker engine runs here: the binary accepts the command and environment
// the Compose file gives it, the configuration it names loads, and the
// Dockerfile ships the files that configuration reads.
func TestComposeDeployment(t *testing.T) {
	root := "../.."
	b, err := os.ReadFile(filepath.Join(root, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Build       string            `yaml:"build"`
			Image       string            `yaml:"image"`
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
			Profiles    []string          `yaml:"profiles"`
			Volumes     []string          `yaml:"volumes"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &compose); err != nil {
		t.Fatal(err)
	}
	wf, ok := compose.Services["watchfloor"]
	if !ok || wf.Build != "." {
		t.Fatalf("no watchfloor service built from the repository: %+v", compose.Services)
	}
	redis := compose.Services["redis"]
	if !strings.Contains(strings.Join(redis.Command, " "), "--appendonly yes") || !strings.Contains(strings.Join(redis.Command, " "), "noeviction") {
		t.Errorf("redis runs without AOF or noeviction: %v", redis.Command)
	}
	prom := compose.Services["prometheus"]
	if len(prom.Volumes) == 0 {
		t.Fatal("prometheus has no configuration mounted")
	}
	promCfg := strings.SplitN(prom.Volumes[0], ":", 2)[0]
	pb, err := os.ReadFile(filepath.Join(root, promCfg))
	if err != nil || !strings.Contains(string(pb), "watchfloor:8080") {
		t.Errorf("prometheus does not scrape watchfloor:8080: %v %s", err, pb)
	}

	// Run the real binary with the Compose command and environment.
	bin := filepath.Join(t.TempDir(), "watchfloor")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	env := os.Environ()
	for k, v := range wf.Environment {
		if strings.HasPrefix(v, "${") {
			v = "$2a$12$UJykDRsa6rNsHFGvbWyBge3owljQqRjcG1fYZD.S0cJcvXN6fyuw2"
		}
		env = append(env, k+"="+v)
	}
	cmd := exec.Command(bin, append(wf.Command, "--check")...)
	cmd.Dir = root
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("watchfloor %v --check: %v\n%s", wf.Command, err, out)
	}
	// The ha profile's instances run the same binary on deploy/watchfloor.ha.yaml.
	ha, ok := compose.Services["watchfloor-1"]
	if !ok {
		t.Fatal("no ha profile")
	}
	cmd = exec.Command(bin, append(ha.Command, "--check")...)
	cmd.Dir = root
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("watchfloor %v --check: %v\n%s", ha.Command, err, out)
	}
	for _, f := range []string{"deploy/nginx.conf", "deploy/sentinel.conf"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("the ha profile mounts %s: %v", f, err)
		}
	}

	// Without the admin hash the configuration is refused, with the reason.
	cmd = exec.Command(bin, append(wf.Command, "--check")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "password_hash") {
		t.Errorf("accepted without an admin password hash: %s", out)
	}

	// The Dockerfile copies what the configuration reads.
	df, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"./cmd/watchfloor", "COPY config ./config", "COPY deploy ./deploy", `"deploy/watchfloor.compose.yaml"`} {
		if !strings.Contains(string(df), want) {
			t.Errorf("Dockerfile lacks %s", want)
		}
	}
	if !regexp.MustCompile(`FROM golang:1\.26`).Match(df) {
		t.Error("Dockerfile builds with another Go than go.mod's")
	}
}

func TestHashPassword(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "watchfloor")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--hash-password")
	cmd.Stdin = strings.NewReader("correct horse\n")
	out, err := cmd.Output()
	if err != nil || !strings.HasPrefix(string(out), "$2a$12$") {
		t.Fatalf("%s %v", out, err)
	}
	cmd = exec.Command(bin, "--hash-password")
	cmd.Stdin = strings.NewReader("short\n")
	if err := cmd.Run(); err == nil {
		t.Error("a short password was hashed")
	}
}

// TestProfileContention: metrics.mutex_profile_fraction sets the runtime's
// sampling of contended locks; 0 leaves it as it was.
func TestProfileContention(t *testing.T) {
	was := runtime.SetMutexProfileFraction(-1)
	defer runtime.SetMutexProfileFraction(was)
	runtime.SetMutexProfileFraction(5)
	profileContention(config.Metrics{})
	if got := runtime.SetMutexProfileFraction(-1); got != 5 {
		t.Errorf("with 0 the fraction is %d, want it left at 5", got)
	}
	profileContention(config.Metrics{MutexProfileFraction: 7})
	if got := runtime.SetMutexProfileFraction(-1); got != 7 {
		t.Errorf("the fraction is %d, want 7", got)
	}
}

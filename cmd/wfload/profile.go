package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/pprof"
	"strconv"
	"time"
)

// startCPUProfile profiles this process into path until the returned stop
// is called ("" profiles nothing).
func startCPUProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() error { pprof.StopCPUProfile(); return f.Close() }, nil
}

// serverProfile fetches the first server's profile name over d into path,
// as the admin account (GET /debug/pprof/NAME?seconds=: "profile" its CPU,
// "mutex" the locks waited on, sampled as metrics.mutex_profile_fraction
// says); the returned channel gives its error once it is written.
func (l *load) serverProfile(ctx context.Context, name, path string, d time.Duration) <-chan error {
	done := make(chan error, 1)
	go func() {
		if err := l.fetchProfile(ctx, name, path, d); err != nil {
			done <- fmt.Errorf("server profile %s: %w", name, err)
		}
		close(done)
	}()
	return done
}

func (l *load) fetchProfile(ctx context.Context, name, path string, d time.Duration) error {
	tok, err := l.login(ctx, "admin")
	if err != nil {
		return err
	}
	secs := max(1, int(d/time.Second))
	req, err := http.NewRequestWithContext(ctx, "GET", l.apis[0]+"/debug/pprof/"+name+"?seconds="+strconv.Itoa(secs), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	c := &http.Client{Transport: l.http.Transport, Timeout: d + 30*time.Second}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		return fmt.Errorf("%d %s", res.StatusCode, b)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

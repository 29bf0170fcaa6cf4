// Package storetest starts a real redis-server for tests: on a free port
// of 127.0.0.1, in the test's temporary directory, stopped when the test
// ends. Tests never touch the Redis on 6379.
package storetest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Redis is a running redis-server.
type Redis struct {
	Addr string
	Dir  string
	args []string
	cmd  *exec.Cmd
	t    testing.TB
}

// URL is the redis:// URL of database 0.
func (r *Redis) URL() string { return "redis://" + r.Addr + "/0" }

// Start runs redis-server for the test; extra arguments are passed on and
// override the defaults (e.g. "--appendfsync", "always"). By default the
// append-only file is on with appendfsync everysec: the durability the
// sample configuration requires (Watchfloor checks Redis's settings at start
// and never changes them).
func Start(t testing.TB, extra ...string) *Redis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is not installed (run make deps): %v", err)
	}
	dir := t.TempDir()
	r := &Redis{Dir: dir, t: t}
	for attempt := 0; ; attempt++ {
		port := freePort(t)
		r.Addr = "127.0.0.1:" + strconv.Itoa(port)
		r.args = append([]string{
			"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
			"--save", "", "--appendonly", "yes", "--appendfsync", "everysec", "--maxmemory-policy", "noeviction",
			"--daemonize", "no", "--logfile", filepath.Join(dir, "redis.log"),
		}, extra...)
		if err := r.start(bin); err == nil {
			break
		} else if attempt == 4 {
			t.Fatalf("starting redis-server: %v", err)
		}
	}
	t.Cleanup(r.Stop)
	return r
}

func (r *Redis) start(bin string) error {
	r.cmd = exec.Command(bin, r.args...)
	// Its own process group, so a kill also ends the children Redis forks
	// (an AOF rewrite, a replica's sync), which would go on writing into
	// the test's directory.
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := r.cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- r.cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(r.Dir, "redis.log"))
			return fmt.Errorf("redis-server exited: %v\n%s", err, log)
		default:
		}
		if ping(r.Addr) == nil { // answering, not loading its data
			pid, err := serverPID(r.Addr)
			if err != nil {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			if pid != r.cmd.Process.Pid {
				// The port was taken between freePort and the start: the
				// answer is another test's server, ours is exiting.
				killGroup(r.cmd)
				<-exited
				return fmt.Errorf("%s is another redis-server's (pid %d)", r.Addr, pid)
			}
			go func() { <-exited }()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	killGroup(r.cmd)
	return fmt.Errorf("redis-server did not answer on %s", r.Addr)
}

// Stop kills the server (SIGKILL: whatever is not on disk is lost).
func (r *Redis) Stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		killGroup(r.cmd)
		for i := 0; i < 200 && ping(r.Addr) == nil; i++ {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// Restart stops the server and starts it again on the same port and
// directory.
func (r *Redis) Restart() {
	r.t.Helper()
	r.Stop()
	bin, _ := exec.LookPath("redis-server")
	var err error
	for i := 0; i < 50; i++ {
		if err = r.start(bin); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.t.Fatalf("restarting redis-server: %v", err)
}

func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("unexpected answer %q", line)
	}
	return nil
}

// serverPID asks the redis-server on addr for its process id.
func serverPID(addr string) (int, error) {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("INFO server\r\n")); err != nil {
		return 0, err
	}
	rd := bufio.NewReader(c)
	head, err := rd.ReadString('\n')
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(head, "$")))
	if !strings.HasPrefix(head, "$") || err != nil {
		return 0, fmt.Errorf("unexpected answer %q", head)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(rd, body); err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(body), "\r\n") {
		if v, ok := strings.CutPrefix(line, "process_id:"); ok {
			return strconv.Atoi(v)
		}
	}
	return 0, fmt.Errorf("no process_id in INFO server")
}

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Port is the server's port.
func (r *Redis) Port() string {
	_, p, _ := net.SplitHostPort(r.Addr)
	return p
}

// Sentinel is a running Redis Sentinel.
type Sentinel struct {
	Addr string
	cmd  *exec.Cmd
}

// StartSentinel runs a Sentinel monitoring master as name, with a quick
// failure detection for tests (down after 1 s).
func StartSentinel(t testing.TB, name string, master *Redis) *Sentinel {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	conf := filepath.Join(dir, "sentinel.conf")
	body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor %s 127.0.0.1 %s 2\nsentinel down-after-milliseconds %s 1000\nsentinel failover-timeout %s 5000\nsentinel parallel-syncs %s 1\n",
		port, dir, name, master.Port(), name, name, name)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Sentinel{Addr: "127.0.0.1:" + strconv.Itoa(port)}
	s.cmd = exec.Command("redis-server", conf, "--sentinel")
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting sentinel: %v", err)
	}
	go func() { _ = s.cmd.Wait() }()
	t.Cleanup(func() { killGroup(s.cmd) })
	deadline := time.Now().Add(5 * time.Second)
	for ping(s.Addr) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("sentinel did not answer on %s", s.Addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

// killGroup sends SIGKILL to cmd's process group: the server and whatever
// it forked.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		_ = cmd.Process.Kill()
	}
}

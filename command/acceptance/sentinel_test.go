package acceptance_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/store/storetest"
	"watchfloor/config"
)

// TestSentinelFailover: a master, a replica and three Sentinels; the
// master is killed during a burst of creates. Watchfloor answers 503 for
// the gap, recovers by itself on the promoted replica, and with
// wait_replicas 1 every incident that got a 201 is there afterwards.
func TestSentinelFailover(t *testing.T) {
	// A replica syncs at once (by default a master waits 5 s for others to
	// join a diskless sync), here and again when the old master returns.
	master := storetest.Start(t, "--appendonly", "yes", "--repl-diskless-sync-delay", "0")
	replica := storetest.Start(t, "--appendonly", "yes", "--repl-diskless-sync-delay", "0", "--replicaof", "127.0.0.1", master.Port())
	rc := redis.NewClient(&redis.Options{Addr: replica.Addr})
	defer rc.Close()
	waitFor(t, 10*time.Second, "the replica in sync", func() bool {
		info, _ := rc.Info(context.Background(), "replication").Result()
		return strings.Contains(info, "master_link_status:up")
	})
	var sentinels []string
	for range 3 {
		sentinels = append(sentinels, storetest.StartSentinel(t, "watchfloor", master).Addr)
	}
	h := newHarnessOn(t, master, benchLimits, func(c *config.Config) {
		c.Redis.URL = "redis://127.0.0.1:1/0" // only the database: the master comes from Sentinel
		c.Redis.Sentinel = config.Sentinel{Addrs: sentinels, Master: "watchfloor"}
		c.Redis.WaitReplicas = 1
	})
	tok := h.token("operator")
	var mu sync.Mutex
	var acked []string
	unavailable := 0
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				res, b := h.doQuiet("POST", "/api/v1/incidents", tok, dongmen(fmt.Sprintf("切换%d-%d", w, i), 5))
				mu.Lock()
				switch {
				case res != nil && res.StatusCode == 201:
					var inc struct{ ID string }
					if mustJSONQuiet(b, &inc) == nil {
						acked = append(acked, inc.ID)
					}
				case res != nil && res.StatusCode == 503:
					unavailable++
				}
				mu.Unlock()
				if res == nil || res.StatusCode != 201 {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	waitFor(t, 5*time.Second, "a burst of acknowledged writes", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= 20
	})
	master.Stop() // SIGKILL the master mid-burst
	sc := redis.NewSentinelClient(&redis.Options{Addr: sentinels[0]})
	defer sc.Close()
	waitFor(t, 30*time.Second, "Sentinel promoting the replica", func() bool {
		addr, err := sc.GetMasterAddrByName(context.Background(), "watchfloor").Result()
		return err == nil && len(addr) == 2 && addr[1] == replica.Port()
	})
	// The burst covers the failover; it stops once the replica is promoted.
	close(stop)
	wg.Wait()
	// With wait_replicas 1 the promoted master needs a replica again: the
	// old master comes back and Sentinel makes it one.
	master.Restart()
	waitFor(t, 40*time.Second, "writes acknowledged again", func() bool {
		res, b := h.doQuiet("POST", "/api/v1/incidents", tok, dongmen("切换之后", 5))
		if res == nil || res.StatusCode != 201 {
			return false
		}
		var inc struct{ ID string }
		if mustJSONQuiet(b, &inc) == nil {
			mu.Lock()
			acked = append(acked, inc.ID)
			mu.Unlock()
		}
		return true
	})
	mu.Lock()
	defer mu.Unlock()
	if len(acked) < 5 {
		t.Fatalf("only %d acknowledged creates", len(acked))
	}
	if unavailable == 0 {
		t.Errorf("no 503 during the failover gap")
	}
	for _, id := range acked {
		if res, _ := h.do("GET", "/api/v1/incidents/"+id, tok, nil); res.StatusCode != 200 {
			t.Errorf("incident %s got a 201 but is gone after the failover: %d", id, res.StatusCode)
		}
	}
	t.Logf("%d acknowledged creates all found after the failover; %d answered 503 during it", len(acked), unavailable)
}

package store

import (
	"context"
	"fmt"
	"sync"

	"watchfloor/command/change"
)

// Shared parts: part:{key} holds the JSON members that values written as
// a *change.Shared refer to (a plan group's orders, kept once for its
// tasks). A key names one content, so a part never changes: every instance
// caches those it read or wrote.

// partCacheSize bounds the parts an instance keeps: a plan's groups are a
// handful, and a part not kept is read again once.
const partCacheSize = 1024

// partCache keeps parts by key; when full, it starts again empty.
type partCache struct {
	mu sync.RWMutex
	m  map[string][]byte
}

func (c *partCache) get(key string) ([]byte, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	p, ok := c.m[key]
	return p, ok
}

func (c *partCache) put(key string, part []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= partCacheSize {
		c.m = make(map[string][]byte, 64)
	}
	c.m[key] = part
}

// Whole returns a stored document or event whole, its references to
// shared parts replaced by the parts (read from Redis once per instance).
func (s *Store) Whole(ctx context.Context, stored string) ([]byte, error) {
	return change.Whole(stored, func(key string) ([]byte, error) {
		if p, ok := s.parts.get(key); ok {
			return p, nil
		}
		p, err := s.rdb.Get(ctx, s.Key("part", key)).Bytes()
		if Missing(err) {
			// Written in the same step as what refers to it: its absence
			// is damage to storage, not an unknown id.
			return nil, fmt.Errorf("shared part %s is missing from storage", key)
		}
		if err != nil {
			return nil, s.Wrap("reading a shared part", err)
		}
		s.parts.put(key, p)
		return p, nil
	})
}

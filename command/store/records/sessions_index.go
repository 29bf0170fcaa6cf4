package records

import (
	"context"
	"encoding/json"
	"fmt"

	"watchfloor/command/auth"
)

// IndexOldSessions adds the sessions stored before accounts kept the set of
// their sessions (sessions:of:{username}) to those sets, once per
// deployment, so that disabling an account or resetting its password ends
// them too. It is cheap after the first start (one read of its mark) and
// safe on several instances at once (adding to a set twice changes
// nothing).
func (x *Sessions) IndexOldSessions(ctx context.Context) error {
	mark := x.s.Key("sessions", "indexed")
	rdb := x.s.Client()
	if n, err := rdb.Exists(ctx, mark).Result(); err != nil {
		return x.s.Wrap("indexing sessions", err)
	} else if n == 1 {
		return nil
	}
	prefix := x.s.Key("session", "")
	var cursor uint64
	for {
		keys, next, err := rdb.Scan(ctx, cursor, prefix+"*", 1000).Result()
		if err != nil {
			return x.s.Wrap("indexing sessions", err)
		}
		if err := x.index(ctx, prefix, keys); err != nil {
			return err
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	return x.s.Wrap("indexing sessions", rdb.Set(ctx, mark, "1", 0).Err())
}

// index adds the sessions at keys to their accounts' sets.
func (x *Sessions) index(ctx context.Context, prefix string, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	vals, err := x.s.Client().MGet(ctx, keys...).Result()
	if err != nil {
		return x.s.Wrap("indexing sessions", err)
	}
	pipe := x.s.Client().Pipeline()
	for i, v := range vals {
		b, ok := v.(string)
		var sess auth.Session
		if !ok || json.Unmarshal([]byte(b), &sess) != nil || sess.Username == "" {
			continue // expired meanwhile, or not a session
		}
		pipe.SAdd(ctx, x.s.Key("sessions", "of", sess.Username), keys[i][len(prefix):])
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return x.s.Wrap("indexing sessions", fmt.Errorf("adding sessions to their accounts: %w", err))
	}
	return nil
}

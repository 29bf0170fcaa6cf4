package account

import (
	"encoding/json"
	"fmt"
	"time"

	"watchfloor/command/fault"
)

// Decode reads an account back from the fields a store keeps (doc, ver,
// state, hash, last_login); fault.ErrNotFound when there is none or it
// was deleted.
func Decode(username string, m map[string]string) (Stored, error) {
	if m["doc"] == "" || m["state"] == Deleted {
		return Stored{}, fmt.Errorf("account %s: %w", username, fault.ErrNotFound)
	}
	a := &Account{}
	if err := json.Unmarshal([]byte(m["doc"]), a); err != nil {
		return Stored{}, fmt.Errorf("decoding account %s: %w", username, err)
	}
	if v := m["last_login"]; v != "" {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			a.LastLogin = &t
		}
	}
	return Stored{Account: a, Hash: m["hash"]}, nil
}

package change

import (
	"strings"

	"watchfloor/command/fault"
	"watchfloor/command/vocab"
)

// IdemOf records that the request under idem's Idempotency-Key made first
// (an id, or ids joined by commas), bound to the request's body.
func IdemOf(idem *vocab.Idempotency, first string) *Idem {
	return &Idem{Key: idem.Key, Value: first + "|" + idem.Fingerprint, TTL: idem.TTL}
}

// FirstOf reads what IdemOf stored for a repeated request: what the first
// request made, or a field error when the key came with another body (idem
// nil: any body).
func FirstOf(stored string, idem *vocab.Idempotency) (string, error) {
	first, fp, _ := strings.Cut(stored, "|")
	if idem != nil && fp != idem.Fingerprint {
		return "", fault.Field("Idempotency-Key", "was already used for a different request")
	}
	return first, nil
}

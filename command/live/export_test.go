package live

// PublishStored offers msgs to stream's subscribers as one stored burst,
// as the tail does: each subscriber's queue takes them at once, with one
// wake-up (for tests that need a burst queued before its writer runs).
func (h *Hub) PublishStored(stream string, msgs []Message) { h.publishStored(stream, msgs) }

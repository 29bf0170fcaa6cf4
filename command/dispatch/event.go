package dispatch

import "watchfloor/command/incident"

// Event is the data of dispatch.created and dispatch.updated: the order,
// and with a new order the incident it answers (masked). The vocab.Event
// that carries it has as Prev the order before the change, or its status
// (stats.Counts reads it for the ack and on-scene seconds).
type Event struct {
	DispatchID string             `json:"dispatch_id"`
	Dispatch   *Dispatch          `json:"dispatch"`
	Incident   *incident.Incident `json:"incident,omitempty"`
}

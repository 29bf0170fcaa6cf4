package dispatch

import "watchfloor/command/incident"

// Event is the data of dispatch.created and dispatch.updated: the order,
// and with a new order the incident it answers (masked).
type Event struct {
	DispatchID string             `json:"dispatch_id"`
	Dispatch   *Dispatch          `json:"dispatch"`
	Incident   *incident.Incident `json:"incident,omitempty"`
}

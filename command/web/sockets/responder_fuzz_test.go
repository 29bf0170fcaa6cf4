package sockets

import (
	"testing"

	"watchfloor/command/web/units/positiontest"
)

// FuzzDecodeResponderMessage: a message a responder sends on its socket.
func FuzzDecodeResponderMessage(f *testing.F) {
	f.Add([]byte(`{"type":"position","id":"p1","lon":114.113,"lat":22.548,"at":"2026-11-23T20:13:10Z","speed_mps":3,"accuracy_m":8}`))
	f.Add([]byte(`{"type":"ack","id":"a","dispatch_id":"d-1"}`))
	f.Add([]byte(`{"type":"status","dispatch_id":"d-1","status":"en_route"}`))
	f.Add([]byte(`{"type":"position","lon":114.1,"lat":22.5,"at":"0001-01-01T00:00:00Z","heading":1e308}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		in, pos, err := decodeResponderMessage(raw)
		if len(in.ID) > maxMessageID || len(in.DispatchID) > maxMessageID || len(in.Type) > maxMessageType {
			t.Fatalf("would echo %d, %d and %d bytes", len(in.ID), len(in.DispatchID), len(in.Type))
		}
		if err != nil {
			positiontest.CheckInvalid(t, err)
			return
		}
		switch in.Type {
		case "ack", "status":
		case "position":
			positiontest.Check(t, pos, in.At)
		default:
			t.Fatalf("type %q accepted", in.Type)
		}
	})
}

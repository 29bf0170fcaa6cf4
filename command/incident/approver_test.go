package incident_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"watchfloor/command/incident"
	"watchfloor/command/memstore"
	"watchfloor/command/vocab"
)

// brokenRoster fails every lookup of the leader on duty.
type brokenRoster struct{}

func (brokenRoster) Approver(context.Context, time.Time) (string, string, error) {
	return "", "", errors.New("redis: connection refused")
}

// A failing roster lookup does not fail recording a serious incident: the
// incident and its alarm are stored, the alarm names nobody, and the
// failure is logged as a warning.
func TestCreateWhenTheRosterFails(t *testing.T) {
	grader, m := incident.SampleRules(t)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	mem := memstore.New(memstore.Options{Location: loc})
	var logged bytes.Buffer
	svc := incident.NewService(mem.Incidents(), grader, m,
		incident.Options{Location: loc}, nil,
		incident.Hooks{Approvers: brokenRoster{}, Log: slog.New(slog.NewTextHandler(&logged, nil))})
	in, err := incident.Decode([]byte(`{"category":"production_safety","title":"名册故障测试","grid":"440303002002001","deaths":10}`))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	inc, _, err := svc.Create(ctx, vocab.Actor{Username: "operator", Role: vocab.Operator}, in, nil)
	if err != nil || inc == nil {
		t.Fatalf("created %+v: %v", inc, err)
	}
	alarms, err := mem.Alarms().List(ctx, true, 10)
	if err != nil || len(alarms) != 1 || alarms[0].Approver != "" {
		t.Fatalf("alarms %+v %v", alarms, err)
	}
	if !strings.Contains(logged.String(), "level=WARN") || !strings.Contains(logged.String(), "connection refused") {
		t.Fatalf("not logged: %q", logged.String())
	}
}

package incident_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"watchfloor/alerts"
	"watchfloor/command/incident"
	"watchfloor/command/memstore"
	"watchfloor/command/vocab"
	"watchfloor/config"
	"watchfloor/geo"
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
	cfg, err := config.Load("../../config/sample/watchfloor.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	grids, _ := os.ReadFile(cfg.Path(cfg.Map.Grids))
	zones, _ := os.ReadFile(cfg.Path(cfg.Map.Zones))
	m, err := geo.NewMap(grids, zones)
	if err != nil {
		t.Fatal(err)
	}
	mem := memstore.New(memstore.Options{Location: cfg.Location})
	var logged bytes.Buffer
	svc := incident.NewService(mem.Incidents(), alerts.NewGrader(cfg.Categories, cfg.Periods, cfg.Location), m,
		incident.Options{Location: cfg.Location}, nil,
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

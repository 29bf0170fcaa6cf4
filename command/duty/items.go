package duty

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"watchfloor/command/alarm"
	"watchfloor/command/dispatch"
	"watchfloor/command/gridcase"
	"watchfloor/command/incident"
)

// Ref is one item a handover hands over: its kind, id and a short summary.
type Ref struct {
	ID      string `json:"id"`
	Summary string `json:"summary"`
	Status  string `json:"status,omitempty"`
	// IncidentID is the incident an order, report or alarm is about.
	IncidentID string `json:"incident_id,omitempty"`
}

// Lists are what a handover pre-fills: the shift's incidents (created
// during it), the open orders, open cases, information reports still unsent
// (open reporting deadlines) and open alarms.
type Lists struct {
	Incidents []Ref `json:"incidents"`
	Orders    []Ref `json:"orders"`
	Cases     []Ref `json:"cases"`
	Reports   []Ref `json:"reports"`
	Alarms    []Ref `json:"alarms"`
	// Totals are the lengths before each list was bounded by MaxItems.
	Totals Totals `json:"totals"`
}

// MaxItems bounds each list of a handover.
const MaxItems = 500

// Totals are how many items each list had before it was bounded.
type Totals struct {
	Incidents int `json:"incidents"`
	Orders    int `json:"orders"`
	Cases     int `json:"cases"`
	Reports   int `json:"reports"`
	Alarms    int `json:"alarms"`
}

// bound keeps the first n items of each list and the totals.
func (l *Lists) bound(n int) {
	l.Totals = Totals{len(l.Incidents), len(l.Orders), len(l.Cases), len(l.Reports), len(l.Alarms)}
	for _, rs := range []*[]Ref{&l.Incidents, &l.Orders, &l.Cases, &l.Reports, &l.Alarms} {
		if len(*rs) > n {
			*rs = (*rs)[:n]
		}
	}
}

// Count is how many items the lists hold.
func (l Lists) Count() int {
	return len(l.Incidents) + len(l.Orders) + len(l.Cases) + len(l.Reports) + len(l.Alarms)
}

// OpenItems reads the open items from the stores of incidents, orders,
// cases and alarms.
type OpenItems struct {
	incidents incident.Store
	orders    dispatch.Store
	cases     gridcase.Store
	alarms    alarm.Store
}

// NewOpenItems builds the pre-fill from the domain stores.
func NewOpenItems(inc incident.Store, orders dispatch.Store, cases gridcase.Store, alarms alarm.Store) *OpenItems {
	return &OpenItems{incidents: inc, orders: orders, cases: cases, alarms: alarms}
}

// listLimit bounds each list read.
const listLimit = 500

// openStatuses are the statuses of a case still open: all but closed,
// evaluated and rejected.
func openStatuses() []string {
	return []string{gridcase.Collected, gridcase.Accepted, gridcase.Dispatched, gridcase.Handled, gridcase.Verified}
}

// Open implements Items.
func (o *OpenItems) Open(ctx context.Context, from, to time.Time) (Lists, error) {
	l := Lists{Incidents: []Ref{}, Orders: []Ref{}, Cases: []Ref{}, Reports: []Ref{}, Alarms: []Ref{}}
	incs, err := o.incidents.List(ctx, incident.Query{Since: from, Limit: listLimit})
	if err != nil {
		return l, fmt.Errorf("listing the shift's incidents: %w", err)
	}
	for _, inc := range incs {
		if !inc.CreatedAt.Before(from) && !inc.CreatedAt.After(to) {
			l.Incidents = append(l.Incidents, Ref{ID: inc.ID, Summary: inc.Level.String() + " " + inc.Title, Status: inc.Status})
		}
	}
	if err := o.reports(ctx, &l); err != nil {
		return l, err
	}
	orders, err := o.orders.Active(ctx)
	if err != nil {
		return l, fmt.Errorf("listing open orders: %w", err)
	}
	for _, d := range orders {
		l.Orders = append(l.Orders, Ref{ID: d.ID, Summary: d.Callsign, Status: d.Status, IncidentID: d.IncidentID})
	}
	// The open cases, by status (each status's own index): a case open
	// for days, untouched, is not crowded out by the newer closed ones.
	for _, st := range openStatuses() {
		cases, err := o.cases.List(ctx, gridcase.Query{Status: st, Limit: listLimit})
		if err != nil {
			return l, fmt.Errorf("listing open cases: %w", err)
		}
		for _, c := range cases {
			l.Cases = append(l.Cases, Ref{ID: c.ID, Summary: c.Title, Status: c.Status})
		}
	}
	alarms, err := o.alarms.List(ctx, true, listLimit)
	if err != nil {
		return l, fmt.Errorf("listing open alarms: %w", err)
	}
	for _, a := range alarms {
		l.Alarms = append(l.Alarms, Ref{ID: a.ID, Summary: a.Title, Status: a.Kind, IncidentID: a.IncidentID})
	}
	sortRefs(&l)
	return l, nil
}

// reports adds the reporting deadlines of open incidents not yet sent.
func (o *OpenItems) reports(ctx context.Context, l *Lists) error {
	for _, st := range []string{incident.StatusOpen, incident.StatusResponding, incident.StatusRecovery} {
		incs, err := o.incidents.List(ctx, incident.Query{Status: st, Limit: listLimit})
		if err != nil {
			return fmt.Errorf("listing open incidents: %w", err)
		}
		for _, inc := range incs {
			for _, d := range inc.Deadlines {
				if d.Status != "sent" {
					l.Reports = append(l.Reports, Ref{ID: inc.ID + "/" + d.ID, Summary: inc.Title,
						Status: d.Status, IncidentID: inc.ID})
				}
			}
		}
	}
	return nil
}

func sortRefs(l *Lists) {
	for _, rs := range [][]Ref{l.Incidents, l.Orders, l.Cases, l.Reports, l.Alarms} {
		slices.SortFunc(rs, func(a, b Ref) int { return strings.Compare(a.ID, b.ID) })
	}
}

package duty

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"watchfloor/command/audit"
	"watchfloor/command/fault"
	"watchfloor/command/vocab"
)

// CSVHeader is the header row of a roster CSV; operators and stand-by
// units are lists separated by ';'.
var CSVHeader = []string{"date", "shift", "start", "end", "leader", "operators", "standby"}

// MaxCSVRows bounds a roster import.
const MaxCSVRows = 31 * MaxShifts

const bom = "\ufeff"

// ExportMonth renders a month's roster as CSV (UTF-8 with a BOM), one row
// per shift.
func (s *Service) ExportMonth(ctx context.Context, month string) ([]byte, error) {
	days, err := s.Month(ctx, month)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString(bom)
	w := csv.NewWriter(&buf)
	_ = w.Write(CSVHeader)
	for _, d := range days {
		for _, sh := range d.Shifts {
			row := []string{d.Date, sh.ID, sh.Start, sh.End, sh.Leader, strings.Join(sh.Operators, ";"), strings.Join(sh.Standby, ";")}
			for i, c := range row {
				row[i] = audit.SafeCell(c)
			}
			_ = w.Write(row)
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// rowField names a CSV cell for a problem: row n (the file's line, the
// header being row 1) and the column's name.
func rowField(n int, column string) string { return fmt.Sprintf("row[%d].%s", n, column) }

// parseCSV reads a roster CSV of month into shifts by date and the row of
// each shift; every bad row and column is named.
func parseCSV(month string, data []byte) (map[string][]Shift, map[string][]int, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte(bom))))
	r.FieldsPerRecord = -1
	bad := &fault.Invalid{}
	head, err := r.Read()
	if err != nil || strings.Join(head, ",") != strings.Join(CSVHeader, ",") {
		return nil, nil, fault.Field(rowField(1, "header"), "the header row must be %s", strings.Join(CSVHeader, ","))
	}
	byDate, rows := map[string][]Shift{}, map[string][]int{}
	for n := 2; ; n++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			bad.Add(rowField(n, "row"), "not CSV: %v", err)
			break
		}
		if n > MaxCSVRows+1 {
			bad.Add(rowField(n, "row"), "at most %d shifts in a month", MaxCSVRows)
			break
		}
		if !utf8.ValidString(strings.Join(rec, "")) {
			bad.Add(rowField(n, "row"), "not UTF-8 text (a GBK export?): save the file as CSV UTF-8")
			break
		}
		if len(rec) != len(CSVHeader) {
			bad.Add(rowField(n, "row"), "%d columns, not %d", len(rec), len(CSVHeader))
			continue
		}
		date := strings.TrimSpace(rec[0])
		if err := ParseDate(date); err != nil {
			bad.Add(rowField(n, "date"), "%v", err)
			continue
		}
		if monthOf(date) != month {
			bad.Add(rowField(n, "date"), "%s is not in %s", date, month)
			continue
		}
		byDate[date] = append(byDate[date], Shift{ID: strings.TrimSpace(rec[1]), Start: strings.TrimSpace(rec[2]), End: strings.TrimSpace(rec[3]),
			Leader: strings.TrimSpace(rec[4]), Operators: list(rec[5]), Standby: list(rec[6])})
		rows[date] = append(rows[date], n)
	}
	return byDate, rows, bad.Err()
}

// list splits a cell of names separated by ';'.
func list(cell string) []string {
	out := []string{}
	for _, v := range strings.Split(cell, ";") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// ImportMonth replaces a month's roster with a CSV's (as ExportMonth
// writes it): all or nothing; a bad row is named by row and column. Days
// of the month the file leaves out are emptied.
func (s *Service) ImportMonth(ctx context.Context, who vocab.Actor, month string, data []byte) ([]Day, error) {
	if err := ParseDate(month + "-01"); err != nil || len(month) != 7 {
		return nil, fault.Field("month", "%q is not a month (YYYY-MM) of the years %d to %d", month, MinYear, MaxYear)
	}
	byDate, rows, err := parseCSV(month, data)
	if err != nil {
		return nil, err
	}
	have, err := s.Month(ctx, month)
	if err != nil {
		return nil, err
	}
	for _, d := range have {
		if _, ok := byDate[d.Date]; !ok {
			byDate[d.Date] = []Shift{}
		}
	}
	columns := map[string]string{"id": "shift", "start": "start", "end": "end", "leader": "leader"}
	c, _, err := s.plan(ctx, who, byDate, func(date string, i int) string {
		return fmt.Sprintf("row[%d].", rows[date][i])
	})
	if err != nil {
		return nil, renameColumns(err, columns)
	}
	n := 0
	for _, shifts := range byDate {
		n += len(shifts)
	}
	c.Audit = append(c.Audit, audit.Record{At: c.At, Who: who.Username, Role: who.Role, Action: RosterImported, Object: month,
		Detail: map[string]any{"shifts": n}})
	if _, err := s.store.Apply(ctx, c); err != nil {
		return nil, fmt.Errorf("storing the roster of %s: %w", month, err)
	}
	return s.Month(ctx, month)
}

// renameColumns turns the field names of shifts (row[3].operators[1]) into
// the CSV's column names (row[3].operators).
func renameColumns(err error, columns map[string]string) error {
	var bad *fault.Invalid
	if !errors.As(err, &bad) {
		return err
	}
	for i, fe := range bad.Errors {
		head, tail, ok := strings.Cut(fe.Field, "].")
		if !ok {
			continue
		}
		col, _, _ := strings.Cut(tail, "[")
		if c, ok := columns[col]; ok {
			col = c
		}
		bad.Errors[i].Field = head + "]." + col
	}
	return bad
}

// HandoversCSV renders handovers for spreadsheet programs (UTF-8 with a
// BOM), times in loc.
func HandoversCSV(hs []*Handover, loc *time.Location) []byte {
	var buf bytes.Buffer
	buf.WriteString(bom)
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"id", "status", "date", "shift", "from", "to", "outgoing", "incoming", "opened_at", "accepted_at",
		"incidents", "orders", "cases", "reports", "alarms", "notes", "accept_note"})
	at := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(loc).Format("2006-01-02 15:04")
	}
	for _, h := range hs {
		row := []string{h.ID, h.Status, h.Date, h.ShiftID, at(&h.From), at(&h.To), h.Outgoing, h.Incoming, at(&h.OpenedAt), at(h.AcceptedAt),
			strconv.Itoa(len(h.Incidents)), strconv.Itoa(len(h.Orders)), strconv.Itoa(len(h.Cases)), strconv.Itoa(len(h.Reports)),
			strconv.Itoa(len(h.Alarms)), h.Notes, h.AcceptNote}
		for i, c := range row {
			row[i] = audit.SafeCell(c)
		}
		_ = w.Write(row)
	}
	w.Flush()
	return buf.Bytes()
}

package duty

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"watchfloor/command/fault"
)

// FuzzParseCSV: whatever file an administrator uploads as a month's roster
// (a spreadsheet's export, another month's, a GBK file, garbage), the
// answer is field errors each naming a row and column, or shifts only of
// dates of that month, each with the row it came from.
func FuzzParseCSV(f *testing.F) {
	head := strings.Join(CSVHeader, ",") + "\n"
	for _, body := range []string{
		"", "2026-12-01,am,08:00,20:00,leader,op1;op2,car-01\n", "2026-11-30,am,08:00,20:00,leader,,\n",
		"2026-12-01,am,08:00\n", "2026-12-01,\"a\nb\",08:00,20:00,leader,,\n", "2026-12-01,\xb0\xe0,08:00,20:00,leader,,\n",
		"\"unterminated,am\n", "0000-12-01,am,08:00,20:00,leader,,\n", "2026-12-32,=cmd,08:00,20:00,leader,,\n",
	} {
		f.Add("2026-12", head+body)
		f.Add("2026-12", "\ufeff"+head+body)
		f.Add("2026-12", body)
	}
	field := regexp.MustCompile(`^row\[\d+\]\.(header|row|date)$`)
	f.Fuzz(func(t *testing.T, month, data string) {
		byDate, rows, err := parseCSV(month, []byte(data))
		if err != nil {
			var bad *fault.Invalid
			if !errors.As(err, &bad) || len(bad.Errors) == 0 {
				t.Fatalf("parseCSV: %v, not field errors", err)
			}
			for _, e := range bad.Errors {
				if !field.MatchString(e.Field) {
					t.Fatalf("parseCSV: a field %q names no row and column", e.Field)
				}
			}
			return
		}
		for date, shifts := range byDate {
			if ParseDate(date) != nil || monthOf(date) != month {
				t.Fatalf("parseCSV of %s: a shift of %q", month, date)
			}
			if len(rows[date]) != len(shifts) {
				t.Fatalf("parseCSV: %d shifts of %s from %d rows", len(shifts), date, len(rows[date]))
			}
		}
	})
}

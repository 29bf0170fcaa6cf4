package inforeport

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"watchfloor/command/fault"
	"watchfloor/config"
)

// TestCheckSend holds the checks of a report recorded as sent: configured
// recipients of the incident's level, each once, or the older free-text
// list; a note and a text within bounds.
func TestCheckSend(t *testing.T) {
	s := New(nil, Options{Recipients: map[string][]config.Recipient{"II": {{ID: "city"}, {ID: "province"}}}}, nil, nil)
	text := func(v string) *string { return &v }
	for _, tc := range []struct {
		name       string
		in         SendInput
		wantTo     []string
		wantLegacy bool
		wantText   string
		wantFields []string // fields refused, in order
	}{
		{"configured", SendInput{To: []string{"city", "province"}}, []string{"city", "province"}, false, "", nil},
		{"withText", SendInput{To: []string{"city"}, Text: text("  报告  ")}, []string{"city"}, false, "报告", nil},
		{"legacy", SendInput{SentTo: []string{" 市应急局 "}}, []string{"市应急局"}, true, "", nil},
		{"noRecipient", SendInput{}, nil, false, "", []string{"to"}},
		{"unknownAndTwice", SendInput{To: []string{"county", "city", "city"}}, nil, false, "", []string{"to[0]", "to[2]"}},
		// Too many entries are one error, not one an entry (an answer
		// far larger than the request).
		{"legacyTooMany", SendInput{SentTo: make([]string, 21)}, nil, true, "", []string{"sent_to"}},
		{"tooMany", SendInput{To: slices.Repeat([]string{"county"}, 21)}, nil, false, "", []string{"to"}},
		{"blankText", SendInput{To: []string{"city"}, Text: text(" \t ")}, nil, false, "", []string{"text"}},
		{"longNote", SendInput{To: []string{"city"}, Note: strings.Repeat("n", 2001)}, nil, false, "", []string{"note"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			gotText, to, legacy, err := s.checkSend(&in, "II")
			if tc.wantFields != nil {
				var bad *fault.Invalid
				if !errors.As(err, &bad) {
					t.Fatalf("checkSend = %v, want the fields %v refused", err, tc.wantFields)
				}
				var fields []string
				for _, f := range bad.Errors {
					fields = append(fields, f.Field)
				}
				if !reflect.DeepEqual(fields, tc.wantFields) {
					t.Fatalf("refused %v, want %v", fields, tc.wantFields)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(to, tc.wantTo) || legacy != tc.wantLegacy || gotText != tc.wantText {
				t.Fatalf("checkSend = %q, %v, %t, %v; want %q, %v, %t", gotText, to, legacy, err, tc.wantText, tc.wantTo, tc.wantLegacy)
			}
		})
	}
}

package cleantext_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"watchfloor/command/cleantext"
)

// FuzzClean: whatever is typed, the cleaned text is valid UTF-8, holds no
// control or format character but those kept (tabs and newlines in
// multi-line text, the zero-width joiners), has no white space at either
// end, and cleaning it again changes nothing; Note is the multi-line
// clean when that shows something, and "" otherwise.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"", " a ", "\u202eadmin", "a\u200bb", "line\nnext\t", "\x00\x1b[31mred", "\xff\xfe", "👨\u200d👩",
		"\u3164", "e\u0301", "\ufeff标题", " \u00a0\u3000 ", "a\r\nb"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, multiline bool) {
		c := cleantext.Clean(s, multiline)
		if !utf8.ValidString(c) {
			t.Fatalf("Clean(%q) = %q, not UTF-8", s, c)
		}
		if c != strings.TrimSpace(c) {
			t.Fatalf("Clean(%q) = %q, white space at an end", s, c)
		}
		for _, r := range c {
			switch {
			case r == '\n' || r == '\t':
				if !multiline {
					t.Fatalf("Clean(%q, single line) = %q keeps %U", s, c, r)
				}
			case r == 0x200c || r == 0x200d:
			case unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError:
				t.Fatalf("Clean(%q) = %q keeps %U", s, c, r)
			}
		}
		if again := cleantext.Clean(c, multiline); again != c {
			t.Fatalf("Clean(%q) = %q, and again %q", s, c, again)
		}
		n, full := cleantext.Note(s), cleantext.Clean(s, true)
		if want := map[bool]string{true: full, false: ""}[cleantext.Visible(full)]; n != want {
			t.Fatalf("Note(%q) = %q, Clean = %q (visible %t)", s, n, full, cleantext.Visible(full))
		}
	})
}

// Package cleantext cleans the free text people type before it is stored:
// control and format characters dropped, and whether anything visible is
// left. It imports nothing of Watchfloor's own, so every domain package
// (incidents, warnings …) may use it.
package cleantext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean drops control characters (but for tabs and newlines in multi-line
// text) and format characters such as zero-width spaces, byte order marks
// and bidirectional overrides (but for the zero-width joiners that emoji
// and some scripts need), and trims surrounding white space.
func Clean(s string, multiline bool) string {
	clean := strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			if multiline {
				return r
			}
			return ' '
		case r == 0x200c || r == 0x200d:
			return r
		case unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError:
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(clean)
}

// Note cleans a free-text note, reason or comment as Clean does multi-line
// text; one with nothing visible counts as none, so an optional note is
// dropped and a required one is still missing.
func Note(s string) string {
	s = Clean(s, true)
	if !Visible(s) {
		return ""
	}
	return s
}

// Visible reports whether s holds a character one can see: not only white
// space, control, format or combining characters and blank fillers.
func Visible(s string) bool {
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), unicode.In(r, unicode.Cc, unicode.Cf, unicode.Mn, unicode.Me, unicode.Zs),
			r == 0x115f, r == 0x1160, r == 0x3164, r == 0xffa0, r == 0x2800, r == utf8.RuneError:
		default:
			return true
		}
	}
	return false
}

package account

import (
	"bufio"
	"bytes"
	_ "embed"
	"strings"
	"sync"
	"unicode"

	"watchfloor/command/fault"
)

// MinPassword is the shortest password accepted; bcrypt reads no further
// than maxPasswordBytes.
const (
	MinPassword      = 10
	maxPasswordBytes = 72
)

// commonText is the list of common passwords refused, one a line; see its
// header for where it comes from.
//
//go:embed common-passwords.txt
var commonText []byte

var common = sync.OnceValue(func() map[string]bool {
	out := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(commonText))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			out[strings.ToLower(line)] = true
		}
	}
	return out
})

// Common reports whether pw is on the list of common passwords (case does
// not matter).
func Common(pw string) bool { return common()[strings.ToLower(pw)] }

// Classes returns the classes of character pw uses: lower, upper, digit,
// other (a Chinese character counts as other).
func Classes(pw string) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range pw {
		c := "other"
		switch {
		case unicode.IsLower(r):
			c = "lower"
		case unicode.IsUpper(r):
			c = "upper"
		case unicode.IsDigit(r):
			c = "digit"
		}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// CheckPassword returns why pw is refused for username (nil: accepted):
// at least MinPassword characters and at most 72 bytes, not the username,
// not a common password, not all of one class of character.
func CheckPassword(username, pw string) []string {
	if pw == "" {
		return []string{"required"}
	}
	var out []string
	if n := len([]rune(pw)); n < MinPassword {
		out = append(out, "at least 10 characters")
	}
	if len(pw) > maxPasswordBytes {
		out = append(out, "at most 72 bytes")
	}
	if lp, lu := strings.ToLower(pw), strings.ToLower(username); lu != "" && (lp == lu || len(lu) >= 4 && strings.Contains(lp, lu)) {
		out = append(out, "must not contain the username")
	}
	if Common(pw) {
		out = append(out, "is a common password")
	}
	if len(Classes(pw)) < 2 {
		out = append(out, "must mix at least two of lowercase, uppercase, digits and other characters")
	}
	return out
}

// has reports whether bad already names field.
func has(bad *fault.Invalid, field string) bool {
	for _, e := range bad.Errors {
		if e.Field == field {
			return true
		}
	}
	return false
}

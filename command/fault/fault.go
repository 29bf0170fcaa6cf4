// Package fault holds the domain errors every edge maps to a response: a
// request that is invalid (with the fields and why), not found, in conflict
// with the current state, forbidden to the caller, or unavailable for now.
package fault

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinels for errors.Is.
var (
	ErrNotFound    = errors.New("not found")
	ErrForbidden   = errors.New("forbidden")
	ErrConflict    = errors.New("conflict")
	ErrUnavailable = errors.New("unavailable")
)

// FieldError says which field of a request is wrong and why.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Invalid is a request that cannot be carried out as sent (400); it changes
// nothing.
type Invalid struct {
	Errors []FieldError
}

func (e *Invalid) Error() string {
	parts := make([]string, len(e.Errors))
	for i, f := range e.Errors {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid request: " + strings.Join(parts, "; ")
}

// Add records a field error.
func (e *Invalid) Add(field, format string, a ...any) {
	e.Errors = append(e.Errors, FieldError{Field: field, Message: fmt.Sprintf(format, a...)})
}

// Err returns e when it holds errors, or nil.
func (e *Invalid) Err() error {
	if e == nil || len(e.Errors) == 0 {
		return nil
	}
	return e
}

// Field returns an Invalid with one field error.
func Field(field, format string, a ...any) error {
	e := &Invalid{}
	e.Add(field, format, a...)
	return e
}

// Conflict is a request that does not fit the current state (409).
type Conflict struct {
	Detail string
}

func (e *Conflict) Error() string { return e.Detail }

// Is makes errors.Is(err, ErrConflict) hold.
func (e *Conflict) Is(target error) bool { return target == ErrConflict }

// Forbidden is a request the caller's role may not make (403), with why.
type Forbidden struct {
	Detail string
}

func (e *Forbidden) Error() string { return e.Detail }

// Is makes errors.Is(err, ErrForbidden) hold.
func (e *Forbidden) Is(target error) bool { return target == ErrForbidden }

// Busy is work refused at once because the queues before storage are full
// (503 with Retry-After): the caller retries later, nothing was stored.
type Busy struct {
	Detail     string
	RetryAfter time.Duration
}

func (e *Busy) Error() string { return e.Detail }

// Is makes errors.Is(err, ErrUnavailable) hold: it is unavailable for now.
func (e *Busy) Is(target error) bool { return target == ErrUnavailable }

// IsNotFound reports whether err means a missing object.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsConflict reports whether err is a conflict with the current state.
func IsConflict(err error) bool { return errors.Is(err, ErrConflict) }

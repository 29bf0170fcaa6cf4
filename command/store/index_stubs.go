package store

import "watchfloor/command/change"

// The indexes of each kind of document; each moves into its kind's file as
// that kind is carried out by Apply.

func (s *Store) dispatchIndex(d change.Doc) []Op   { return nil }
func (s *Store) activationIndex(d change.Doc) []Op { return nil }
func (s *Store) taskIndex(d change.Doc) []Op       { return nil }
func (s *Store) caseIndex(d change.Doc) []Op       { return nil }

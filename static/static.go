// Package static embeds the pages served by Watchfloor: plain HTML, CSS and
// JavaScript modules with no build step, and vendored browser libraries.
package static

import "embed"

// FS holds the pages.
//
//go:embed *.html *.css js vendor
var FS embed.FS

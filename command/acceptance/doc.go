// Package acceptance is the black-box suite: the whole server in-process against real redis-servers, over HTTP and websockets.
// Run it with `go test ./command/acceptance/` (redis-server on the PATH; Chromium's headless shell, or chromium, for the browser tests).
package acceptance

// Package apiclient is the small HTTP client the simulator and the load
// generator share to talk to Watchfloor's JSON API.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// Post sends body as JSON to base+path, with a bearer token when one is
// given, and decodes a 2xx answer into out (when out is not nil). Any other
// status is an error that carries the problem document.
func Post(ctx context.Context, c *http.Client, base, path, token string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, "POST", base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %d %s", path, res.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// Login opens a session for user and returns its bearer token.
func Login(ctx context.Context, c *http.Client, base, user, password string) (string, error) {
	body, err := json.Marshal(map[string]string{"username": user, "password": password})
	if err != nil {
		return "", err
	}
	var out struct{ Token string }
	if err := Post(ctx, c, base, "/api/v1/sessions", "", body, &out); err != nil {
		return "", fmt.Errorf("logging in %s: %w", user, err)
	}
	return out.Token, nil
}

package faults

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/volplace/volplace/test/internal/harness"
)

// postTimeout bounds one postJSON call.
const postTimeout = 10 * time.Second

// postJSON posts in as JSON to url and decodes a 200 answer into out, if
// not nil.
func postJSON(ctx context.Context, url string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, postTimeout)
	defer cancel()
	return harness.PostJSON(ctx, http.DefaultClient, url, body, out)
}

package live

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// MaxAnswer bounds what one answer of the platform may hold: a page of 100
// instances is a few hundred KiB, so 4 MiB is far beyond a real answer, and
// an endless or hostile one costs at most this much memory.
const MaxAnswer = 4 << 20

// boundedClient is the HTTP client the SDK core calls the platform
// through (darabonba's HttpClient): it follows no redirect — conform talks
// only to the endpoints it was given, and a redirect would carry the
// signed request elsewhere — bounds every exchange by the timeout, body
// included, and reads at most MaxAnswer bytes of an answer.
type boundedClient struct {
	timeout time.Duration
}

// RedirectError is an answer that sent conform elsewhere: never followed.
type RedirectError struct {
	Status   int
	Location string
}

// Error names the status and where it pointed.
func (e *RedirectError) Error() string {
	return fmt.Sprintf("the endpoint answered HTTP %d, a redirect to %q: conform follows no redirect (it talks only to the endpoints it was given: name the right one, --endpoint or --region-endpoint on the command line)", e.Status, e.Location)
}

// errTooLarge is an answer longer than MaxAnswer.
var errTooLarge = fmt.Errorf("answer larger than %d MiB: not an answer of this API", MaxAnswer>>20)

// Call sends the SDK's request over the SDK's transport, as darabonba's
// own client does, within the limits above.
func (c boundedClient) Call(req *http.Request, transport *http.Transport) (*http.Response, error) {
	hc := &http.Client{
		Timeout: c.timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	if transport != nil {
		hc.Transport = transport
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		resp.Body.Close()
		return nil, &RedirectError{Status: resp.StatusCode, Location: resp.Header.Get("Location")}
	}
	resp.Body = &cappedBody{ReadCloser: resp.Body, left: MaxAnswer}
	return resp, nil
}

// cappedBody fails a read past its limit rather than hand on more.
type cappedBody struct {
	io.ReadCloser
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells an answer of exactly the limit from a longer one.
		var one [1]byte
		if n, _ := b.ReadCloser.Read(one[:]); n > 0 {
			return 0, errTooLarge
		}
		return b.ReadCloser.Read(p)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

// isTooLarge reports whether err is an answer past MaxAnswer.
func isTooLarge(err error) bool { return errors.Is(err, errTooLarge) }

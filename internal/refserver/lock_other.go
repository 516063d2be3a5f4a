//go:build !unix

package refserver

import "os"

// lockFile is a no-op where flock does not exist: one server per --data-dir
// is then the operator's to keep (README, conform serve).
func lockFile(*os.File) error { return nil }

// oNoFollow is 0 where the flag does not exist.
const oNoFollow = 0

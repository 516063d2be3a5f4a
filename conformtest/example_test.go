package conformtest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/snaprepo/conform/conformtest"
	"github.com/snaprepo/conform/server"
)

// A test of code that creates a shared repository: start the fake, point
// the code at srv.Endpoint with srv.Credentials(), put the platform into
// the state the test needs, and check what the code did.
func ExampleNewServer() {
	t := &testing.T{} // in a test, the *testing.T it is given
	srv := conformtest.NewServer(t)
	srv.SetStatus("es-cn-cf710dest0000001", "activating")
	srv.Transition("es-cn-cf710dest0000001", "active", 30*time.Second)
	srv.Inject(server.Fault{Action: "AddSnapshotRepo", Status: 400, Code: "Throttling.User", Times: 2})

	fmt.Println(srv.Protocol, srv.Credentials().AccessKeyID)
	fmt.Println(srv.Repos("es-cn-cf710dest0000001"))
	// Output:
	// http LTAI5tConformPrimary01
	// []
}

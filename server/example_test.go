package server_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/server"
	"github.com/snaprepo/conform/world"
)

// Use the reference server as a fake of the API in your own Go tests: it is
// an http.Handler, so httptest serves it, and it checks signatures like the
// platform.
func ExampleNew() {
	w, _ := world.Builtin()
	srv, err := server.New(server.Options{World: w})
	if err != nil {
		fmt.Println(err)
		return
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	creds := acs.Credentials{AccessKeyID: "LTAI5tConformPrimary01", AccessKeySecret: "conform-primary-secret-01"}
	c := apiclient.New(ts.URL, creds, apiclient.SignV3, 5*time.Second)
	resp, _ := c.Do(context.Background(), apiclient.AddJSON("es-cn-cf710dest0000001", "es-cn-cf79src00000001"))
	fmt.Println(resp.Status, string(resp.Result), srv.Repos("es-cn-cf710dest0000001"))

	resp, _ = c.Do(context.Background(), apiclient.AddJSON("es-cn-cfactivating00001", "es-cn-cf79src00000001"))
	fmt.Println(resp.Status, resp.Code, resp.Message)
	// Output:
	// 200 true [es-cn-cf79src00000001]
	// 400 InstanceActivating Instance is activating.
}

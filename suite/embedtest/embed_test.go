// Package embedtest is a vendor's own Ginkgo suite that embeds conform's
// specs beside its own, the way csi-sanity's GinkgoTest is used: conform
// registers, the vendor runs RunSpecs, and reads conform's results after.
package embedtest

import (
	"net/http/httptest"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/snaprepo/conform/report"
	"github.com/snaprepo/conform/server"
	"github.com/snaprepo/conform/suite"
	"github.com/snaprepo/conform/world"
)

func TestVendorSuiteWithConformInside(t *testing.T) {
	w, err := world.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	impl, err := server.New(server.Options{World: w}) // the vendor's implementation would go here
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(impl)
	defer ts.Close()

	conform, err := suite.Register(suite.Config{Endpoint: ts.URL, World: w}, GinkgoWriter)
	if err != nil {
		t.Fatal(err)
	}
	vendorSpecRan := false
	Describe("the vendor's own specs", func() {
		It("answers its health check", func() {
			vendorSpecRan = true
			Expect(ts.URL).To(HavePrefix("http://"))
		})
	})

	RegisterFailHandler(suite.GomegaFail)
	suiteConfig, reporterConfig := GinkgoConfiguration()
	reporterConfig.NoColor = true
	passed := RunSpecs(t, "vendor suite with conform", suiteConfig, reporterConfig)

	res := conform.Results()
	if !passed || res.Outcome() != report.Complete || !vendorSpecRan {
		t.Errorf("passed %v, conform's outcome %s (failed %v), vendor spec ran %v", passed, res.Outcome(), res.FailedIDs(), vendorSpecRan)
	}
	for _, s := range res.Specs {
		if len(s.Requirements) == 0 {
			t.Errorf("the vendor's spec %q is in conform's report", s.Name)
		}
	}
}

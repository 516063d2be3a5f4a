// Package suite is the conformance suite for the AddSnapshotRepo API: Ginkgo
// specs that drive any implementation and report per requirement.
package suite

// Package version is conform's own version, the one definition every report
// and `conform version` read. The requirement catalogue has a version of its
// own (fixtures/requirements.yaml), so a catalogue change shows even when the
// tool's version does not.
package version

// Tool is conform's version. Release builds set it with
// -ldflags "-X github.com/snaprepo/conform/version.Tool=v1.2.3".
var Tool = "0.1.0-dev"

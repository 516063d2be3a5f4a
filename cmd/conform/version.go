package main

import (
	"fmt"
	"io"
)

// toolVersion is conform's own version; release builds set it with
// -ldflags "-X main.toolVersion=…".
var toolVersion = "0.1.0-dev"

func runVersion(_ []string, stdout, _ io.Writer) int {
	fmt.Fprintf(stdout, "conform %s\n", toolVersion)
	return exitOK
}

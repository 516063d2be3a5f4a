package main

import "io"

func runSuite(args []string, stdout, stderr io.Writer) int { return exitUsage }

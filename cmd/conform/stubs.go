package main

import "io"

func runServe(args []string, stdout, stderr io.Writer) int { return exitUsage }
func runSuite(args []string, stdout, stderr io.Writer) int { return exitUsage }

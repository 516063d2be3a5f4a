//go:build !unix

package boundedread

const oNonblock = 0

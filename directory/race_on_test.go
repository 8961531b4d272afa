//go:build race

package directory

// raceBuild is true when the tests run under the race detector, which makes the pure-Go
// SQLite driver about a hundred times slower: tests that check results over thousands
// of rows, one goroutine at a time, seed fewer of them there.
const raceBuild = true

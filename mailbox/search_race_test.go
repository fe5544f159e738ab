//go:build race

package mailbox

// raceEnabled is set when the race detector is on: the corpus-wide
// tests then try a sample of the messages.
const raceEnabled = true

// Package queuee2e tests the delivery queue end to end: package queue
// delivering through the smtp package's MX transport to SMTP sinks on
// loopback that accept, defer (4xx), reject (5xx) or drop the connection
// in the middle of DATA, with the final outcome of each recipient and
// the delivery status notifications checked.
package queuee2e

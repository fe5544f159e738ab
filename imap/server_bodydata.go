package imap

import "github.com/postkit/postkit/mime"

// EnvelopeOf returns the ENVELOPE (RFC 9051 7.5.2) of a message, or of
// an encapsulated message, from its header.
//
// TODO: stub; being written.
func EnvelopeOf(h mime.Header) *Envelope {
	return &Envelope{}
}

// BodyStructureOf returns the BODY (extended false) or BODYSTRUCTURE
// (extended true) of the message whose structure is root, as
// mime.ReadEntity or mailbox.ReadStructure give it (RFC 9051 7.5.2).
//
// TODO: stub; being written.
func BodyStructureOf(root *mime.Entity, extended bool) *BodyStructure {
	return &BodyStructure{Type: "TEXT", Subtype: "PLAIN"}
}

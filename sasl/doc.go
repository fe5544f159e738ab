// Package sasl implements Simple Authentication and Security Layer
// mechanisms (RFC 4422) for both sides of a connection, shared by the smtp,
// imap and pop3 packages.
//
// A [Client] produces the responses a client sends; a [Server] checks them
// and produces challenges. Both exchange raw bytes: base64 on the wire, the
// "+ " and "334 " prefixes, cancellation and the final status line are the
// protocol's job.
//
// Mechanisms:
//
//   - PLAIN, RFC 4616: [NewPlainClient], [NewPlainServer].
//   - LOGIN, draft-murchison-sasl-login: [NewLoginClient], [NewLoginServer].
//   - CRAM-MD5, RFC 2195 (HMAC, RFC 2104): [NewCRAMMD5Client], [NewCRAMMD5Server].
//   - SCRAM-SHA-1 and SCRAM-SHA-256, RFC 5802 and RFC 7677:
//     [NewSCRAMClient], [NewSCRAMServer], [DeriveSCRAMCredentials].
//     Usernames are prepared with SASLprep (RFC 4013). Channel binding
//     (the -PLUS variants) is not implemented: clients send "n,,", servers
//     refuse "p=".
//   - OAUTHBEARER, RFC 7628: [NewOAuthBearerClient], [NewOAuthBearerServer].
//   - XOAUTH2, Google's pre-standard form of the same:
//     [NewXOAUTH2Client], [NewXOAUTH2Server].
//
// PLAIN, LOGIN, XOAUTH2 and OAUTHBEARER send the secret in the clear; a
// protocol client should offer them only where [AllowPlaintext] agrees.
//
// Errors: [ErrAuthFailed] means the credentials were wrong (the protocol
// answers "authentication failed" and may count the failure);
// [ErrMalformed] means the peer broke the mechanism's syntax;
// [*OAuthError] carries the JSON failure response of RFC 7628 3.2.2.
package sasl

// Package metatest is the conformance suite for meta.Store implementations.
// Every implementation runs the same scenarios through Run, so the memory
// store used in tests and the durable one (sqlite) behave alike.
//
// Besides what meta.go documents, the suite pins down choices the interface
// leaves open, so that all implementations make them the same way:
//
//   - writes for a user without an account (CreateToken, PutTOTP,
//     UseTOTPStep, PutDoctype, PutBlobRow, Keyring, ...) are ErrNotFound;
//     PutDocs for such a user fails each write with ErrUnknownDoctype;
//   - listings and feeds of an unknown user are empty, not errors;
//   - a limit of 0 or less means no limit;
//   - ChainAt(0) is 32 zero bytes (chain_0);
//   - UseTOTPStep without stored TOTP state counts the last step as 0;
//   - after DeleteGrant, PutGrant with ifRev 0 creates the grant again;
//   - CreateToken with a Session that names none of the user's tokens is
//     ErrNotFound; deleting a token deletes the tokens bound to it (whose
//     Session is its id) but not, in turn, the tokens bound to those;
//   - Doctypes bytes count tombstones (they are current revisions) and
//     segments of the doctype, but not its index manifest;
//   - PutManifest checks the account (ErrNotFound), then the doctype's
//     registration (ErrUnknownDoctype), then the revision; Manifest of an
//     unregistered doctype or unknown user is ErrNotFound;
//   - DeleteBlobRow's digestInUse, like DigestInUse and DeleteApp's,
//     counts installed apps, so a body an app names is never removed;
//   - ListApps returns a non-nil empty slice when there are none.
package metatest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hearthcloud/hearth/server/meta"
)

// Run runs the conformance suite. newStore returns an empty store for one
// subtest; it arranges for the store to be closed (t.Cleanup).
func Run(t *testing.T, newStore func(t *testing.T) meta.Store) {
	tests := []struct {
		name string
		f    func(t *testing.T, s meta.Store)
	}{
		{"Accounts", testAccounts},
		{"Keyring", testKeyring},
		{"UpdateLogin", testUpdateLogin},
		{"Tokens", testTokens},
		{"DeleteTokens", testDeleteTokens},
		{"TokenByID", testTokenByID},
		{"BoundTokens", testBoundTokens},
		{"BoundTokensDeleteTokens", testBoundTokensDeleteTokens},
		{"BoundTokensUpdateLogin", testBoundTokensUpdateLogin},
		{"TOTP", testTOTP},
		{"TOTPConcurrent", testTOTPConcurrent},
		{"Grants", testGrants},
		{"Doctypes", testDoctypes},
		{"DoctypeCounts", testDoctypeCounts},
		{"PutDocs", testPutDocs},
		{"PutDocsCopies", testPutDocsCopies},
		{"SeqsAcrossBatches", testSeqsAcrossBatches},
		{"PutDocsConcurrent", testPutDocsConcurrent},
		{"ListDocs", testListDocs},
		{"Changes", testChanges},
		{"ChangesStops", testChangesStops},
		{"HeadAndChainAt", testHeadAndChainAt},
		{"BlobRows", testBlobRows},
		{"BlobRowsOf", testBlobRowsOf},
		{"BlobDigests", testBlobDigests},
		{"ListBlobRows", testListBlobRows},
		{"Uploads", testUploads},
		{"UploadLimits", testUploadLimits},
		{"DropLinkUploads", testDropLinkUploads},
		{"UploadExpiry", testUploadExpiry},
		{"UploadsConcurrent", testUploadsConcurrent},
		{"Isolation", testIsolation},
		{"Manifests", testManifests},
		{"ManifestIsolation", testManifestIsolation},
		{"ManifestLarge", testManifestLarge},
		{"ManifestConcurrent", testManifestConcurrent},
		{"Passkeys", testPasskeys},
		{"Apps", testApps},
		{"AppIsolation", testAppIsolation},
		{"QuotaUsage", testQuotaUsage},
		{"QuotaLimits", testQuotaLimits},
		{"QuotaConcurrent", testQuotaConcurrent},
		{"QuotaGrants", testQuotaGrants},
		{"QuotaDocs", testQuotaDocs},
		{"MaxDoctypes", testMaxDoctypes},
		{"MaxTokens", testMaxTokens},
		{"Invites", testInvites},
		{"InvitesConcurrent", testInvitesConcurrent},
		{"Links", testLinks},
		{"LinkDrops", testLinkDrops},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.f(t, newStore(t))
		})
	}
}

var ctx = context.Background()

// t0 has a nanosecond part so that stores must keep full precision.
var t0 = time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)

// account returns a test account for user.
func account(user string) *meta.Account {
	return &meta.Account{
		User:             user,
		KDF:              meta.KDF{Alg: "argon2id", Memory: 65536, Time: 3, Threads: 4},
		Seed:             bytes.Repeat([]byte{1}, 32),
		LoginHash:        "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
		RecoveryAuthHash: bytes.Repeat([]byte{2}, 32),
		Created:          t0,
	}
}

// mustCreateAccount creates user's account with keyrings "kr-user" and
// "rk-user".
func mustCreateAccount(t *testing.T, s meta.Store, user string) {
	t.Helper()
	if err := s.CreateAccount(ctx, account(user), []byte("kr-"+user), []byte("rk-"+user)); err != nil {
		t.Fatalf("CreateAccount(%q): %v", user, err)
	}
}

func mustDoctype(t *testing.T, s meta.Store, user string, doctypes ...string) {
	t.Helper()
	for _, dt := range doctypes {
		if _, err := s.PutDoctype(ctx, user, dt); err != nil {
			t.Fatalf("PutDoctype(%q, %q): %v", user, dt, err)
		}
	}
}

// wantErr fails t unless err is want (nil included).
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("%s: unexpected error %v", what, err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

// sealed returns distinct stand-in bytes for a revision of a document.
func sealed(id string, rev uint64) []byte {
	return []byte(fmt.Sprintf("sealed(%s@%d)", id, rev))
}

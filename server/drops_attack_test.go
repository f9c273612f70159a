//go:build hearthtest

package server_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server"
	"github.com/hearthcloud/hearth/server/meta"
)

// TestAttackStrangerDropSessionsHoldOwnersQuota: a stranger holding a drop
// link that takes 100 kB in all opens upload sessions through it that
// declare far more, never sends a byte, and so holds the owner's quota:
// the owner's own uploads are refused as over quota, and revoking the
// link does not give the room back (the sessions live on, invisible to
// the owner, for 24 hours after their last PATCH). Real server, SQLite.
//
// The sessions of one link must hold no more than what the link still
// takes (max_total less what it took), and revoking the link must end
// them.
func TestAttackStrangerDropSessionsHoldOwnersQuota(t *testing.T) {
	l := startLive(t, t.TempDir(), server.Config{Quota: meta.Limits{Bytes: 2 << 20}})
	alice := l.signup("alice")
	l.do("PUT", "/v1/doctypes/io.hearth.files", alice, nil).is(t, 201, "", false)

	proof := make([]byte, 32)
	rand.Read(proof)
	verifier := sha256.Sum256(proof)
	tag := make([]byte, 32)
	rand.Read(tag)
	link := wire.NewID()
	const maxTotal = 100_000
	l.do("POST", "/v1/links", alice, map[string]any{"id": link, "kind": "drop", "verifier": verifier[:],
		"drop": map[string]any{"recipient": "age1qqqq", "tag": tag, "max_file_size": maxTotal, "max_total": maxTotal}}).is(t, 201, "", false)
	hdr := []string{"Hearth-Link-Proof", base64.StdEncoding.EncodeToString(proof)}

	// The stranger: as many sessions as the account takes, each of the
	// most the link takes for one file.
	held := 0
	for i := range meta.MaxDropUploads {
		a := l.do("POST", fmt.Sprintf("/v1/links/%s/uploads/d%d", link, i), "", map[string]any{"size": maxTotal}, hdr...)
		if a.status == 201 {
			held++
		}
	}
	if held*maxTotal > maxTotal {
		t.Errorf("a drop link that takes %d bytes in all holds %d bytes of its owner's quota in %d open sessions", maxTotal, held*maxTotal, held)
	}

	// The owner revokes the link: the stranger's sessions end, and the
	// owner's own upload of 1.5 MB fits in the 2 MiB quota again.
	l.do("DELETE", "/v1/links/"+link, alice, nil).is(t, 204, "", false)
	l.do("PATCH", "/v1/links/"+link+"/uploads/d0", "", []byte{1}, append(hdr, "Hearth-Upload-Offset", "0")...).is(t, 410, "gone", false)
	if a := l.do("POST", "/v1/uploads/io.n/big", alice, map[string]any{"size": 1_500_000}); a.status != 201 {
		t.Errorf("after revoking the link, the owner's upload session is refused: %d %s", a.status, a.body)
	}
	l.do("DELETE", "/v1/uploads/io.n/big", alice, nil).is(t, 204, "", false)
	if a := l.do("PUT", "/v1/blobs/io.n/mine", alice, rnd(1_500_000)); a.status != 201 {
		t.Errorf("after revoking the link, the owner's upload is refused: %d %s", a.status, a.body)
	}
}

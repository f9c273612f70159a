package keyring

import (
	"encoding/base64"
	"fmt"
	"testing"
)

// TestRemovedPasskeys: the removed passkeys survive sealing and opening,
// the oldest is forgotten past MaxRemovedPasskeys, a re-added one is
// forgotten, and a keyring naming none seals exactly as before the
// member existed.
func TestRemovedPasskeys(t *testing.T) {
	kr, err := New("alice")
	if err != nil {
		t.Fatal(err)
	}
	var mk [32]byte
	mk[0] = 1
	before, err := kr.marshal(1)
	if err != nil {
		t.Fatal(err)
	}
	id := func(i int) string {
		return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("credential-%d", i)))
	}
	if ok, err := kr.RemovePasskey(id(0)); !ok || err != nil {
		t.Fatalf("RemovePasskey: %v %v", ok, err)
	}
	if ok, _ := kr.RemovePasskey(id(0)); ok {
		t.Fatal("removing twice changed the keyring")
	}
	if _, err := kr.RemovePasskey("not base64url!"); err == nil {
		t.Fatal("a bad credential id was taken")
	}
	sealed, err := kr.SealWithMasterKey(&mk, 1)
	if err != nil {
		t.Fatal(err)
	}
	back, err := OpenWithMasterKey(sealed, &mk, "alice", 1)
	if err != nil {
		t.Fatal(err)
	}
	if !back.PasskeyRemoved(id(0)) || back.PasskeyRemoved(id(1)) {
		t.Fatal("the removed passkeys did not survive sealing")
	}
	for i := 1; i <= MaxRemovedPasskeys; i++ {
		back.RemovePasskey(id(i))
	}
	if back.PasskeyRemoved(id(0)) || !back.PasskeyRemoved(id(MaxRemovedPasskeys)) {
		t.Fatal("the oldest removed passkey was not the one forgotten")
	}
	if !back.ReaddPasskey(id(5)) || back.PasskeyRemoved(id(5)) {
		t.Fatal("a re-added passkey is still removed")
	}
	kr2, _ := New("alice")
	kr2.sign, kr2.box, kr2.recovery = kr.sign, kr.box, kr.recovery
	kr2.RemovePasskey(id(1))
	kr2.ReaddPasskey(id(1))
	after, _ := kr2.marshal(1)
	if string(after) != string(before) {
		t.Fatalf("a keyring with no removed passkeys changed form:\n%s\n%s", before, after)
	}
}

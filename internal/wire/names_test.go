package wire

import "testing"

func TestNames(t *testing.T) {
	for _, c := range []struct {
		check func(string) error
		in    string
		ok    bool
	}{
		{CheckUser, "alice", true},
		{CheckUser, "a", true},
		{CheckUser, "bob-2", true},
		{CheckUser, "", false},
		{CheckUser, "Alice", false},
		{CheckUser, "-bob", false},
		{CheckUser, "bob-", false},
		{CheckUser, "bob.smith", false},
		{CheckUser, "abcdefghijklmnopqrstuvwxyz0123456", false},
		{CheckUser, "home", true}, // an account that had it still signs in
		{CheckNewUser, "alice", true},
		{CheckNewUser, "homes", true},
		{CheckNewUser, "home", false},
		{CheckNewUser, "Home", false},
		{CheckNewUser, "", false},
		{CheckDoctype, "io.hearth.notes", true},
		{CheckDoctype, "io.hearth.notes-2", true},
		{CheckDoctype, "notes", false},
		{CheckDoctype, "io..notes", false},
		{CheckDoctype, "io.hearth.", false},
		{CheckDoctype, ".io.hearth", false},
		{CheckDoctype, "io.Hearth.notes", false},
		{CheckID, "k3vq4zqg2vbf3lqf5xhm2m7n2e", true},
		{CheckID, "My_Note-1", true},
		{CheckID, "", false},
		{CheckID, "a/b", false},
		{CheckID, "a.b", false},
	} {
		if err := c.check(c.in); (err == nil) != c.ok {
			t.Errorf("check(%q) = %v, want ok=%v", c.in, err, c.ok)
		}
	}
	if err := CheckNewUser("home"); err != ErrReservedUser {
		t.Errorf("CheckNewUser(home) = %v, want ErrReservedUser", err)
	}
	if err := CheckNewUser("Home"); err != ErrInvalidUser {
		t.Errorf("CheckNewUser(Home) = %v, want ErrInvalidUser", err)
	}
	id := NewID()
	if len(id) != 26 || CheckID(id) != nil || NewID() == id {
		t.Errorf("NewID() = %q", id)
	}
}

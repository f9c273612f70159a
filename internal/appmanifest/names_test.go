package appmanifest

import (
	"strings"
	"testing"
)

// TestFeatures: the features a manifest asks for are read with their
// reasons, in the manifest's order.
func TestFeatures(t *testing.T) {
	m, err := Parse([]byte(`{"hearth":1,"slug":"snap","name":"Snap","version":"1.0.0",
	 "permissions":[{"doctype":"org.example.photos","verbs":["read"],"reason":"Your photos."}],
	 "features":{"microphone":"To record a voice note.","camera":"To take a photo."}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Feature{{"microphone", "To record a voice note."}, {"camera", "To take a photo."}}
	if len(m.Features) != 2 || m.Features[0] != want[0] || m.Features[1] != want[1] {
		t.Fatalf("features %+v", m.Features)
	}
}

// TestReservedNames: an app that is not bundled may not take, or pass for,
// a bundled app's name or Hearth's, however it dresses it up (case, white
// space, trailing dots, zero-width and other invisible characters,
// full-width letters, accents, look-alike letters and digits); other names,
// and a bundled app's own, are fine.
func TestReservedNames(t *testing.T) {
	bundled := map[string]string{"notes": "Notes", "tasks": "Tasks", "contacts": "Contacts"}
	for _, name := range []string{
		"Notes", "notes", "NOTES", " Notes", "Notes.", "Notes…", "N o t e s", "No\u200btes", "No\u200dtes\u2060",
		"Ｎｏｔｅｓ", "Nötes", "N0tes", "Nоtes" /* Cyrillic о */, "Νοτες" /* Greek */, "Notes\u00ad", "No-tes", "Notes!",
		"Task s", "TASKS.", "Τasks", "Contacts\u200b", "C0ntacts", "Hearth", "hearth.", "HOME", "Нome",
	} {
		m := &Manifest{Slug: "impostor", Name: name}
		err := CheckName(m, bundled)
		if err == nil {
			t.Errorf("%q accepted", name)
			continue
		}
		if e, ok := err.(*Error); !ok || e.Field != "name" || !strings.Contains(e.Problem, "passes for") {
			t.Errorf("%q: %v", name, err)
		}
	}
	for _, name := range []string{"Meeting notes", "Notes 2", "Noted", "Bookmarks", "Tasker", "Contact book", "Homeroom", "…"} {
		if err := CheckName(&Manifest{Slug: "other", Name: name}, bundled); err != nil {
			t.Errorf("%q refused: %v", name, err)
		}
	}
	if err := CheckName(&Manifest{Slug: "notes", Name: "Notes"}, bundled); err != nil {
		t.Errorf("the bundled app's own name: %v", err)
	}
}

// FuzzSkeleton: a skeleton is its own skeleton, and a name always
// imitates itself when it has any letter or digit.
func FuzzSkeleton(f *testing.F) {
	for _, s := range []string{"Notes", "No\u200btes.", "Ｎｏｔｅｓ", "Nоtes", "N0tes", "", "…", "ǅ", "ﬁle"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sk := Skeleton(s)
		if Skeleton(sk) != sk {
			t.Fatalf("Skeleton(%q) = %q, whose skeleton is %q", s, sk, Skeleton(sk))
		}
		if sk != "" && !Imitates(s, s) {
			t.Fatalf("%q does not imitate itself", s)
		}
	})
}

// TestLookAlikeNamesOutsideTheList: names the skeleton let through that
// read as a bundled app's or Hearth's name. A Hangul filler (U+1160,
// U+3164: letters, and default-ignorable, so a browser draws nothing for
// them) inside "Notes"; and letters of scripts the table left out that
// look like Latin ones: Armenian օ, Lisu ꓠ, Cherokee Ꭲ and Ꮋ.
func TestLookAlikeNamesOutsideTheList(t *testing.T) {
	bundled := map[string]string{"notes": "Notes", "tasks": "Tasks", "contacts": "Contacts"}
	for _, name := range []string{
		"No\u1160tes", "Tasks\u3164", "\u115fContacts", "Home\uffa0",
		"Nօtes" /* Armenian օ */, "ꓠotes" /* Lisu ꓠ */, "Ꭲasks" /* Cherokee Ꭲ */, "Ꮋome", /* Cherokee Ꮋ */
		"Cօntacts", "ꓔasks", "ꓧearth",
	} {
		if err := CheckName(&Manifest{Slug: "impostor", Name: name}, bundled); err == nil {
			t.Errorf("%q (%+q) accepted", name, name)
		}
	}
}

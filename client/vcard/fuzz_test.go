package vcard

import "testing"

func addSeeds(f *testing.F) {
	for _, b := range samples(f) {
		f.Add(b)
	}
	for _, s := range []string{
		"BEGIN:VCARD\nVERSION:2.1\nNOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=SHIFT_JIS:=82=A0=\n=82\nEND:VCARD\n",
		"BEGIN:VCARD\nVERSION:4.0\nX-A;X-B=\"a,b\";X-C=^^^n^':x\\,y;z\nPHOTO;ENCODING=b:AAAA\nEND:VCARD\n",
		"BEGIN:VCARD\nVERSION:3.0\nLOGO;ENCODING=b;TYPE=PNG,WORK:iVBORw0KGgo=\nKEY:data:application/pgp-keys;base64,AAEC\nEND:VCARD\n",
		"BEGIN:VCARD\nN:\nN:\nEND:VCARD",
		"BEGIN:VCARD\nVERSION:3.0\nN:a;b;c;d;e;f\nFN:\nEND:VCARD",
		"begin:vcard\r\nversion:3.0\r\nitem1.email;type=pref:a@b\r\nitem1.x-ablabel:L\r\nitem1.x-ablabel:M\r\nend:vcard\r\n",
	} {
		f.Add([]byte(s))
	}
}

// FuzzParse: parsing never panics, and what Import accepts it can export.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		cards, err := ParseBytes(data)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		for _, c := range cards {
			Canonical(c)
			Decode(c)
		}
	})
}

// FuzzRoundTrip: whatever imports, exported as 4.0 or 3.0 and imported
// again, has the same property set.
func FuzzRoundTrip(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		cards, err := ParseBytes(data)
		if err != nil {
			return
		}
		contacts, _, err := Import(data)
		if err != nil {
			return
		}
		for _, v := range []string{"4.0", "3.0"} {
			out, err := Export(contacts, v)
			if err != nil {
				t.Fatalf("export %s: %v", v, err)
			}
			again, err := ParseBytes(out)
			if err != nil {
				t.Fatalf("re-parse %s: %v\n%q", v, err, out)
			}
			if len(again) != len(cards) {
				t.Fatalf("%d cards, then %d", len(cards), len(again))
			}
			for i := range cards {
				if !sameSet(t, v, cards[i], again[i]) {
					t.Fatalf("input %q\nexport %q", data, out)
				}
			}
			c2, _, err := Import(out)
			if err != nil {
				t.Fatal(err)
			}
			out2, err := Export(c2, v)
			if err != nil {
				t.Fatal(err)
			}
			third, err := ParseBytes(out2)
			if err != nil {
				t.Fatal(err)
			}
			for i := range again {
				if a, b := Canonical(again[i]), Canonical(third[i]); !equalStrings(a, b) {
					t.Fatalf("export %s not stable:\n%q\n%q", v, out, out2)
				}
			}
		}
	})
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

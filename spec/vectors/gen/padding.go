package main

// padding.json: spec/protocol.md §5.3.

type padmeVector struct {
	N      int64 `json:"n"`
	Padme  int64 `json:"padme"`             // Padme(n)
	PadLen int64 `json:"pad_len,omitempty"` // PadLen(n) = Padme(max(n+1, 256)), for n < 2^32
}

type unpadVector struct {
	Name    string `json:"name"`
	Padded  string `json:"padded"`
	Content string `json:"content,omitempty"`
	Error   string `json:"error,omitempty"`
}

type paddingFile struct {
	header
	Lengths []padmeVector `json:"lengths"`
	Unpad   []unpadVector `json:"unpad"`
}

func genPadding() any {
	f := &paddingFile{header: newHeader("padding", "padding.go", "spec/protocol.md §5.3",
		"Padmé lengths, the padded length of a document or keyring plaintext of n bytes (pad_len), and Unpad on "+
			"well-formed and malformed inputs (error \"padding\"). pad_len is left out for n >= 2^32.")}
	ns := []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129,
		254, 255, 256, 257, 271, 272, 273, 500, 1000, 1023, 1024, 1025, 4095, 4096, 4097, 10000, 65535, 65536, 65537,
		70000, 1<<20 - 1, 1 << 20, 1<<20 + 1, 123456789, 1<<31 - 1, 1 << 32, 1<<32 + 1, 1<<40 + 12345, 1 << 56, 1<<56 + 1}
	for _, n := range ns {
		v := padmeVector{N: n, Padme: padme(n)}
		if n < 1<<32 {
			v.PadLen = int64(padLen(int(n)))
		}
		f.Lengths = append(f.Lengths, v)
	}
	ok := func(name string, padded, content []byte) {
		f.Unpad = append(f.Unpad, unpadVector{Name: name, Padded: hx(padded), Content: hx(content)})
	}
	bad := func(name string, padded []byte) {
		f.Unpad = append(f.Unpad, unpadVector{Name: name, Padded: hx(padded), Error: "padding"})
	}
	ok("marker_only", []byte{0x80}, nil)
	ok("marker_zeros", []byte{0x80, 0, 0, 0}, nil)
	ok("content", []byte{'h', 'i', 0x80, 0, 0}, []byte("hi"))
	ok("content_ends_in_zero", []byte{'h', 0, 0x80, 0}, []byte{'h', 0})
	ok("content_ends_in_marker", []byte{0x80, 0x80, 0}, []byte{0x80})
	ok("pad_empty", pad(nil), nil)
	ok("pad_255", pad(bytesPattern(255, 'a')), bytesPattern(255, 'a'))
	bad("empty", nil)
	bad("zero", []byte{0})
	bad("zeros", make([]byte, 256))
	bad("no_marker", []byte{'h', 'i'})
	bad("nonzero_after_marker", []byte{'h', 0x80, 0x01})
	bad("marker_0x81", []byte{'h', 0x81, 0})
	return f
}

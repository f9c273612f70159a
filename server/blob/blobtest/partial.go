package blobtest

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/hearthcloud/hearth/server/blob"
)

// The partial bodies of blob.Partials: appended in pieces, invisible until
// committed, committed as Put stores, the prefix of a piece cut short kept.

var partialTests = []struct {
	name string
	fn   func(t *testing.T, s blob.Store)
}{
	{"PartialRoundTrip", testPartialRoundTrip},
	{"PartialInvisible", testPartialInvisible},
	{"PartialCutShort", testPartialCutShort},
	{"PartialReaderError", testPartialReaderError},
	{"PartialUnrecorded", testPartialUnrecorded},
	{"PartialPastSize", testPartialPastSize},
	{"PartialWantMismatch", testPartialWantMismatch},
	{"PartialIncomplete", testPartialIncomplete},
	{"PartialRemove", testPartialRemove},
	{"PartialDuplicate", testPartialDuplicate},
	{"PartialCancelled", testPartialCancelled},
	{"PartialConcurrent", testPartialConcurrent},
}

// begin starts a partial body of size bytes.
func begin(t *testing.T, s blob.Store, size int) blob.Partial {
	t.Helper()
	p, err := s.BeginPartial(context.Background(), int64(size))
	if err != nil {
		t.Fatalf("BeginPartial(%d): %v", size, err)
	}
	if p.Offset != 0 || p.Size != int64(size) || p.Name == "" {
		t.Fatalf("BeginPartial(%d) = %+v", size, p)
	}
	return p
}

// appendAll appends piece, which must go in whole.
func appendAll(t *testing.T, s blob.Store, p blob.Partial, piece []byte) blob.Partial {
	t.Helper()
	q, err := s.AppendPartial(context.Background(), p, bytes.NewReader(piece), int64(len(piece)))
	if err != nil {
		t.Fatalf("AppendPartial(%d bytes at %d): %v", len(piece), p.Offset, err)
	}
	if q.Offset != p.Offset+int64(len(piece)) || q.Name != p.Name || q.Size != p.Size {
		t.Fatalf("AppendPartial(%d bytes at %d) = %+v", len(piece), p.Offset, q)
	}
	return q
}

// commit commits p, which must hold b.
func commit(t *testing.T, s blob.Store, p blob.Partial, b []byte) {
	t.Helper()
	want := Sum(b)
	d, err := s.CommitPartial(context.Background(), p, &want)
	if err != nil || d != want {
		t.Fatalf("CommitPartial = %x, %v; want %x", d, err, want)
	}
	checkBody(t, s, d, b)
}

// partials lists the partial bodies' names.
func partials(t *testing.T, s blob.Store) []string {
	t.Helper()
	var names []string
	if err := s.EnumeratePartials(context.Background(), func(n string) error {
		names = append(names, n)
		return nil
	}); err != nil {
		t.Fatalf("EnumeratePartials: %v", err)
	}
	return names
}

func testPartialRoundTrip(t *testing.T, s blob.Store) {
	b := Body(40, 5<<20+77) // pieces of several chunks and a short one
	p := begin(t, s, len(b))
	for _, cut := range [][2]int{{0, 2 << 20}, {2 << 20, 2<<20 + 1}, {2<<20 + 1, len(b)}} {
		p = appendAll(t, s, p, b[cut[0]:cut[1]])
	}
	commit(t, s, p, b)
	checkList(t, s, b)
	if n := partials(t, s); len(n) != 0 {
		t.Errorf("after CommitPartial, partials %v remain", n)
	}
}

func testPartialInvisible(t *testing.T, s blob.Store) {
	b := Body(41, 3000)
	p := begin(t, s, len(b))
	p = appendAll(t, s, p, b[:1000])
	checkList(t, s)
	if n := partials(t, s); len(n) != 1 || n[0] != p.Name {
		t.Errorf("EnumeratePartials = %v, want [%s]", n, p.Name)
	}
	p = appendAll(t, s, p, b[1000:])
	checkList(t, s) // complete, but not committed
	checkNotFound(t, s, Sum(b))
}

func testPartialCutShort(t *testing.T, s blob.Store) {
	b := Body(42, 3<<20)
	p := begin(t, s, len(b))
	// A piece announced as 2 MiB ends after 1 MiB + 5: the prefix counts.
	q, err := s.AppendPartial(context.Background(), p, bytes.NewReader(b[:1<<20+5]), 2<<20)
	if !errors.Is(err, blob.ErrTruncated) {
		t.Fatalf("AppendPartial cut short: error = %v, want ErrTruncated", err)
	}
	if q.Offset != 1<<20+5 {
		t.Fatalf("AppendPartial cut short: offset %d, want %d", q.Offset, 1<<20+5)
	}
	q = appendAll(t, s, q, b[q.Offset:])
	commit(t, s, q, b)
}

func testPartialReaderError(t *testing.T, s blob.Store) {
	b := Body(43, 100000)
	p := begin(t, s, len(b))
	boom := errors.New("connection reset")
	q, err := s.AppendPartial(context.Background(), p, &errReader{b: b, n: 40000, err: boom}, int64(len(b)))
	if !errors.Is(err, boom) || q.Offset != 40000 {
		t.Fatalf("AppendPartial with a failing reader = offset %d, %v; want 40000, %v", q.Offset, err, boom)
	}
	q = appendAll(t, s, q, b[40000:])
	commit(t, s, q, b)
}

// testPartialUnrecorded: an append whose result was never recorded (a
// crash before the session's row was written) is dropped by the next one,
// which starts from the recorded offset.
func testPartialUnrecorded(t *testing.T, s blob.Store) {
	b := Body(44, 50000)
	p := begin(t, s, len(b))
	p = appendAll(t, s, p, b[:10000])
	appendAll(t, s, p, Body(45, 30000)) // not recorded
	q := appendAll(t, s, p, b[10000:])
	commit(t, s, q, b)
}

func testPartialPastSize(t *testing.T, s blob.Store) {
	p := begin(t, s, 1000)
	p = appendAll(t, s, p, Body(46, 600))
	q, err := s.AppendPartial(context.Background(), p, failReader{t}, 401)
	if !errors.Is(err, blob.ErrTooLarge) || q.Offset != 600 {
		t.Fatalf("AppendPartial past the size = offset %d, %v; want 600, ErrTooLarge", q.Offset, err)
	}
	if _, err := s.BeginPartial(context.Background(), MaxSize+1); !errors.Is(err, blob.ErrTooLarge) {
		t.Errorf("BeginPartial over the limit: %v, want ErrTooLarge", err)
	}
}

func testPartialWantMismatch(t *testing.T, s blob.Store) {
	b := Body(47, 5000)
	p := appendAll(t, s, begin(t, s, len(b)), b)
	wrong := Sum(Body(48, 5000))
	if _, err := s.CommitPartial(context.Background(), p, &wrong); !errors.Is(err, blob.ErrDigestMismatch) {
		t.Fatalf("CommitPartial with the wrong digest: %v, want ErrDigestMismatch", err)
	}
	checkNothingStored(t, s, b)
	if err := s.RemovePartial(context.Background(), p.Name); err != nil {
		t.Fatal(err)
	}
	if n := partials(t, s); len(n) != 0 {
		t.Errorf("partials %v remain", n)
	}
}

func testPartialIncomplete(t *testing.T, s blob.Store) {
	b := Body(49, 5000)
	p := appendAll(t, s, begin(t, s, len(b)), b[:4999])
	if _, err := s.CommitPartial(context.Background(), p, nil); !errors.Is(err, blob.ErrIncomplete) {
		t.Fatalf("CommitPartial of an incomplete body: %v, want ErrIncomplete", err)
	}
	checkList(t, s)
}

func testPartialRemove(t *testing.T, s blob.Store) {
	p := appendAll(t, s, begin(t, s, 100), Body(50, 10))
	if err := s.RemovePartial(context.Background(), p.Name); err != nil {
		t.Fatal(err)
	}
	if err := s.RemovePartial(context.Background(), p.Name); err != nil {
		t.Errorf("removing a removed partial: %v", err)
	}
	if _, err := s.AppendPartial(context.Background(), p, bytes.NewReader(Body(50, 10)), 10); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("AppendPartial to a removed partial: %v, want ErrNotFound", err)
	}
	p.Offset = 0
	if _, err := s.AppendPartial(context.Background(), p, bytes.NewReader(Body(50, 10)), 10); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("AppendPartial at 0 to a removed partial: %v, want ErrNotFound", err)
	}
	if n := partials(t, s); len(n) != 0 {
		t.Errorf("partials %v remain", n)
	}
	// Names the store never made are unknown, not paths.
	for _, name := range []string{"", "../sha256", "x", "0123456789abcdef0123456789ABCDEF"} {
		bad := blob.Partial{Name: name, Size: 10, Hash: p.Hash}
		if _, err := s.AppendPartial(context.Background(), bad, bytes.NewReader(Body(50, 10)), 10); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("AppendPartial to %q: %v, want ErrNotFound", name, err)
		}
	}
}

func testPartialDuplicate(t *testing.T, s blob.Store) {
	b := Body(51, 70000)
	put(t, s, b)
	p := appendAll(t, s, begin(t, s, len(b)), b)
	commit(t, s, p, b)
	checkList(t, s, b)
}

func testPartialCancelled(t *testing.T, s blob.Store) {
	b := Body(52, 4<<20)
	p := begin(t, s, len(b))
	ctx, cancel := context.WithCancel(context.Background())
	q, err := s.AppendPartial(ctx, p, &cancelReader{b: b, after: 1 << 20, cancel: cancel}, int64(len(b)))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("AppendPartial cancelled midway: %v, want context.Canceled", err)
	}
	if q.Offset <= 0 || q.Offset >= int64(len(b)) {
		t.Fatalf("AppendPartial cancelled midway kept %d bytes", q.Offset)
	}
	q = appendAll(t, s, q, b[q.Offset:])
	commit(t, s, q, b)
}

func testPartialConcurrent(t *testing.T, s blob.Store) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := Body(uint64(60+i), 200000+i)
			p, err := s.BeginPartial(context.Background(), int64(len(b)))
			if err != nil {
				t.Error(err)
				return
			}
			for off := 0; off < len(b); off += 65536 {
				end := min(off+65536, len(b))
				if p, err = s.AppendPartial(context.Background(), p, bytes.NewReader(b[off:end]), int64(end-off)); err != nil {
					t.Error(err)
					return
				}
			}
			want := Sum(b)
			if d, err := s.CommitPartial(context.Background(), p, &want); err != nil || d != want {
				t.Errorf("CommitPartial = %x, %v", d, err)
			}
		}()
	}
	wg.Wait()
	if n := partials(t, s); len(n) != 0 {
		t.Errorf("partials %v remain", n)
	}
}

// Package blobtest is the conformance suite for blob.Store implementations.
// Every implementation runs it from its tests:
//
//	func TestConformance(t *testing.T) {
//		blobtest.Run(t, func(t *testing.T, maxSize int64) blob.Store { ... })
//	}
//
// Run checks the semantics documented in package blob: exact sizes, digest
// checks, that a failed or cancelled Put stores nothing, deduplication,
// seeking, removal, enumeration and concurrent use; and partial bodies
// (partial.go).
package blobtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/hearthcloud/hearth/server/blob"
)

// MaxSize is the limit Run passes to newStore unless a test needs another.
const MaxSize = 64 << 20

// Run runs the conformance suite, each test on a fresh, empty store made by
// newStore with the given size limit.
func Run(t *testing.T, newStore func(t *testing.T, maxSize int64) blob.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s blob.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"Empty", testEmpty},
		{"Large", testLarge},
		{"WantMatch", testWantMatch},
		{"WantMismatch", testWantMismatch},
		{"Truncated", testTruncated},
		{"LongerReader", testLongerReader},
		{"ReaderError", testReaderError},
		{"CancelMidway", testCancelMidway},
		{"CancelledBefore", testCancelledBefore},
		{"Duplicate", testDuplicate},
		{"Seek", testSeek},
		{"Remove", testRemove},
		{"Enumerate", testEnumerate},
		{"EnumerateStops", testEnumerateStops},
		{"Concurrent", testConcurrent},
	}
	for _, tt := range append(tests, partialTests...) {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t, MaxSize)) })
	}
	t.Run("TooLarge", func(t *testing.T) { testTooLarge(t, newStore(t, 1000)) })
}

// put stores b, announcing its size and no digest, and checks the digest.
func put(t *testing.T, s blob.Store, b []byte) blob.Digest {
	t.Helper()
	d, err := s.Put(context.Background(), bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatalf("Put(%d bytes): %v", len(b), err)
	}
	if want := Sum(b); d != want {
		t.Fatalf("Put(%d bytes) = %x, want %x", len(b), d, want)
	}
	return d
}

// checkBody checks that Get(d) returns exactly want.
func checkBody(t *testing.T, s blob.Store, d blob.Digest, want []byte) {
	t.Helper()
	r, size, err := s.Get(context.Background(), d)
	if err != nil {
		t.Fatalf("Get(%x): %v", d, err)
	}
	defer r.Close()
	if size != int64(len(want)) {
		t.Errorf("Get(%x) size = %d, want %d", d, size, len(want))
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading %x: %v", d, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Get(%x) returned %d bytes (digest %x), want %d bytes", d, len(got), Sum(got), len(want))
	}
}

// checkNotFound checks that Get(d) fails with blob.ErrNotFound.
func checkNotFound(t *testing.T, s blob.Store, d blob.Digest) {
	t.Helper()
	r, _, err := s.Get(context.Background(), d)
	if err == nil {
		r.Close()
	}
	if !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Get(%x) error = %v, want ErrNotFound", d, err)
	}
}

// list returns what Enumerate reports.
func list(t *testing.T, s blob.Store) map[blob.Digest]int64 {
	t.Helper()
	m := make(map[blob.Digest]int64)
	err := s.Enumerate(context.Background(), func(d blob.Digest, size int64) error {
		if _, dup := m[d]; dup {
			t.Errorf("Enumerate reported %x twice", d)
		}
		m[d] = size
		return nil
	})
	if err != nil {
		t.Fatalf("Enumerate: %v", err)
	}
	return m
}

// checkList checks that Enumerate reports exactly the bodies in want.
func checkList(t *testing.T, s blob.Store, want ...[]byte) {
	t.Helper()
	got := list(t, s)
	for _, b := range want {
		d := Sum(b)
		size, ok := got[d]
		switch {
		case !ok:
			t.Errorf("Enumerate did not report %x", d)
		case size != int64(len(b)):
			t.Errorf("Enumerate reported %x with size %d, want %d", d, size, len(b))
		}
		delete(got, d)
	}
	for d, size := range got {
		t.Errorf("Enumerate reported unexpected %x (size %d)", d, size)
	}
}

// checkNothingStored checks that a failed Put of b left nothing behind.
func checkNothingStored(t *testing.T, s blob.Store, b []byte) {
	t.Helper()
	checkNotFound(t, s, Sum(b))
	checkList(t, s)
}

func testRoundTrip(t *testing.T, s blob.Store) {
	b := Body(1, 1000)
	d := put(t, s, b)
	checkBody(t, s, d, b)
	checkList(t, s, b)
}

func testEmpty(t *testing.T, s blob.Store) {
	d := put(t, s, nil)
	checkBody(t, s, d, []byte{})
	checkList(t, s, []byte{})
}

func testLarge(t *testing.T, s blob.Store) {
	b := Body(2, 5<<20+123) // several chunks and a partial one
	d := put(t, s, b)
	checkBody(t, s, d, b)
	checkList(t, s, b)
}

func testWantMatch(t *testing.T, s blob.Store) {
	b := Body(3, 3<<20)
	want := Sum(b)
	d, err := s.Put(context.Background(), bytes.NewReader(b), int64(len(b)), &want)
	if err != nil || d != want {
		t.Fatalf("Put with the right digest = %x, %v; want %x, nil", d, err, want)
	}
	checkBody(t, s, d, b)
}

func testWantMismatch(t *testing.T, s blob.Store) {
	b := Body(4, 3<<20)
	want := Sum(Body(5, 3<<20))
	_, err := s.Put(context.Background(), bytes.NewReader(b), int64(len(b)), &want)
	if !errors.Is(err, blob.ErrDigestMismatch) {
		t.Fatalf("Put with the wrong digest: error = %v, want ErrDigestMismatch", err)
	}
	checkNothingStored(t, s, b)
	checkNotFound(t, s, want)
}

func testTruncated(t *testing.T, s blob.Store) {
	for _, tc := range []struct{ have, announce int }{
		{0, 1},
		{100, 200},
		{3 << 20, 4 << 20},     // ends on a chunk boundary
		{3<<20 + 5, 3<<20 + 6}, // one byte short, mid-chunk
	} {
		b := Body(6, tc.announce)
		_, err := s.Put(context.Background(), bytes.NewReader(b[:tc.have]), int64(tc.announce), nil)
		if !errors.Is(err, blob.ErrTruncated) {
			t.Errorf("Put of %d bytes announced as %d: error = %v, want ErrTruncated", tc.have, tc.announce, err)
		}
		checkNothingStored(t, s, b[:tc.have])
		checkNothingStored(t, s, b)
	}
	// A reader reporting io.ErrUnexpectedEOF, as net/http does for a body
	// cut short, is truncation too.
	r := &errReader{b: Body(7, 100), n: 50, err: io.ErrUnexpectedEOF}
	if _, err := s.Put(context.Background(), r, 100, nil); !errors.Is(err, blob.ErrTruncated) {
		t.Errorf("Put of a body ending in io.ErrUnexpectedEOF: error = %v, want ErrTruncated", err)
	}
	checkList(t, s)
}

func testLongerReader(t *testing.T, s blob.Store) {
	for _, size := range []int{0, 1000, 2<<20 + 7} {
		b := Body(8, size+100)
		r := bytes.NewReader(b)
		d, err := s.Put(context.Background(), r, int64(size), nil)
		if err != nil {
			t.Fatalf("Put(%d of %d bytes): %v", size, len(b), err)
		}
		if d != Sum(b[:size]) {
			t.Errorf("Put(%d of %d bytes) digest = %x, want that of the first %d bytes", size, len(b), d, size)
		}
		if r.Len() != 100 {
			t.Errorf("Put(%d of %d bytes) left %d bytes unread, want 100", size, len(b), r.Len())
		}
		checkBody(t, s, d, b[:size])
	}
}

func testTooLarge(t *testing.T, s blob.Store) {
	// The store was made with a limit of 1000 bytes.
	_, err := s.Put(context.Background(), failReader{t}, 1001, nil)
	if !errors.Is(err, blob.ErrTooLarge) {
		t.Errorf("Put of 1001 bytes over a limit of 1000: error = %v, want ErrTooLarge", err)
	}
	checkList(t, s)
	b := Body(9, 1000)
	checkBody(t, s, put(t, s, b), b)
}

func testReaderError(t *testing.T, s blob.Store) {
	errBoom := errors.New("connection reset")
	b := Body(10, 4<<20)
	r := &errReader{b: b, n: 3 << 20 / 2, err: errBoom}
	_, err := s.Put(context.Background(), r, int64(len(b)), nil)
	if !errors.Is(err, errBoom) {
		t.Errorf("Put from a failing reader: error = %v, want %v", err, errBoom)
	}
	if errors.Is(err, blob.ErrTruncated) {
		t.Errorf("Put from a failing reader: error = %v, want not ErrTruncated", err)
	}
	checkNothingStored(t, s, b)
}

func testCancelMidway(t *testing.T, s blob.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := Body(11, 8<<20)
	r := &cancelReader{b: b, after: 3 << 20 / 2, cancel: cancel}
	_, err := s.Put(ctx, r, int64(len(b)), nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Put: error = %v, want context.Canceled", err)
	}
	if len(r.b) == 0 {
		t.Errorf("cancelled Put read the whole body; it should stop between chunks")
	}
	checkNothingStored(t, s, b)
}

func testCancelledBefore(t *testing.T, s blob.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := Body(12, 100)
	if _, err := s.Put(ctx, bytes.NewReader(b), int64(len(b)), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a cancelled context: error = %v, want context.Canceled", err)
	}
	checkNothingStored(t, s, b)
}

func testDuplicate(t *testing.T, s blob.Store) {
	b := Body(13, 2<<20)
	d1 := put(t, s, b)
	d2 := put(t, s, b)
	if d1 != d2 {
		t.Fatalf("two Puts of one body gave %x and %x", d1, d2)
	}
	checkBody(t, s, d1, b)
	checkList(t, s, b)
}

func testSeek(t *testing.T, s blob.Store) {
	b := Body(14, 3<<20+1)
	d := put(t, s, b)
	r, _, err := s.Get(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, tc := range []struct {
		offset int64
		whence int
		want   int64 // absolute position
	}{
		{int64(len(b)) / 2, io.SeekStart, int64(len(b)) / 2},
		{-10, io.SeekEnd, int64(len(b)) - 10},
		{0, io.SeekStart, 0},
		{int64(len(b)), io.SeekStart, int64(len(b))},
	} {
		pos, err := r.Seek(tc.offset, tc.whence)
		if err != nil || pos != tc.want {
			t.Fatalf("Seek(%d, %d) = %d, %v; want %d, nil", tc.offset, tc.whence, pos, err, tc.want)
		}
		rest, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(rest, b[tc.want:]) {
			t.Errorf("after Seek(%d, %d) read %d bytes, want the last %d", tc.offset, tc.whence, len(rest), len(b)-int(tc.want))
		}
	}
}

func testRemove(t *testing.T, s blob.Store) {
	ctx := context.Background()
	keep, gone := Body(15, 500), Body(16, 600)
	put(t, s, keep)
	d := put(t, s, gone)
	if err := s.Remove(ctx, d); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	checkNotFound(t, s, d)
	checkList(t, s, keep)
	if err := s.Remove(ctx, d); err != nil {
		t.Errorf("Remove of a removed body: %v", err)
	}
	if err := s.Remove(ctx, Sum([]byte("never stored"))); err != nil {
		t.Errorf("Remove of a body never stored: %v", err)
	}
	checkBody(t, s, Sum(keep), keep)
	// A removed body can be stored again.
	checkBody(t, s, put(t, s, gone), gone)
}

func testEnumerate(t *testing.T, s blob.Store) {
	checkList(t, s)
	var bodies [][]byte
	for i, n := range []int{0, 1, 31, 4096, 1<<20 + 1} {
		b := Body(uint64(20+i), n)
		put(t, s, b)
		bodies = append(bodies, b)
	}
	checkList(t, s, bodies...)
}

func testEnumerateStops(t *testing.T, s blob.Store) {
	for i := range 3 {
		put(t, s, Body(uint64(30+i), 10))
	}
	errStop := errors.New("stop")
	calls := 0
	err := s.Enumerate(context.Background(), func(blob.Digest, int64) error {
		calls++
		return errStop
	})
	if !errors.Is(err, errStop) || calls != 1 {
		t.Errorf("Enumerate with fn failing: %d calls, error %v; want 1 call, %v", calls, err, errStop)
	}
}

func testConcurrent(t *testing.T, s blob.Store) {
	const workers, each = 8, 4
	shared := Body(40, 1<<20+3)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		bodies = [][]byte{shared}
	)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				b := Body(uint64(100+w*each+i), 1000*(w+1)+i)
				for _, body := range [][]byte{b, shared} {
					d, err := s.Put(context.Background(), bytes.NewReader(body), int64(len(body)), nil)
					if err != nil || d != Sum(body) {
						t.Errorf("concurrent Put = %x, %v; want %x, nil", d, err, Sum(body))
					}
				}
				mu.Lock()
				bodies = append(bodies, b)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, b := range bodies {
		checkBody(t, s, Sum(b), b)
	}
	checkList(t, s, bodies...) // workers*each distinct bodies, shared once
}

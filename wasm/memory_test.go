package wasm

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/hearthcloud/hearth/client"
)

func sampleMemory() []memEntry {
	sv := sampleSaved()
	return []memEntry{
		{State: memoryOf(sv[1].State), Epoch: 2},
		{State: &client.State{Server: "http://h", User: "v", FeedSeq: 3}},
		{App: appMemoryOf(sv[2].App), Epoch: 1},
	}
}

func TestMemoryRoundTrip(t *testing.T) {
	b, err := encodeMemory(sampleMemory())
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeMemory(b)
	if err != nil || !reflect.DeepEqual(back, sampleMemory()) {
		t.Fatalf("round trip: %v\n%+v", err, back)
	}
	// The single memory of earlier versions still decodes.
	old, _ := encodeSaved(saved{Version: 1, State: sampleMemory()[0].State})
	if ms, err := decodeMemory(old); err != nil || len(ms) != 1 || ms[0].State.User != "u" {
		t.Fatalf("old form: %v %+v", err, ms)
	}
	for name, b := range map[string][]byte{
		"cut":     b[:len(b)-1],
		"garbage": []byte(memoryMagic + "\x05abc"),
		"empty":   append([]byte(memoryMagic), 0),
	} {
		if _, err := decodeMemory(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestHomeMemoryBounded: Home keeps the memories of the maxMemories
// accounts most recently used here (spec/web.md §4), the newest first.
func TestHomeMemoryBounded(t *testing.T) {
	a, err := New(Config{Server: "http://h"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range maxMemories + 5 {
		a.rememberLocked(memEntry{State: &client.State{Server: "http://h", User: fmt.Sprint("u", i)}})
	}
	a.rememberLocked(memEntry{State: &client.State{Server: "http://h", User: "u10", FeedSeq: 7}})
	b := a.memoryRecordLocked()
	b2, _ := New(Config{Server: "http://h"})
	b2.Remember(b)
	if len(b2.memories) != maxMemories || b2.memories[0].State.User != "u10" || b2.memories[0].State.FeedSeq != 7 || b2.memories[1].State.User != fmt.Sprint("u", maxMemories+4) {
		t.Fatalf("kept %d memories, first %+v", len(b2.memories), b2.memories[0].State)
	}
	if b2.memoryForLocked("u4") != nil || b2.memoryForLocked("u5") == nil {
		t.Fatal("not the oldest dropped")
	}
	// Another server's memories are not this one's.
	other, _ := New(Config{Server: "http://other"})
	other.Remember(b)
	if len(other.memories) != 0 {
		t.Fatal("another server's memory taken")
	}
}

func FuzzDecodeMemory(f *testing.F) {
	b, _ := encodeMemory(sampleMemory())
	f.Add(b)
	f.Add([]byte(memoryMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, err := decodeMemory(b)
		if err != nil {
			return
		}
		again, err := encodeMemory(ms)
		if err != nil {
			return
		}
		if _, err := decodeMemory(again); err != nil {
			t.Fatalf("re-encoded memory does not decode: %v", err)
		}
	})
}

// Package bbolt stands in for go.etcd.io/bbolt, which bleve's scorch index
// imports for its on-disk root file but which does not build for
// GOOS=js GOARCH=wasm (no flock, no mmap). Hearth keeps its search indexes
// in memory and persists them as sealed segments (spec/protocol.md §7), so
// it never opens a bolt file: this module offers the API bleve compiles
// against, and every call that would touch a file fails with
// ErrUnsupported. go.mod replaces go.etcd.io/bbolt with it, natively and
// under WebAssembly alike, so both builds share one persistence path.
package bbolt

import (
	"errors"
	"os"
	"time"
)

// ErrUnsupported is what every operation on a bolt file returns.
var ErrUnsupported = errors.New("bbolt stand-in: Hearth opens no bolt file; its indexes live in memory")

// ErrBucketNotFound is bolt's error of that name.
var ErrBucketNotFound = errors.New("bucket not found")

const DefaultFillPercent = 0.5

type Options struct {
	Timeout         time.Duration
	NoSync          bool
	ReadOnly        bool
	NoFreelistSync  bool
	MmapFlags       int
	InitialMmapSize int
	FreelistType    string
	NoGrowSync      bool
	OpenFile        func(string, int, os.FileMode) (*os.File, error)
}

var DefaultOptions = &Options{}

type DB struct{ NoSync bool }
type Tx struct{}
type Bucket struct{ FillPercent float64 }
type Cursor struct{}

func Open(path string, mode os.FileMode, options *Options) (*DB, error) { return nil, ErrUnsupported }

type Stats struct{ TxStats TxStats }
type TxStats struct{}
type BucketStats struct{ KeyN int }

func (db *DB) Begin(writable bool) (*Tx, error) { return nil, ErrUnsupported }
func (db *DB) View(fn func(*Tx) error) error    { return ErrUnsupported }
func (db *DB) Update(fn func(*Tx) error) error  { return ErrUnsupported }
func (db *DB) Batch(fn func(*Tx) error) error   { return ErrUnsupported }
func (db *DB) Close() error                     { return nil }
func (db *DB) Path() string                     { return "" }
func (db *DB) Sync() error                      { return ErrUnsupported }
func (db *DB) Stats() Stats                     { return Stats{} }
func (db *DB) IsReadOnly() bool                 { return true }

func (tx *Tx) Bucket(name []byte) *Bucket                           { return nil }
func (tx *Tx) CreateBucket(name []byte) (*Bucket, error)            { return nil, ErrUnsupported }
func (tx *Tx) CreateBucketIfNotExists(name []byte) (*Bucket, error) { return nil, ErrUnsupported }
func (tx *Tx) DeleteBucket(name []byte) error                       { return ErrUnsupported }
func (tx *Tx) ForEach(fn func(name []byte, b *Bucket) error) error  { return ErrUnsupported }
func (tx *Tx) Cursor() *Cursor                                      { return &Cursor{} }
func (tx *Tx) Commit() error                                        { return ErrUnsupported }
func (tx *Tx) Rollback() error                                      { return nil }
func (tx *Tx) Writable() bool                                       { return false }
func (tx *Tx) DB() *DB                                              { return nil }
func (tx *Tx) Size() int64                                          { return 0 }
func (tx *Tx) ID() int                                              { return 0 }

func (b *Bucket) Bucket(name []byte) *Bucket                           { return nil }
func (b *Bucket) CreateBucket(name []byte) (*Bucket, error)            { return nil, ErrUnsupported }
func (b *Bucket) CreateBucketIfNotExists(name []byte) (*Bucket, error) { return nil, ErrUnsupported }
func (b *Bucket) DeleteBucket(name []byte) error                       { return ErrUnsupported }
func (b *Bucket) ForEach(fn func(k, v []byte) error) error             { return ErrUnsupported }
func (b *Bucket) Put(key, value []byte) error                          { return ErrUnsupported }
func (b *Bucket) Get(key []byte) []byte                                { return nil }
func (b *Bucket) Delete(key []byte) error                              { return ErrUnsupported }
func (b *Bucket) Cursor() *Cursor                                      { return &Cursor{} }
func (b *Bucket) Stats() BucketStats                                   { return BucketStats{} }
func (b *Bucket) NextSequence() (uint64, error)                        { return 0, ErrUnsupported }
func (b *Bucket) Sequence() uint64                                     { return 0 }
func (b *Bucket) SetSequence(v uint64) error                           { return ErrUnsupported }
func (b *Bucket) Writable() bool                                       { return false }
func (b *Bucket) Tx() *Tx                                              { return nil }

func (c *Cursor) First() (key, value []byte)           { return nil, nil }
func (c *Cursor) Last() (key, value []byte)            { return nil, nil }
func (c *Cursor) Next() (key, value []byte)            { return nil, nil }
func (c *Cursor) Prev() (key, value []byte)            { return nil, nil }
func (c *Cursor) Seek(seek []byte) (key, value []byte) { return nil, nil }
func (c *Cursor) Delete() error                        { return ErrUnsupported }
func (c *Cursor) Bucket() *Bucket                      { return nil }

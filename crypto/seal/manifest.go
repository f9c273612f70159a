package seal

// ManifestID is the identifier a sealed index manifest binds in place of a
// document identifier (§7.2).
const ManifestID = "manifest"

// SealManifest seals revision rev of the search-index manifest of doctype
// with k. It is the document construction (§5) with its own context label
// and subkey, so a manifest and a document can never stand in for each other.
func SealManifest(k *Key, doctype string, rev uint64, prev Digest, content []byte) ([]byte, error) {
	return sealRecord(kindManifest, k, Ref{Doctype: doctype, ID: ManifestID, Rev: rev}, prev, content)
}

// OpenManifest opens a sealed index manifest the host claims is revision rev
// of doctype's manifest. Any failure returns ErrIntegrity.
func OpenManifest(keys *KeySet, doctype string, rev uint64, sealed []byte) (*Document, error) {
	return openRecord(kindManifest, keys, Ref{Doctype: doctype, ID: ManifestID, Rev: rev}, sealed)
}

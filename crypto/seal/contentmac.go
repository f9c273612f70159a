package seal

import "github.com/hearthcloud/hearth/crypto/internal/format"

// infoContentMAC labels the subkey that keys the hash a files document
// keeps of a file's plaintext (spec §4.1, §6.3).
const infoContentMAC = "hearth/v1 content mac"

// ContentMACKey returns the key of the keyed hash (HMAC-SHA-256) that a
// files document records of a file's plaintext, so that a client can tell
// an upload of the same content without the host learning anything
// (spec §6.3): a subkey of k that nothing else uses, so that equal files
// of two accounts, or of two doctypes, hash differently.
func (k *Key) ContentMACKey() []byte { return format.Subkey(k.raw, infoContentMAC) }

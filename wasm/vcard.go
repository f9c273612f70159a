package wasm

import (
	"encoding/json"
	"strings"

	"github.com/hearthcloud/hearth/client/vcard"
)

// vCard import and export for apps (spec/contacts.md): pure functions of
// the worker, needing no session; the Contacts app stores what they give.

// VCardImported is what VCardImport answers.
type VCardImported struct {
	Contacts []vcard.Contact `json:"contacts"`
	Warnings []string        `json:"warnings"`
}

// maxVCardFile bounds a file given to VCardImport.
const maxVCardFile = 32 << 20

// VCardImport reads a vCard file (2.1, 3.0 or 4.0; several cards) into
// contacts (the content of io.hearth.contacts documents). data is the
// file's bytes: older cards may hold text in other character sets, which
// their CHARSET parameter names.
func (a *API) VCardImport(data []byte) (*VCardImported, error) {
	if len(data) > maxVCardFile {
		return nil, badInput("the file is larger than %d MiB", maxVCardFile>>20)
	}
	cs, warns, err := vcard.Import(data)
	if err != nil {
		return nil, badInput("%v", err)
	}
	out := &VCardImported{Contacts: cs, Warnings: []string{}}
	if out.Contacts == nil {
		out.Contacts = []vcard.Contact{}
	}
	for _, w := range warns {
		out.Warnings = append(out.Warnings, w.String())
	}
	return out, nil
}

// VCardExport writes contacts (values of io.hearth.contacts documents) as
// one vCard file, version "4.0" (default) or "3.0".
func (a *API) VCardExport(values []json.RawMessage, version string) (string, error) {
	if version != "" && version != "4.0" && version != "3.0" {
		return "", badInput("vCard version %q: 4.0 or 3.0", version)
	}
	cs := make([]vcard.Contact, 0, len(values))
	for i, v := range values {
		var c vcard.Contact
		if err := json.Unmarshal(v, &c); err != nil {
			return "", badInput("contact %d is not a contact", i+1)
		}
		cs = append(cs, c)
	}
	b, err := vcard.Export(cs, version)
	if err != nil {
		return "", badInput("%s", strings.TrimPrefix(err.Error(), "vcard: "))
	}
	return string(b), nil
}

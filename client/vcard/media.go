package vcard

import (
	"encoding/base64"
	"strings"
)

// mediaPrefix is the top-level media type a bare TYPE (JPEG, PNG, PGP)
// belongs to for the properties whose TYPE names a format.
func mediaPrefix(name string) string {
	switch strings.ToUpper(name) {
	case "PHOTO", "LOGO":
		return "image/"
	case "SOUND":
		return "audio/"
	case "KEY":
		return "application/"
	}
	return ""
}

// mediaType is the media type for the TYPE value t of property name.
func mediaType(name, t string) string {
	t = strings.ToLower(strings.TrimSpace(t))
	if t == "" || strings.Contains(t, "/") {
		return t
	}
	pre := mediaPrefix(name)
	if pre == "image/" && t == "jpg" {
		return "image/jpeg"
	}
	return pre + t
}

// typeForMedia is the 3.0 TYPE value for media type mt, if there is one that
// reads back as mt.
func typeForMedia(name, mt string) (string, bool) {
	pre := mediaPrefix(name)
	if pre == "" || !strings.HasPrefix(mt, pre) {
		return "", false
	}
	sub := mt[len(pre):]
	if sub == "" {
		return "", false
	}
	for i := 0; i < len(sub); i++ {
		c := sub[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '+') {
			return "", false
		}
	}
	t := strings.ToUpper(sub)
	if mediaType(name, t) != mt {
		return "", false
	}
	return t, true
}

// takeMediaType removes the first TYPE value of a binary property and
// returns it as a media type (PHOTO, LOGO, SOUND and KEY only).
func takeMediaType(name string, ps []Param) (string, []Param) {
	if mediaPrefix(name) == "" {
		return "", ps
	}
	out := make([]Param, 0, len(ps))
	mt, done := "", false
	for _, q := range ps {
		if q.Name == "TYPE" && !done && len(q.Values) > 0 {
			done = true
			mt = mediaType(name, q.Values[0])
			if len(q.Values) == 1 {
				continue
			}
			q = Param{Name: "TYPE", Values: append([]string(nil), q.Values[1:]...)}
		}
		out = append(out, q)
	}
	return mt, out
}

// dropURIValue removes ENCODING and the VALUE values uri, url and binary:
// what says how a binary value is written rather than what it is.
func dropURIValue(ps []Param, encoding bool) []Param {
	out := make([]Param, 0, len(ps))
	for _, q := range ps {
		if q.Name == "ENCODING" && encoding {
			continue
		}
		if q.Name == "VALUE" {
			var vs []string
			for _, v := range q.Values {
				switch strings.ToLower(v) {
				case "uri", "url", "binary":
				default:
					vs = append(vs, v)
				}
			}
			if len(vs) == 0 {
				continue
			}
			q = Param{Name: "VALUE", Values: vs}
		}
		out = append(out, q)
	}
	return out
}

func hasParamName(ps []Param, name string) bool {
	for _, q := range ps {
		if q.Name == name {
			return true
		}
	}
	return false
}

// decodeB64 reads base64 with or without padding; empty is not data.
func decodeB64(s string) ([]byte, bool) {
	if s == "" {
		return nil, false
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, true
	}
	if b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "=")); err == nil {
		return b, true
	}
	return nil, false
}

// parseDataURI splits data:<mt>;base64,<data>.
func parseDataURI(v string) (mt, b64 string, ok bool) {
	if len(v) < 5 || !strings.EqualFold(v[:5], "data:") {
		return "", "", false
	}
	i := strings.Index(strings.ToLower(v), ";base64,")
	if i < 5 || strings.Contains(v[5:i], ",") {
		return "", "", false
	}
	return strings.ToLower(v[5:i]), v[i+8:], true
}

// sniffImage is the media type of an image property's data that was
// written without one (BlackBerry's and Apple's PHOTO;ENCODING=BASE64 with
// no TYPE), from its first bytes; "" if not a known format.
func sniffImage(name string, data []byte) string {
	if mediaPrefix(name) != "image/" {
		return ""
	}
	switch {
	case len(data) >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF:
		return "image/jpeg"
	case len(data) >= 8 && string(data[:8]) == "\x89PNG\r\n\x1a\n":
		return "image/png"
	case len(data) >= 6 && (string(data[:6]) == "GIF87a" || string(data[:6]) == "GIF89a"):
		return "image/gif"
	}
	return ""
}

// binaryOf reads an embedded binary value: ENCODING=b, or a base64 data:
// URI. It returns the media type (from the data's first bytes for an
// image written without one), the data, and the parameters left once
// those that only say how the value is written are gone.
func binaryOf(p *Property) (mt string, data []byte, params []Param, ok bool) {
	if p.isBinary() {
		data, ok = decodeB64(p.Value)
		if !ok {
			return "", nil, nil, false
		}
		mt, params = takeMediaType(p.Name, p.Params)
		if mt == "" {
			mt = sniffImage(p.Name, data)
		}
		return mt, data, dropURIValue(params, true), true
	}
	if !hasParamName(p.Params, "ENCODING") {
		if m, b, isData := parseDataURI(unescapeText(p.Value)); isData {
			if data, ok = decodeB64(b); ok {
				if m == "" {
					m = sniffImage(p.Name, data)
				}
				return m, data, dropURIValue(p.Params, false), true
			}
		}
	}
	return "", nil, nil, false
}

// decodeMedia reads PHOTO: embedded (ENCODING=b or a data: URI) or a link.
func decodeMedia(p Property) (Photo, []Param, bool) {
	if p.Value == "" {
		return Photo{}, nil, false
	}
	if mt, data, params, ok := binaryOf(&p); ok {
		return Photo{Type: mt, Data: base64.StdEncoding.EncodeToString(data)}, params, true
	}
	if hasParamName(p.Params, "ENCODING") {
		return Photo{}, nil, false // binary but not base64: keep it in Extra
	}
	v := unescapeText(p.Value)
	if _, _, isData := parseDataURI(v); isData {
		return Photo{}, nil, false
	}
	return Photo{URI: v}, dropURIValue(p.Params, false), true
}

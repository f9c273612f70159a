package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/hearthcloud/hearth/internal/wire"
	"github.com/hearthcloud/hearth/server/meta"
)

func (s *Server) getDoc(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r); err != nil {
		return err
	}
	d, id, err := itemVars(r)
	if err != nil {
		return err
	}
	doc, err := s.cfg.Meta.Doc(r.Context(), tokenOf(r).User, d, id)
	if errors.Is(err, meta.ErrNotFound) {
		if err := s.registered(r, tokenOf(r).User, d); err != nil {
			return err
		}
		return Errorf(wire.CodeNotFound, "no such document")
	}
	if err != nil {
		return err
	}
	w.Header().Set("Hearth-Seq", strconv.FormatUint(doc.Seq, 10))
	if doc.Deleted {
		w.Header().Set("Hearth-Deleted", "true")
	}
	return writeSealed(w, doc.Rev, doc.Sealed)
}

// putOne writes one document through the same path as a bulk write.
func (s *Server) putOne(w http.ResponseWriter, r *http.Request, deleted bool) error {
	d, id, err := itemVars(r)
	if err != nil {
		return err
	}
	ifRev, err := precondition(r)
	if err != nil {
		return err
	}
	if deleted && ifRev == 0 {
		return Errorf(wire.CodeBadRequest, "a deletion needs If-Match")
	}
	if err := mediaType(r, typeSealed, "the sealed document"); err != nil {
		return err
	}
	body, err := readSealed(r, maxDocument)
	if err != nil {
		return err
	}
	user := tokenOf(r).User
	res, err := s.cfg.Meta.PutDocs(r.Context(), user, []meta.DocWrite{{Doctype: d, ID: id, IfRev: ifRev, Sealed: body, Deleted: deleted}})
	if err != nil {
		return err
	}
	if res[0].Err != nil {
		if isConflict(res[0].Err) {
			return conflict(res[0].CurrentRev, "the document changed; read it again")
		}
		return res[0].Err
	}
	s.feedWait.notify(user)
	setRevision(w.Header(), res[0].Rev)
	w.Header().Set("Hearth-Seq", strconv.FormatUint(res[0].Seq, 10))
	return writeJSON(w, createdOr(ifRev == 0), map[string]uint64{"rev": res[0].Rev, "seq": res[0].Seq})
}

func (s *Server) putDoc(w http.ResponseWriter, r *http.Request) error    { return s.putOne(w, r, false) }
func (s *Server) deleteDoc(w http.ResponseWriter, r *http.Request) error { return s.putOne(w, r, true) }

func (s *Server) listDocs(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := pageParams(r, "deleted")
	if err != nil {
		return err
	}
	deleted, err := boolParam(r, "deleted")
	if err != nil {
		return err
	}
	d, err := doctypeVar(r)
	if err != nil {
		return err
	}
	list, err := s.cfg.Meta.ListDocs(r.Context(), tokenOf(r).User, d, after, limit, deleted)
	if err != nil {
		return err
	}
	if err := s.listed(r, tokenOf(r).User, d, len(list)); err != nil {
		return err
	}
	type info struct {
		ID      string `json:"id"`
		Rev     uint64 `json:"rev"`
		Size    int64  `json:"size"`
		Deleted bool   `json:"deleted"`
	}
	out := []info{}
	for _, x := range list {
		out = append(out, info{x.ID, x.Rev, x.Size, x.Deleted})
	}
	next := nextAfter(out, limit, func(x info) string { return x.ID })
	return writeJSON(w, http.StatusOK, map[string]any{"docs": out, "next": next})
}

func itemErr(e *Error) *wire.ErrorBody {
	return &wire.ErrorBody{Code: e.Code, Message: e.Message, Rev: e.Rev, Quota: e.Quota, Reason: e.Reason, Offset: e.Offset, Limit: e.Limit, Left: e.Left}
}

func (s *Server) bulkPut(w http.ResponseWriter, r *http.Request) error {
	d, err := doctypeVar(r)
	if err != nil {
		return err
	}
	// A bulk body is read whole (up to 32 MiB, twice that decoded): a few
	// at a time bound the memory they take, taken once the body begins and
	// at most two by one account.
	if err := jsonHead(r, maxBulkJSON); err != nil {
		return err
	}
	release, err := s.bulkSlots.take(r, tokenOf(r).User)
	if err != nil {
		return err
	}
	defer release()
	var req struct {
		Docs []wire.BulkPutItem `json:"docs"`
	}
	if err := readJSON(r, maxBulkJSON, &req); err != nil {
		return err
	}
	if len(req.Docs) == 0 || len(req.Docs) > 1000 {
		return Errorf(wire.CodeBadRequest, "docs: give 1 to 1000 items")
	}
	results := make([]wire.BulkResult, len(req.Docs))
	seen := map[string]bool{}
	var writes []meta.DocWrite
	var index []int
	for i, it := range req.Docs {
		results[i].ID = it.ID
		if seen[it.ID] {
			return Errorf(wire.CodeBadRequest, "docs: an id appears twice")
		}
		seen[it.ID] = true
		var e *Error
		switch {
		case wire.CheckID(it.ID) != nil || it.ID[0] == '_':
			e = Errorf(wire.CodeInvalidName, "%s", wire.ErrInvalidID.Error())
		case len(it.Sealed) == 0:
			e = Errorf(wire.CodeBadRequest, "sealed is empty")
		case len(it.Sealed) > maxDocument:
			e = Errorf(wire.CodeTooLarge, "the document is larger than %d bytes", maxDocument)
		case it.Deleted && it.IfMatch == 0:
			e = Errorf(wire.CodeBadRequest, "a deletion needs if_match")
		case it.Deleted && allow(r, d, verbDelete) != nil:
			e = Errorf(wire.CodeForbidden, "this token may not delete in this doctype")
		}
		if e != nil {
			results[i].Error = itemErr(e)
			continue
		}
		writes = append(writes, meta.DocWrite{Doctype: d, ID: it.ID, IfRev: it.IfMatch, Sealed: it.Sealed, Deleted: it.Deleted})
		index = append(index, i)
	}
	if len(writes) > 0 {
		user := tokenOf(r).User
		res, err := s.cfg.Meta.PutDocs(r.Context(), user, writes)
		if err != nil {
			return err
		}
		for j, rs := range res {
			i := index[j]
			switch {
			case rs.Err == nil:
				results[i].Rev, results[i].Seq = rs.Rev, rs.Seq
			case errors.Is(rs.Err, meta.ErrUnknownDoctype):
				return rs.Err // request-wide
			case isConflict(rs.Err):
				results[i].Error = itemErr(conflict(rs.CurrentRev, "the document changed; read it again"))
			default:
				results[i].Error = itemErr(AsError(rs.Err))
			}
		}
		s.feedWait.notify(user)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"results": results})
}

// bulkGet answers a bulk read (§8.5.4) in request order, within maxPage
// bytes: each answer is encoded as its document is read, and the first
// that does not fit, with room kept for the answers after it, is answered
// too_large, as is every id after it (unread), to be asked for again.
func (s *Server) bulkGet(w http.ResponseWriter, r *http.Request) error {
	d, err := doctypeVar(r)
	if err != nil {
		return err
	}
	var req struct {
		IDs []string `json:"ids"`
	}
	if err := readJSON(r, maxJSON, &req); err != nil {
		return err
	}
	if len(req.IDs) == 0 || len(req.IDs) > 1000 {
		return Errorf(wire.CodeBadRequest, "ids: give 1 to 1000 ids")
	}
	seen := make(map[string]bool, len(req.IDs))
	for _, id := range req.IDs {
		if seen[id] {
			return Errorf(wire.CodeBadRequest, "ids: an id appears twice")
		}
		seen[id] = true
	}
	// short[i] is the answer to id i once the page is full (too_large, or
	// invalid_name), and after[i] the room the answers after id i take
	// then, so that the page can always be closed.
	short := make([][]byte, len(req.IDs))
	after := make([]int, len(req.IDs)+1)
	for i := len(req.IDs) - 1; i >= 0; i-- {
		e := Errorf(wire.CodeTooLarge, "the answer is full; ask for this one again")
		if wire.CheckID(req.IDs[i]) != nil {
			e = Errorf(wire.CodeInvalidName, "%s", wire.ErrInvalidID.Error())
		}
		if short[i], err = json.Marshal(wire.BulkDoc{ID: req.IDs[i], Error: itemErr(e)}); err != nil {
			return err
		}
		after[i] = after[i+1] + len(short[i]) + 1
	}
	p := newPage(`{"docs":[`, len("]}\n"))
	full, missing := false, false
	for i, id := range req.IDs {
		if full || wire.CheckID(id) != nil {
			p.add(short[i])
			continue
		}
		it := wire.BulkDoc{ID: id}
		if doc, err := s.cfg.Meta.Doc(r.Context(), tokenOf(r).User, d, id); err != nil {
			it.Error = itemErr(AsError(err))
			if it.Error.Code == wire.CodeInternal {
				return err
			}
			missing = true
		} else {
			it.Rev, it.Seq, it.Deleted, it.Sealed = doc.Rev, doc.Seq, doc.Deleted, doc.Sealed
		}
		b, err := json.Marshal(it)
		if err != nil {
			return err
		}
		if !p.fits(len(b), after[i+1]) {
			full = true
			b = short[i]
		}
		p.add(b)
	}
	// An unregistered doctype has no documents: look the doctype up (a
	// listing of them all) only when something was missing.
	if missing {
		if err := s.registered(r, tokenOf(r).User, d); err != nil {
			return err
		}
	}
	p.write(w, http.StatusOK, "]}")
	return nil
}

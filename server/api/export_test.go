package api

// Hooks for the tests of package api_test; compiled only into tests.

// HashRuns returns how many Argon2id runs (hashes and verifications of
// login secrets, dummy ones included) s has started.
func HashRuns(s *Server) int64 { return s.hashes.runs.Load() }

// FillHashGate takes every run and queue place of s's hash gate, as a flood
// of logins would, until the returned function gives them back.
func FillHashGate(s *Server) (release func()) {
	for range cap(s.hashes.run) {
		s.hashes.run <- struct{}{}
	}
	for range cap(s.hashes.admit) {
		s.hashes.admit <- struct{}{}
	}
	return func() {
		for range cap(s.hashes.run) {
			<-s.hashes.run
		}
		for range cap(s.hashes.admit) {
			<-s.hashes.admit
		}
	}
}

// SlotsInUse returns the bulk-write and app-install slots taken.
func SlotsInUse(s *Server) (bulk, app int) { return s.bulkSlots.inUse(), s.appSlot.inUse() }

// A Route is one row of s's route table: method, path (with /v1) and access.
type Route struct{ Method, Path, Access string }

// Routes returns s's route table, in order.
func Routes(s *Server) []Route {
	var out []Route
	for _, rt := range s.routeTable() {
		out = append(out, Route{rt.method, "/v1" + rt.path, string(rt.access)})
	}
	return out
}

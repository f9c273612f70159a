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

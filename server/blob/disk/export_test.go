package disk

// FileSyncs returns how many bodies s has fsynced (tests only).
func FileSyncs(s *Store) int64 { return s.fileSyncs.Load() }

"""Writers: one per target system, each finding and writing the records its syncs plan."""

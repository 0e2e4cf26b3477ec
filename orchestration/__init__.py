"""ledgerlink orchestration."""

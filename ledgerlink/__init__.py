"""ledgerlink ledgerlink."""

"""ledgerlink sandbox."""

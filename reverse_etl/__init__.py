"""ledgerlink reverse_etl."""

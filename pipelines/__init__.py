"""ledgerlink pipelines."""

"""API connectors: FreshBooks, Infor M3 and the shop, all on the one HTTP policy."""

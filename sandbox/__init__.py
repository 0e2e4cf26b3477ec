"""Faithful local emulators of the FreshBooks, Infor M3 and shop APIs, with fault injection."""

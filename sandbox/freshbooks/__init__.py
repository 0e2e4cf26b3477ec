"""FreshBooks API emulator: OAuth, identity, accounting resources and signed webhooks."""

from sandbox.freshbooks.emulator import FreshBooksEmulator

__all__ = ["FreshBooksEmulator"]

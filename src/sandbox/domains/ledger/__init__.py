"""The ledger domain: digitised paper invoices with clerks' typing errors and OCR misreads, and their truth."""

from sandbox.domains.ledger.domain import Ledger

__all__ = ["Ledger"]

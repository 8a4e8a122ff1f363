"""Hook registrations of one part of sales, called from kehu/sales/wiring.py; idempotent."""


def register() -> None:
    pass

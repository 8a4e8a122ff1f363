"""What the planning app plugs into the layers below it (docs/architecture.md): the steps of
`kehu daily` (the forecast reminder the day before the cut-off, carrying a skipped week's
number forward)."""


def register() -> None:
    pass

from django.db import transaction

from kehu.core.models import Sequence


def next_number(name: str, *, at_least: int = 0) -> int:
    """The next number of sequence `name` (row-locked, so two writers never get the same)."""
    with transaction.atomic():
        Sequence.objects.get_or_create(name=name)
        seq = Sequence.objects.select_for_update().get(name=name)
        seq.last = max(seq.last, at_least) + 1
        seq.save(update_fields=["last"])
        return seq.last

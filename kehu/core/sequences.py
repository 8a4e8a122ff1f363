from django.db import transaction
from django.db.models.functions import Length

from kehu.core.models import Sequence


def next_number(name: str, *, at_least: int = 0) -> int:
    """The next number of sequence `name` (row-locked, so two writers never get the same)."""
    with transaction.atomic():
        Sequence.objects.get_or_create(name=name)
        seq = Sequence.objects.select_for_update().get(name=name)
        seq.last = max(seq.last, at_least) + 1
        seq.save(update_fields=["last"])
        return seq.last


def next_code(model, *, prefix: str, sequence: str, width: int) -> str:
    """The next free code `prefix` + a `width`-digit number for `model.code` (C00001, Q000001 …):
    above the highest such code already stored (imported ones included), never one in use."""
    pattern = rf"^{prefix}[0-9]+$"
    numbers = model.objects.filter(code__regex=pattern).values_list("code", flat=True)
    # The highest by number, not by text ("K1000000" > "K999999"): the longest codes sort last.
    longest = numbers.order_by(Length("code").desc(), "-code").first()
    floor = int(longest[len(prefix):]) if longest else 0
    while True:
        code = f"{prefix}{next_number(sequence, at_least=floor):0{width}d}"
        if not model.objects.filter(code=code).exists():
            return code


def once_a_day(name: str, *, now, work) -> int:
    """Run `work()` at most once per local day under the marker `name` (cron runs `kehu daily`
    every few minutes; a summary's check is needed once a day). Returns what `work` returned,
    0 when it already ran today."""
    from django.utils import timezone

    today = timezone.localdate(now).toordinal()
    if Sequence.objects.filter(name=name, last__gte=today).exists():
        return 0
    result = work()
    Sequence.objects.update_or_create(name=name, defaults={"last": today})
    return result

"""What finance does when two customers are merged (customers.hooks.MERGE_MOVERS)."""

from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.finance.models import Payment, QualityLoss, Receivable, WriteOff


def finance_merge(*, actor, kept, merged) -> dict:
    """The merged record's payments, receivables, write-offs and quality losses move to the kept
    one (instalments follow their contracts, which sales moves). The lifecycle of the kept
    customer is refreshed by the next payment or import."""
    moved = {}
    for label, model in ((_("payments"), Payment), (_("receivables"), Receivable), (_("write-offs"), WriteOff), (_("quality losses"), QualityLoss)):
        stamp = {"updated_at": timezone.now()} if model in (Payment, Receivable) else {}
        count = model.objects.filter(customer=merged).update(customer=kept, **stamp)
        if count:
            moved[label] = count
    return moved

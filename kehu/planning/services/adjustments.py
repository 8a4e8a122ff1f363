"""A manager's adjustment of a rep's forecast (issue 11): its own record with a note, shown
beside the rep's number in the roll-up, never over it; the submission is never changed."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.core.audit import audit_record
from kehu.core.models import AuditEvent
from kehu.core.money import CENT, MoneyError, to_decimal, within_money_bound
from kehu.planning.errors import PlanningError
from kehu.planning.models import ForecastAdjustment, ForecastSubmission
from kehu.planning.permissions import can_adjust_forecast

NOTE_MAX = 500


def _amount(value, *, label: str):
    try:
        amount = to_decimal(value)
    except (MoneyError, ArithmeticError, ValueError, TypeError):
        raise PlanningError(_("%(field)s: enter an amount.") % {"field": label}, code="amount") from None
    if amount < 0:
        raise PlanningError(_("%(field)s cannot be negative.") % {"field": label}, code="amount")
    if not within_money_bound(amount) or amount != amount.quantize(CENT):
        raise PlanningError(_("%(field)s: enter an amount with at most 2 decimals, at most 9,999,999,999.99.") % {"field": label},
                            code="amount")
    return amount.quantize(CENT)


def forecast_adjust(*, actor, submission: ForecastSubmission, commit, best_case=None, note: str) -> ForecastAdjustment:
    """The manager's own commit (and best case) for the rep's `submission`, with the reason.

    Who may: `can_adjust_forecast` (the managers of the rep's team, the director; never one's
    own number; finance never). The note is required. Only the rep's latest submission for the
    period can be adjusted (an older one no longer counts: the roll-up moved on). Audited."""
    if not can_adjust_forecast(actor, submission.user):
        raise PermissionDenied
    note = (note or "").strip()
    if not note:
        raise PlanningError(_("Write why you adjust this number."), code="note")
    if len(note) > NOTE_MAX:
        raise PlanningError(_("The note is at most %(max)s characters.") % {"max": NOTE_MAX}, code="note")
    commit = _amount(commit, label=_("Adjusted commit"))
    best_case = None if best_case in (None, "") else _amount(best_case, label=_("Adjusted best case"))
    if best_case is not None and best_case < commit:
        raise PlanningError(_("The best case cannot be below the commit."), code="best_below_commit")
    with transaction.atomic():
        latest = (ForecastSubmission.objects.filter(user_id=submission.user_id, period=submission.period)
                  .order_by("-submitted_on", "-recorded_at", "-id").values_list("pk", flat=True).first())
        if latest != submission.pk:
            raise PlanningError(_("The rep has a newer forecast for this period; open the roll-up again and adjust that one."),
                                code="stale")
        adjustment = ForecastAdjustment.objects.create(submission=submission, commit=commit, best_case=best_case, note=note,
                                                       created_by=actor)
        changes = {"submission": [None, submission.pk], "commit": [None, str(commit)]}
        if best_case is not None:
            changes["best_case"] = [None, str(best_case)]
        audit_record(actor=actor, verb=AuditEvent.Verb.CREATE, obj=adjustment, changes=changes, note=note)
    return adjustment

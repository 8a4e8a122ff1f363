"""Writes of targets (DOMAIN.md §7): one target set, a whole grid of reps' months saved at once,
an annual amount spread evenly, by last year's shape or by typed weights.

Who may: `kehu.planning.permissions.can_set_target` (the director any, a manager the reps of the
teams they manage), checked here. Every change writes an audit event. A grid is all-or-nothing.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kehu.core.audit import audit_record
from kehu.core.models import AuditEvent
from kehu.core.money import MoneyError, quantize_cents, to_decimal, within_money_bound
from kehu.planning.breakdown import weights_problem
from kehu.planning.errors import PlanningError
from kehu.planning.models import Measure, Target
from kehu.planning.permissions import can_set_target

YEAR_MIN, YEAR_MAX = 2000, 2099
HOWS = ("even", "last_year", "weights")
# Weights have at most 4 decimals, as targets.csv (m1 … m12) accepts them.
WEIGHT_QUANTUM = Decimal("0.0001")


class TargetGridError(PlanningError):
    """Some rows of a grid could not be saved (nothing was): `problems` = [(row label, message)]."""

    def __init__(self, problems):
        super().__init__("; ".join(f"{label}: {message}" for label, message in problems))
        self.problems = problems


def clean_year(year) -> int:
    try:
        value = int(str(year).strip())
    except (TypeError, ValueError):
        value = 0
    if not YEAR_MIN <= value <= YEAR_MAX:
        raise PlanningError(_("Enter a year from %(low)d to %(high)d.") % {"low": YEAR_MIN, "high": YEAR_MAX})
    return value


def clean_measure(measure) -> str:
    if measure not in Measure.values:
        raise PlanningError(_("Unknown measure “%(value)s”.") % {"value": measure})
    return measure


def clean_amount(amount) -> Decimal:
    try:
        value = to_decimal(amount) if not isinstance(amount, Decimal) else amount
    except (MoneyError, InvalidOperation, TypeError, ValueError):
        value = None
    if value is None or not value.is_finite():
        raise PlanningError(_("Enter the target as an amount such as 1200000.00."))
    if value < 0:
        raise PlanningError(_("A target cannot be negative."))
    if not within_money_bound(value):
        raise PlanningError(_("The target is too large."))
    if value != quantize_cents(value):
        raise PlanningError(_("A target has at most two decimals."))
    return quantize_cents(value)


def clean_weights(weights) -> list[str]:
    """Twelve weights as decimal strings ("" = empty); all empty = even. Refuses text, more than
    4 decimals (targets.csv's limit: what is typed here exports and imports back unchanged),
    negative weights, weights that are all zero and more than twelve values."""
    values = list(weights or [])
    if len(values) > 12:
        raise PlanningError(_("Give at most twelve monthly weights."))
    values += [""] * (12 - len(values))
    cleaned = []
    for value in values:
        text = "" if value is None else str(value).strip()
        if text == "":
            cleaned.append("")
            continue
        try:
            number = to_decimal(text)
        except (MoneyError, InvalidOperation, TypeError, ValueError):
            number = None
        if number is None or not number.is_finite() or not within_money_bound(number):
            raise PlanningError(_("“%(value)s” is not a weight: enter a number such as 8 or 12.5.") % {"value": text})
        if number != number.quantize(WEIGHT_QUANTUM):
            # targets.csv takes at most 4 decimals: a weight typed here must go through it unchanged.
            raise PlanningError(_("“%(value)s” has more than 4 decimals: a monthly weight has at most 4.") % {"value": text[:40]})
        cleaned.append(format(number.normalize(), "f"))
    problem = weights_problem(cleaned)
    if problem == "negative":
        raise PlanningError(_("A monthly weight cannot be negative."))
    if problem == "zero":
        raise PlanningError(_("The monthly weights are all zero: leave them all empty for an even split."))
    return cleaned


def _who(scope, team, user):
    if scope == Target.Scope.COMPANY:
        return None, None
    if scope == Target.Scope.TEAM:
        if team is None:
            raise PlanningError(_("Choose the team."))
        return team, None
    if scope == Target.Scope.USER:
        if user is None:
            raise PlanningError(_("Choose the rep."))
        return None, user
    raise PlanningError(_("Unknown scope “%(value)s”: use company, team or user.") % {"value": scope})


def target_set(*, actor, scope: str, year, measure: str = Measure.WON, amount, weights=None, team=None, user=None) -> Target:
    """Create or update the target of the company, a team or a rep for `year` and `measure`."""
    team, user = _who(scope, team, user)
    if not can_set_target(actor, scope=scope, team=team, rep=user):
        raise PermissionDenied
    year, measure = clean_year(year), clean_measure(measure)
    amount, weights = clean_amount(amount), clean_weights(weights)
    with transaction.atomic():
        target = (
            Target.objects.select_for_update()
            .filter(scope=scope, year=year, measure=measure, team=team, user=user)
            .first()
        )
        if target is None:
            target = Target.objects.create(scope=scope, year=year, measure=measure, team=team, user=user,
                                           amount=amount, weights=weights, updated_by=actor)
            audit_record(actor=actor, verb=AuditEvent.Verb.CREATE, obj=target,
                         changes={"amount": [None, str(amount)], "weights": [None, weights]})
            return target
        changes = {}
        if target.amount != amount:
            changes["amount"] = [str(target.amount), str(amount)]
        if list(target.weights or [""] * 12) != weights:
            changes["weights"] = [target.weights, weights]
        if changes:
            target.amount, target.weights, target.updated_by = amount, weights, actor
            target.save(update_fields=["amount", "weights", "updated_by", "updated_at"])
            audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, obj=target, changes=changes)
        return target


def _row_label(row) -> str:
    who = row.get("user") or row.get("team")
    return str(who) if who is not None else str(pgettext("targets", "Company"))


def targets_grid_save(*, actor, year, measure: str, rows) -> list[Target]:
    """Save many rows of the grid at once, all or nothing. A row: {"scope", "team", "user",
    "months": twelve amounts ("" = 0)}; typed months make the weights the monthly amounts and
    the annual amount their sum. A row whose months are all empty is left as it is. Raises
    `TargetGridError` listing every bad row; then nothing is written."""
    year, measure = clean_year(year), clean_measure(measure)
    problems, saved = [], []
    with transaction.atomic():
        for row in rows:
            months = list(row.get("months") or [])
            if all(str(m if m is not None else "").strip() == "" for m in months):
                continue
            try:
                if len(months) > 12:
                    raise PlanningError(_("Give at most twelve monthly weights."))
                amounts = []
                for month, typed in enumerate(months, start=1):
                    if not str(typed if typed is not None else "").strip():
                        amounts.append(Decimal("0.00"))
                        continue
                    try:
                        amounts.append(clean_amount(typed))
                    except PlanningError as exc:
                        raise PlanningError(_("Month %(month)d: %(reason)s") % {"month": month, "reason": exc.message}) from None
                total = sum(amounts, Decimal("0.00"))
                if total == 0:
                    weights = []  # all zero: a zero target, spread evenly
                else:
                    weights = [str(a) for a in amounts]
                saved.append(target_set(actor=actor, scope=row.get("scope", Target.Scope.USER), year=year, measure=measure,
                                        amount=total, weights=weights, team=row.get("team"), user=row.get("user")))
            except PlanningError as exc:
                problems.append((_row_label(row), exc.message))
            except PermissionDenied:
                problems.append((_row_label(row), _("You may not set this target.")))
        if problems:
            raise TargetGridError(problems)
    return saved


def scope_rep_ids(*, scope: str, team=None, user=None) -> list[int] | None:
    """The reps whose last year shapes a scope's target: the rep, the team's members, everyone
    (None) for the company."""
    if scope == Target.Scope.USER:
        return [user.pk]
    if scope == Target.Scope.TEAM:
        return list(team.members.values_list("pk", flat=True))
    return None


def target_spread(*, actor, year, measure: str, scope: str, team=None, user=None, amount, how: str = "even", weights=None) -> Target:
    """Set an annual `amount` spread evenly (`how="even"`), by last year's monthly won amounts
    or collections of the scope's reps (`"last_year"`; none at all = even), or by typed
    `weights` (`"weights"`)."""
    if how not in HOWS:
        raise PlanningError(_("Unknown way to spread “%(value)s”.") % {"value": how})
    year, measure = clean_year(year), clean_measure(measure)
    if how == "even":
        weights = []
    elif how == "last_year":
        from kehu.planning.selectors.targets import last_year_weights

        _who(scope, team, user)
        shape = last_year_weights(year=year, measure=measure, user_ids=scope_rep_ids(scope=scope, team=team, user=user))
        weights = [] if len(set(shape)) == 1 else [str(w) for w in shape]
    elif not weights or all(str(w if w is not None else "").strip() == "" for w in weights):
        raise PlanningError(_("Type the twelve monthly weights."))
    return target_set(actor=actor, scope=scope, year=year, measure=measure, amount=amount, weights=weights, team=team, user=user)

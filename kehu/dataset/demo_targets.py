"""The demo's targets: this year's (timezone.localdate()) won-amount and collections targets of
each rep and team, spread by last year's shape, and the company's own — each one only when it
does not exist yet (the example already brings the company's and rep1's 2026 won targets)."""

from decimal import ROUND_HALF_UP, Decimal


def _rounded(amount: Decimal) -> Decimal:
    """Last year's actual grown by a fifth, to the ten thousand; 1,000,000 when there was none."""
    if amount <= 0:
        return Decimal("1000000.00")
    return (amount * Decimal("1.2") / 10000).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 10000


def _demo_targets() -> None:
    from django.utils import timezone

    from kehu.accounts.models import Team, User
    from kehu.planning.models import Measure, Target
    from kehu.planning.selectors.targets import last_year_weights
    from kehu.planning.services.targets import target_spread

    boss = User.objects.filter(username="boss").first()
    if boss is None:
        return
    year = timezone.localdate().year
    existing = {(t.scope, t.team_id, t.user_id, t.measure) for t in Target.objects.filter(year=year)}
    reps = list(User.objects.filter(role=User.Role.REP, is_active=True).order_by("username"))
    for measure in (Measure.WON, Measure.COLLECTIONS):
        amounts: dict[int, Decimal] = {}
        for rep in reps:
            key = (Target.Scope.USER, None, rep.pk, measure)
            if key in existing:
                amounts[rep.pk] = Target.objects.get(scope=Target.Scope.USER, user=rep, year=year, measure=measure).amount
                continue
            shape = last_year_weights(year=year, measure=measure, user_ids=[rep.pk])
            last_year = sum(shape) if len(set(shape)) > 1 else Decimal(0)
            amounts[rep.pk] = _rounded(last_year)
            target_spread(actor=boss, year=year, measure=measure, scope=Target.Scope.USER, user=rep, amount=amounts[rep.pk], how="last_year")
        team_total = Decimal(0)
        for team in Team.objects.order_by("name"):
            members = [amounts[r.pk] for r in reps if r.team_id == team.pk]
            if not members:
                continue
            amount = sum(members, Decimal(0))
            team_total += amount
            if (Target.Scope.TEAM, team.pk, None, measure) not in existing:
                target_spread(actor=boss, year=year, measure=measure, scope=Target.Scope.TEAM, team=team, amount=amount, how="last_year")
        if (Target.Scope.COMPANY, None, None, measure) not in existing:
            amount = max(team_total, sum(amounts.values(), Decimal(0)))
            target_spread(actor=boss, year=year, measure=measure, scope=Target.Scope.COMPANY, amount=amount, how="last_year")

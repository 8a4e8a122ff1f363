"""What the planning app plugs into the layers below it (docs/architecture.md): the steps of
`kehu daily` (the forecast reminder the day before the cut-off, carrying a skipped week's
number forward)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy

CARRY_KEY = "forecast_carry_forward"
REMIND_KEY = "forecast_reminders"


def daily_carry_forward(*, now) -> int:
    from kehu.planning.services.forecasts import forecast_carry_forward

    return forecast_carry_forward(today=timezone.localdate(now))


def daily_remind(*, now) -> int:
    from kehu.planning.services.forecasts import forecast_remind

    return forecast_remind(today=timezone.localdate(now))


def register() -> None:
    from kehu.core.hooks import DailyStep, daily_step_register

    # Carry forward before the reminders (an order among the reminders, 50…), before the digest (90).
    daily_step_register(DailyStep(CARRY_KEY, gettext_lazy("Forecasts carried forward"), daily_carry_forward, order=55))
    daily_step_register(DailyStep(REMIND_KEY, gettext_lazy("Forecast reminders"), daily_remind, order=56))

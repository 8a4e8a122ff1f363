"""The evaluation models of DOMAIN.md §5.0–§5.3 as pure functions: no database, no Django.

`kehu.ranking.facts.load_facts(as_of, months)` reads what a run needs (the only part that runs
queries) into `Facts`; the models here turn the facts into the result list of
`kehu evaluate --json` (DATASET.md):

- `windows.py`   the window W and the previous window W′ of §5.0;
- `inputs.py`    `CustomerFacts` / `Facts`: what a run knows of each customer;
- `numbers.py`   exact arithmetic: the §5.0 percentile score and rounding (Fraction reference),
                 and the integer versions the models use at 100,000 customers;
- `evaluations.py` the pyramid (§5.1), value (§5.2) and key-account (§5.3) models, their
                 default parameters, and `MODELS`.

Arithmetic is exact: amounts are Decimals (integer cents inside), ratios and scores exact
rationals, rounded half-up only when formatted.
"""

from kehu.ranking.scoring.evaluations import (  # noqa: F401
    DEFAULTS,
    KEY_ACCOUNT_DEFAULTS,
    MODELS,
    PYRAMID_DEFAULTS,
    VALUE_DEFAULTS,
    key_account,
    pyramid,
    pyramid_summary,
    value,
)
from kehu.ranking.scoring.inputs import CustomerFacts, Facts  # noqa: F401
from kehu.ranking.scoring.numbers import (  # noqa: F401
    cents,
    money,
    number,
    percentile_fractions,
    percentile_scores,
    rating,
    round_half_up,
)
from kehu.ranking.scoring.windows import previous_window, window  # noqa: F401

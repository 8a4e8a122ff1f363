"""Writes of finance, a module per entity: payments (recording and applying), contracts and
their payment plans, sales orders, credit control, write-offs. Views, the API, the importer
and commands all call these; each checks its own rule (kehu.finance.permissions) inside."""

from kehu.finance.errors import FinanceError, OverpaymentError  # noqa: F401
from kehu.finance.permissions import (  # noqa: F401
    can_record_payment,
    can_write_off,
)
from kehu.finance.services.contracts import (  # noqa: F401
    CONTRACT_QUOTE_STATUSES,
    check_payment_term,
    contract_create,
    contract_plan_set,
    next_contract_code,
    plan_rows,
    plan_seen_values,
    plan_text,
    split_evenly,
)
from kehu.finance.services.credit import CreditReason, CreditUse, credit_check, credit_use, reason_text  # noqa: F401
from kehu.finance.services.merge import finance_merge  # noqa: F401
from kehu.finance.services.orders import (  # noqa: F401
    KIND_BLOCKED,
    KIND_RELEASED,
    clean_lines,
    next_order_code,
    order_confirm,
    order_create,
    order_release,
    order_ship,
    order_total,
    order_url,
    receivable_due_on,
)
from kehu.finance.services.payments import apply_in_memory, contracts_reapply, payment_record, payment_reverse  # noqa: F401
from kehu.finance.services.writeoffs import writeoff_record  # noqa: F401

"""Who may act on finance records (`can_<verb>_<entity>`). The services check them; views and
templates only use them to show or hide a button. Seeing a record is `visible_to`'s business
(kehu.accounts.visibility), not this module's: these answer for records the user already sees."""

from kehu.customers.permissions import can_edit_credit, can_edit_customer
from kehu.accounts.visibility import managed_user_ids


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


# --- contracts and payment plans ----------------------------------------------------------------

def can_create_contract(user, customer) -> bool:
    """Whoever may edit the customer's sales data: the owner rep, the managers of the owner's
    team, admins; never finance."""
    return can_edit_customer(user, customer)


def can_approve_terms(user, customer) -> bool:
    """Who may agree a payment term beyond the customer's policy without a quote: the rule of
    `kehu.sales.permissions.can_decide_quote` for the customer's owner (a manager of the owner's team
    or an admin; never the owner)."""
    if not _active(user) or user.pk == customer.owner_id:
        return False
    if user.is_admin_role:
        return True
    return bool(user.is_manager and customer.owner_id and customer.owner_id in managed_user_ids(user))


def can_edit_plan(user, contract) -> bool:
    """The rule of `contract_plan_set`: finance, admins, managers of the owner's team."""
    return can_record_payment(user, contract.customer)


# --- payments and receivables -------------------------------------------------------------------

def can_record_payment(user, customer) -> bool:
    """Finance, administrators and the managers of the customer's owner record payments;
    reps do not (money received is confirmed by finance, DOMAIN.md §4)."""
    return can_edit_credit(user, customer)


def can_record_any_payment(user) -> bool:
    """Whether the user records payments at all (finance, administrators, managers; reps never):
    the API refuses a rep's payment with 403 before reading it; `can_record_payment` then decides
    for the customer."""
    return _active(user) and (user.is_finance or user.is_admin_role or user.is_manager)


def can_reverse_payment(user, payment) -> bool:
    """Reversing a payment (红冲) takes money off the books: finance and administrators only,
    like a write-off (not managers, not reps)."""
    return _active(user) and (user.is_finance or user.is_admin_role)


def can_write_off(user) -> bool:
    """Bad-debt write-offs: finance and administrators only (not managers, not reps)."""
    return _active(user) and (user.is_finance or user.is_admin_role)


# --- orders and credit control ------------------------------------------------------------------

def can_create_order(user, customer) -> bool:
    return can_edit_customer(user, customer)


def can_edit_order(user, order) -> bool:
    """Confirm and ship: whoever may edit the customer's sales data."""
    return can_edit_customer(user, order.customer)


def can_release_order(user, order) -> bool:
    """Release an order held by credit control: finance, administrators and the managers of the
    owner's team; never reps."""
    return can_edit_credit(user, order.customer)

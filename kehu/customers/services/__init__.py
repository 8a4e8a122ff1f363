"""Writes on customers and contacts. Views, the API, the importer and commands all call these."""

from kehu.customers.services.records import (  # noqa: F401
    DuplicateMatch,
    contact_create,
    contact_delete,
    contact_update,
    customer_create,
    customer_delete,
    customer_derive_fields,
    customer_find_duplicates,
    customer_restore,
    customer_set_stage,
    customers_set_derived_stage,
    tags_from_names,
    customer_update,
    next_customer_code,
)
from kehu.customers.services.merge import customer_merge  # noqa: F401
from kehu.customers.services.pool import (  # noqa: F401
    customer_claim,
    customer_release,
    pool_run_returns,
    pool_run_warnings,
)
from kehu.customers.services.handover import customer_handover  # noqa: F401

"""The file importers, one per file of DATASET.md, run in DATASET_FILES order.

A later issue adds a file by writing an `Importer` subclass in this package and
registering it below; a file of the format without an importer is reported as a notice
("not imported yet by this version"), never as an error.
"""

from kehu.dataset.files import DATASET_FILES
from kehu.dataset.importers.base import Importer

REGISTRY: dict[str, type[Importer]] = {}


def register(importer: type[Importer]) -> type[Importer]:
    assert importer.file in DATASET_FILES, f"{importer.file} is not a file of DATASET.md"
    REGISTRY[importer.file] = importer
    return importer


def importers_in_order() -> list[type[Importer]]:
    return [REGISTRY[name] for name in DATASET_FILES if name in REGISTRY]


from kehu.dataset.importers.activities import ActivityImporter  # noqa: E402
from kehu.dataset.importers.contacts import ContactImporter  # noqa: E402
from kehu.dataset.importers.customers import CustomerImporter  # noqa: E402
from kehu.dataset.importers.products import ProductImporter  # noqa: E402
from kehu.dataset.importers.users import UserImporter  # noqa: E402

for _importer in (UserImporter, CustomerImporter, ContactImporter, ProductImporter, ActivityImporter):
    register(_importer)

from kehu.dataset.importers.contracts import ContractImporter  # noqa: E402
from kehu.dataset.importers.opportunities import OpportunityImporter  # noqa: E402
from kehu.dataset.importers.orders import OrderImporter, OrderLineImporter  # noqa: E402

for _importer in (OpportunityImporter, OrderImporter, OrderLineImporter, ContractImporter):
    register(_importer)

from kehu.dataset.importers.instalments import InstalmentImporter  # noqa: E402
from kehu.dataset.importers.payments import PaymentImporter  # noqa: E402
from kehu.dataset.importers.quality_losses import QualityLossImporter  # noqa: E402

for _importer in (InstalmentImporter, PaymentImporter, QualityLossImporter):
    register(_importer)

from kehu.dataset.importers.targets import TargetImporter  # noqa: E402

register(TargetImporter)

from kehu.dataset.importers.forecasts import ForecastImporter  # noqa: E402

register(ForecastImporter)

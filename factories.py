"""factory_boy factories for the tests: the cast in conftest.py is built from them, and a test
that needs one more user, customer, contact or product asks a factory instead of writing the
fields out again.

    CustomerFactory(owner=rep_a)                  # a company customer with its profile, owned
    CustomerFactory(owner=None, name="精电科技")    # in the public pool
    ContactFactory(customer=customer_a, is_key=True)
    ProductFactory(list_price=Decimal("100.0000"))
"""

from decimal import Decimal

import factory
from django.utils import timezone

PASSWORD = "kehu-test-pass-1"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.Team"

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    """A user with the tests' password; `role` rep, manager, finance or admin."""

    class Meta:
        model = "accounts.User"
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.LazyAttribute(lambda o: o.username)
    role = "rep"
    team = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.create_user(*args, password=PASSWORD, **kwargs)


class CustomerFactory(factory.django.DjangoModelFactory):
    """A customer as the services would create it: derived fields (pinyin, normalised phone)
    filled, a company profile, and the owner's clocks started when it has an owner."""

    class Meta:
        model = "customers.Customer"

    code = factory.Sequence(lambda n: f"F{n:05d}")
    name = factory.Sequence(lambda n: f"测试客户{n}有限公司")
    owner = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from kehu.customers.models import CompanyProfile, PersonProfile
        from kehu.customers.services import customer_derive_fields

        customer = model_class(*args, **kwargs)
        customer_derive_fields(customer)
        if customer.owner_id is not None:
            customer.owned_since = customer.pool_clock_at = timezone.now()
        customer.save()
        profile = CompanyProfile if customer.kind == model_class.Kind.COMPANY else PersonProfile
        profile.objects.create(customer=customer)
        return customer


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "customers.Contact"

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"联系人{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "sales.Product"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"P{n}")
    name = factory.Sequence(lambda n: f"Product {n}")
    list_price = Decimal("100.0000")
    unit_cost = Decimal("60.0000")

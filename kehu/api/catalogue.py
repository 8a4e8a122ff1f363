"""Products, users and teams, read (issue 14, engineer apiact).

- /api/products/: the product catalogue every signed-in user picks from on the quote and
  order forms (code, name, category, list price, unit cost, currency, active). Products are
  changed in the admin only (kehu.sales.admin.ProductAdmin), so the API reads them.
- /api/users/: the people a user's owner filters and handover forms offer
  (`accounts.visibility.visible_users`): a rep themselves, a manager the members of their
  teams, finance and admins every active user. Anyone else is 404.
- /api/teams/: finance and admins every team; a manager the teams they manage and their own;
  a rep their own team.
"""

from django.db.models import Prefetch, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from kehu.accounts.models import Team, User
from kehu.accounts.visibility import sees_all, visible_users
from kehu.api import filters
from kehu.api.scoped import ScopedReads
from kehu.api.selling_serializers import decimal_field
from kehu.api.serializers import OwnerSerializer
from kehu.api.strings import StrictCharField
from kehu.api.views import ERRORS
from kehu.core.money import CURRENCIES
from kehu.sales.models import Product

# --- serializers ---------------------------------------------------------------------------------


class ProductSerializer(serializers.ModelSerializer):
    list_price = decimal_field(4, read_only=True, help_text=_("Exact, 4 decimals, in the product's currency."))
    unit_cost = decimal_field(4, read_only=True, help_text=_("Exact, 4 decimals, in the product's currency."))
    currency = serializers.ChoiceField(choices=CURRENCIES, read_only=True)

    class Meta:
        model = Product
        fields = ["id", "code", "name", "category", "list_price", "unit_cost", "currency", "is_active", "created_at", "updated_at"]
        read_only_fields = fields


class UserSerializer(serializers.ModelSerializer):
    team = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = ["id", "username", "name", "role", "team", "is_active"]
        read_only_fields = fields


class TeamSerializer(serializers.ModelSerializer):
    managers = OwnerSerializer(many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "managers"]
        read_only_fields = fields


class ProductFilter(filters.ListFilter):
    """The product list's parameters, besides updated_since and ordering."""

    q = StrictCharField(required=False, allow_blank=True, max_length=100, help_text=_("Code or name."))
    category = StrictCharField(required=False, allow_blank=True, max_length=100)
    active = serializers.ChoiceField(choices=["1", "0"], required=False, help_text=_("1: products on sale; 0: retired ones."))


class OrderingFilter(serializers.Serializer):
    """Users and teams have no updated_at (no updated_since); their lists are short."""

    ordering = serializers.ChoiceField(choices=[], required=False)

    def __init__(self, *args, orderings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ordering"].choices = [n for key in orderings for n in (key, f"-{key}")]
        self.fields["ordering"].help_text = _("The order of the list (a leading - for descending).")


class UserFilter(OrderingFilter):
    role = serializers.ChoiceField(choices=User.Role.values, required=False)
    team = filters.id_field(_("Only the members of this team (its id)."))


# --- views ---------------------------------------------------------------------------------------


class ReadViewSet(ScopedReads):
    def scoped(self):
        raise NotImplementedError

    def get_queryset(self):
        return self.scoped()


@extend_schema_view(
    list=extend_schema(summary="Products (the catalogue of the quote and order forms)"),
    retrieve=extend_schema(summary="A product", responses={200: ProductSerializer, 404: ERRORS[404]}),
)
class ProductViewSet(ReadViewSet):
    serializer_class = ProductSerializer
    filter_class = ProductFilter
    orderings = {"code": ["code"], "name": ["name"], "updated_at": ["updated_at"]}

    def scoped(self):
        if not self.request.user.is_active:
            return Product.objects.none()
        return Product.objects.order_by("code", "id")

    def apply_filters(self, qs, data):
        if data.get("q"):
            qs = qs.filter(Q(code__icontains=data["q"]) | Q(name__icontains=data["q"]))
        if data.get("category"):
            qs = qs.filter(category=data["category"])
        if data.get("active") in ("0", "1"):
            qs = qs.filter(is_active=data["active"] == "1")
        return qs


@extend_schema_view(
    list=extend_schema(summary="The people you may see (yourself; a manager their teams; finance and admins everyone active)"),
    retrieve=extend_schema(summary="A user you may see", responses={200: UserSerializer, 404: ERRORS[404]}),
)
class UserViewSet(ReadViewSet):
    serializer_class = UserSerializer
    filter_class = UserFilter
    orderings = {"username": ["username"], "name": ["name"]}

    def scoped(self):
        return visible_users(self.request.user).order_by("username", "id")

    def apply_filters(self, qs, data):
        if data.get("role"):
            qs = qs.filter(role=data["role"])
        if data.get("team") is not None:
            qs = qs.filter(team_id=data["team"])
        return qs


@extend_schema_view(
    list=extend_schema(summary="The teams you may see (your own; a manager the teams they manage; finance and admins all)"),
    retrieve=extend_schema(summary="A team you may see", responses={200: TeamSerializer, 404: ERRORS[404]}),
)
class TeamViewSet(ReadViewSet):
    serializer_class = TeamSerializer
    filter_class = OrderingFilter
    orderings = {"name": ["name"]}

    def scoped(self):
        user = self.request.user
        qs = Team.objects.prefetch_related(Prefetch("managers", queryset=User.objects.order_by("username", "id"))).order_by("name", "id")
        if not user.is_active:
            return qs.none()
        if sees_all(user):
            return qs
        return qs.filter(Q(pk=user.team_id) | Q(managers=user)).distinct()

"""Customers, contacts, profiles and the data card (DOMAIN.md §2), pool and handover records (§1)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.core.fields import MoneyField
from kehu.core.models import TimeStampedModel
from kehu.customers.querysets import ContactQuerySet, CustomerQuerySet, CustomerScopedQuerySet


class BuyingFactor(models.TextChoices):
    """The factors a customer buys on (002: value, price and relationship decide; innovation for
    the partners who buy novelty), ranked first and second on a customer and on an opportunity.
    Defined here (customers is below sales) and used by both: `Opportunity.BuyingFactor` is this."""

    VALUE = "value", _("Value")
    PRICE = "price", _("Price")
    RELATIONSHIP = "relationship", _("Relationship")
    INNOVATION = "innovation", _("Innovation")


def buying_factors_q(first: str = "buying_factor", second: str = "buying_factor_second") -> models.Q:
    """The rule of a ranked pair (a CheckConstraint on Customer and Opportunity): a second factor
    only after a first one, and never the same as the first."""
    return models.Q(**{second: ""}) | (~models.Q(**{first: ""}) & ~models.Q(**{second: models.F(first)}))


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Customer(TimeStampedModel):
    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        PERSON = "person", _("Person")

    class Stage(models.TextChoices):
        TARGET = "target", _("Target")
        PROSPECT = "prospect", _("Prospect")
        QUALIFIED = "qualified", _("Qualified")
        SIGNED = "signed", _("Signed")
        VIP = "vip", _("VIP")

    class PyramidTier(models.TextChoices):  # DOMAIN.md §5.1, best first
        IMPORTANT = "important", pgettext_lazy("pyramid tier", "Important")
        MAJOR = "major", pgettext_lazy("pyramid tier", "Major")
        ORDINARY = "ordinary", pgettext_lazy("pyramid tier", "Ordinary")
        SMALL = "small", pgettext_lazy("pyramid tier", "Small")

    class ValueClass(models.TextChoices):  # DOMAIN.md §5.2, best first; then the prospects' two
        DIAMOND = "diamond", pgettext_lazy("value class", "Diamond")
        STRATEGIC = "strategic", pgettext_lazy("value class", "Strategic")
        POTENTIAL = "potential", pgettext_lazy("value class", "Potential")
        GENERAL = "general", pgettext_lazy("value class", "General")
        PROBLEM = "problem", pgettext_lazy("value class", "Problem")
        IMPORTANT_OPPORTUNITY = "important_opportunity", pgettext_lazy("value class", "Important opportunity")
        GENERAL_OPPORTUNITY = "general_opportunity", pgettext_lazy("value class", "General opportunity")

    class LeadSource(models.TextChoices):
        DOOR_TO_DOOR = "door_to_door", _("Door-to-door")
        CONFERENCE = "conference", _("Conference or fair")
        CLUB = "club", _("Club")
        PERSONAL_NETWORK = "personal_network", _("Personal network")
        DIRECTORY = "directory", _("Directory or data lookup")
        CONSULTANCY = "consultancy", _("Paid consultancy")
        BIRD_DOG = "bird_dog", _("Bird-dog agent")
        REFERRAL = "referral", _("Customer referral")
        CENTRE_OF_INFLUENCE = "centre_of_influence", _("Centre of influence")
        PHONE = "phone", _("Phone")
        MAIL = "mail", _("Mail")
        INTERNET = "internet", _("Internet")
        COMPETITOR = "competitor", _("Competitor win-back")
        ADVERTISING = "advertising", _("Advertising")
        OTHER = "other", _("Other")

    class FundStatus(models.TextChoices):
        ABUNDANT = "abundant", _("Abundant")
        SUFFICIENT = "sufficient", _("Sufficient")
        TIGHT = "tight", _("Tight")
        SHORT = "short", _("Short")
        DANGEROUS = "dangerous", _("Dangerous")

    class PaymentAttitude(models.TextChoices):
        PROMPT = "prompt", _("Prompt")
        NORMAL = "normal", _("Normal")
        ACCEPTABLE = "acceptable", _("Acceptable")
        DELAYED = "delayed", _("Delayed")
        DIFFICULT = "difficult", _("Difficult")
        ARREARS = "arrears", _("In arrears")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.COMPANY)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="customers", verbose_name=_("owner"),
    )
    stage = models.CharField(_("lifecycle stage"), max_length=16, choices=Stage.choices, default=Stage.TARGET)
    stage_changed_at = models.DateTimeField(_("stage changed at"), null=True, blank=True)
    lead_source = models.CharField(_("lead source"), max_length=32, choices=LeadSource.choices, blank=True)
    referrer_customer = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="referred_customers",
        verbose_name=_("referred by customer"),
    )
    referrer_contact = models.ForeignKey(
        "Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="referred_customers",
        verbose_name=_("referred by contact"),
    )
    referrer_agent = models.CharField(_("referred by agent"), max_length=100, blank=True)
    province = models.CharField(_("province"), max_length=50, blank=True, db_index=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    industry = models.CharField(_("industry"), max_length=50, blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.CharField(_("website"), max_length=200, blank=True)
    uscc = models.CharField(_("unified social credit code"), max_length=18, blank=True, db_index=True)
    influence = models.PositiveSmallIntegerField(_("industry influence (1–5)"), null=True, blank=True)
    reputation = models.PositiveSmallIntegerField(_("reputation (1–5)"), null=True, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers", verbose_name=_("tags"))
    notes = models.TextField(_("notes"), blank=True)

    # Data card (客户资料表)
    credit_limit = MoneyField(_("credit limit"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    fund_status = models.CharField(_("fund status"), max_length=16, choices=FundStatus.choices, blank=True)
    payment_attitude = models.CharField(_("payment attitude"), max_length=16, choices=PaymentAttitude.choices, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=64, blank=True)
    past_bankruptcy = models.TextField(_("past bankruptcy"), blank=True)
    past_credibility = models.TextField(_("past credibility"), blank=True)
    card_notes = models.TextField(_("data card notes"), blank=True)

    # The customer's current ranking (DOMAIN.md §5): copied from the latest run of each model by
    # kehu.ranking.services (never edited by hand); key accounts never return to the pool.
    pyramid_tier = models.CharField(_("pyramid tier"), max_length=16, choices=PyramidTier.choices, blank=True, db_index=True)
    value_class = models.CharField(_("value class"), max_length=24, choices=ValueClass.choices, blank=True, db_index=True)
    is_key_account = models.BooleanField(_("key account"), default=False, db_index=True)

    # Search helpers, derived by services.customer_derive_fields
    name_normalized = models.CharField(max_length=200, db_index=True, editable=False, default="")
    name_initials = models.CharField(max_length=200, db_index=True, editable=False, default="")
    name_pinyin = models.CharField(max_length=800, editable=False, default="")
    phone_normalized = models.CharField(max_length=50, db_index=True, editable=False, default="")

    # Pool bookkeeping
    owned_since = models.DateTimeField(_("owned since"), null=True, blank=True)
    last_followup_at = models.DateTimeField(_("last follow-up"), null=True, blank=True, db_index=True)
    pool_clock_at = models.DateTimeField(
        _("pool clock started"), null=True, blank=True, db_index=True,
        help_text=_("The later of the last follow-up and the start of the current ownership."),
    )
    previous_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("previous owner"),
    )
    returned_to_pool_at = models.DateTimeField(_("returned to pool at"), null=True, blank=True)
    return_warned_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Recycle bin and merges
    is_deleted = models.BooleanField(_("in recycle bin"), default=False, db_index=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("deleted by"),
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from",
        verbose_name=_("merged into"),
    )

    # The buying factors (002), ranked: first and second (blank: not known).
    buying_factor = models.CharField(_("primary buying factor"), max_length=16, choices=BuyingFactor.choices, blank=True)
    buying_factor_second = models.CharField(_("second buying factor"), max_length=16, choices=BuyingFactor.choices, blank=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["owner", "is_deleted", "-created_at"]),
            # Who may see a customer, read without its (wide) row: scoped joins from opportunities etc.
            models.Index(fields=["id", "is_deleted", "owner"], name="customer_scope_idx"),
            # The list's default order (newest first, then id) read straight from the index: no
            # sort even when many customers share a created_at (an import, a seed).
            models.Index(fields=["is_deleted", "-created_at", "-id"], name="customer_list_order_idx"),
            # The funnel's customers per stage today (the director's: every live customer) counted
            # in stage order from this index alone — a group aggregate, no hash of 100,000 rows.
            models.Index(fields=["stage", "is_deleted"], name="customer_stage_live_idx"),
            models.Index(fields=["lead_source"]),
            # The buying-factors report: its one grouped query reads this index only.
            models.Index(fields=["pyramid_tier", "value_class", "industry", "buying_factor", "buying_factor_second",
                                 "is_deleted", "owner"], name="customer_factors_idx"),
            # The lead-sources report: its per-source counts read one of these only — the
            # director's scans the first in source order, a manager's or a rep's seeks its owners.
            models.Index(fields=["lead_source", "stage", "pyramid_tier", "value_class", "is_deleted", "owner", "created_at"],
                         name="customer_sources_idx"),
            models.Index(fields=["owner", "lead_source", "stage", "pyramid_tier", "value_class", "is_deleted", "created_at"],
                         name="customer_sources_owner_idx"),
            # … and the few customers somebody referred (its referrers table), found here.
            models.Index(fields=["owner", "is_deleted", "referrer_customer", "referrer_contact", "referrer_agent", "lead_source", "stage",
                                 "pyramid_tier", "value_class", "created_at"], name="customer_referred_idx",
                         condition=models.Q(referrer_customer__isnull=False) | models.Q(referrer_contact__isnull=False)
                         | ~models.Q(referrer_agent="")),
            # Rep activity's new customers (created in the period, per owner, neither in the recycle
            # bin nor merged away): counted from this index alone on both databases.
            models.Index(fields=["owner", "created_at"], name="customer_new_idx",
                         condition=models.Q(is_deleted=False, merged_into__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(influence__isnull=True) | models.Q(influence__gte=1, influence__lte=5),
                name="customer_influence_1_5",
            ),
            models.CheckConstraint(
                condition=models.Q(reputation__isnull=True) | models.Q(reputation__gte=1, reputation__lte=5),
                name="customer_reputation_1_5",
            ),
            models.CheckConstraint(condition=buying_factors_q(), name="customer_buying_factors_ranked"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def in_pool(self) -> bool:
        return self.owner_id is None


class PersonFields(models.Model):
    """The person profile sections (001), shared by person customers and contacts."""

    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    native_place = models.CharField(_("native place"), max_length=100, blank=True)
    id_number = models.CharField(_("ID number"), max_length=32, blank=True)
    home_address = models.CharField(_("home address"), max_length=255, blank=True)
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    education = models.TextField(_("education"), blank=True)
    career = models.TextField(_("career"), blank=True)
    family = models.TextField(_("family"), blank=True)
    lifestyle = models.TextField(_("lifestyle"), blank=True)
    personality = models.TextField(_("personality"), blank=True)
    relationships = models.TextField(_("relationships"), blank=True)

    class Meta:
        abstract = True


class CompanyProfile(models.Model):
    """The company profile sections (001): basic, characteristics, business and trading status."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="company_profile")
    # basic
    founded_on = models.DateField(_("founded"), null=True, blank=True)
    organisation_form = models.CharField(_("organisation form"), max_length=100, blank=True)
    business_type = models.CharField(_("business type"), max_length=100, blank=True)
    registered_capital = MoneyField(_("registered capital"), null=True, blank=True)
    total_assets = MoneyField(_("total assets"), null=True, blank=True)
    # characteristics
    size = models.CharField(_("size"), max_length=100, blank=True)
    service_area = models.CharField(_("service area"), max_length=200, blank=True)
    business_philosophy = models.TextField(_("business philosophy"), blank=True)
    direction = models.TextField(_("business direction"), blank=True)
    image = models.TextField(_("image"), blank=True)
    standing = models.TextField(_("reputation in the market"), blank=True)
    # business status
    sales_capability = models.TextField(_("sales capability"), blank=True)
    business_results = models.TextField(_("business results"), blank=True)
    potential = models.TextField(_("potential"), blank=True)
    problems = models.TextField(_("problems"), blank=True)
    plans = models.TextField(_("plans"), blank=True)
    # trading status
    trading_terms = models.TextField(_("trading terms"), blank=True)
    credit_standing = models.TextField(_("credit standing"), blank=True)
    credit_problems = models.TextField(_("past credit problems"), blank=True)
    relationship = models.TextField(_("relationship with us"), blank=True)
    attitude = models.TextField(_("attitude towards us"), blank=True)

    class Meta:
        verbose_name = _("company profile")
        verbose_name_plural = _("company profiles")

    SECTIONS = [
        (_("Basic"), ["founded_on", "organisation_form", "business_type", "registered_capital", "total_assets"]),
        (_("Characteristics"), ["size", "service_area", "business_philosophy", "direction", "image", "standing"]),
        (_("Business status"), ["sales_capability", "business_results", "potential", "problems", "plans"]),
        (_("Trading status"), ["trading_terms", "credit_standing", "credit_problems", "relationship", "attitude"]),
    ]


class PersonProfile(PersonFields):
    """The person profile of a person customer (个人客户)."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="person_profile")
    title = models.CharField(_("title"), max_length=100, blank=True)
    mobile = models.CharField(_("mobile"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("person profile")
        verbose_name_plural = _("person profiles")

    SECTIONS = [
        (_("Basic"), ["gender", "birth_date", "native_place", "id_number", "home_address", "mobile", "employer", "title"]),
        (_("Background"), ["education", "career", "family"]),
        (pgettext_lazy("profile section", "Person"), ["lifestyle", "personality", "relationships"]),
    ]


class Contact(TimeStampedModel, PersonFields):
    class DecisionRole(models.TextChoices):
        DECISION_MAKER = "decision_maker", _("Decision maker")
        INFLUENCER = "influencer", _("Influencer")
        USER = "user", _("User")
        GATEKEEPER = "gatekeeper", _("Technical gatekeeper")
        BUYER = "buyer", _("Buyer")

    class PrincipalRole(models.TextChoices):
        OWNER = "owner", _("Owner")
        MANAGER = "manager", _("Manager")
        LEGAL_REPRESENTATIVE = "legal_representative", _("Legal representative")
        ACTUAL_CONTROLLER = "actual_controller", _("Actual controller")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer"))
    name = models.CharField(pgettext_lazy("person", "name"), max_length=100)
    title = models.CharField(_("title"), max_length=100, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    decision_role = models.CharField(_("decision role"), max_length=20, choices=DecisionRole.choices, blank=True)
    principal_role = models.CharField(_("principal role"), max_length=24, choices=PrincipalRole.choices, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    phone_normalized = models.CharField(max_length=50, db_index=True, editable=False, default="")
    email = models.EmailField(_("email"), blank=True)
    wechat = models.CharField(_("WeChat"), max_length=64, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_deleted = models.BooleanField(_("in recycle bin"), default=False, db_index=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [models.Index(fields=["customer", "name"]), models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name

    SECTIONS = [
        (_("Basic"), ["gender", "birth_date", "native_place", "id_number", "home_address", "employer"]),
        (_("Background"), ["education", "career", "family"]),
        (pgettext_lazy("profile section", "Person"), ["lifestyle", "personality", "relationships"]),
    ]


class Handover(models.Model):
    """One handover (交接): who moved how many customers from whom to whom, and when."""

    at = models.DateTimeField(_("time"), auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handovers_out", verbose_name=_("from"))
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handovers_in", verbose_name=_("to"))
    customers = models.ManyToManyField(Customer, related_name="handovers", verbose_name=_("customers"))
    customer_count = models.PositiveIntegerField(_("customers"), default=0)
    related_counts = models.JSONField(_("other records moved"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")

    def __str__(self) -> str:
        return f"{self.from_user} → {self.to_user} ({self.customer_count})"


class PoolEvent(models.Model):
    """A claim from or a return to the public pool (公海)."""

    class Kind(models.TextChoices):
        CLAIM = "claim", _("Claimed")
        RELEASE = "release", _("Released by the owner")
        RETURN = "return", _("Returned automatically")
        WARNING = "warning", _("Return warning")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="pool_events", verbose_name=_("customer"))
    kind = models.CharField(_("event"), max_length=16, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="pool_events",
        verbose_name=_("user"), help_text=_("Who claimed, or the owner the customer was taken from."),
    )
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    on_date = models.DateField(_("date"), db_index=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("pool event")
        verbose_name_plural = _("pool events")
        constraints = [
            # `kehu daily` is idempotent: one automatic return / warning per customer per day.
            models.UniqueConstraint(
                fields=["customer", "kind", "on_date"],
                condition=models.Q(kind__in=["return", "warning"]),
                name="pool_event_once_a_day",
            )
        ]


class CustomerMerge(models.Model):
    """A recorded merge: `merged` was folded into `kept`."""

    at = models.DateTimeField(_("time"), auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    kept = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="merges_kept", verbose_name=_("kept record"))
    merged = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="merges_merged", verbose_name=_("merged record"))
    moved_counts = models.JSONField(_("records moved"), default=dict)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("merge")
        verbose_name_plural = _("merges")


class ArchiveSection(models.Model):
    """One written section of a customer's key-account archive (大客户业务档案, source 004).

    One row per customer and section, created on the first save; who changed it last and
    when are kept on the row, every change is in the customer's history. Decision makers are
    not a section: they are the customer's contacts with a decision role.
    """

    class Section(models.TextChoices):
        PRODUCTION_SCALE = "production_scale", _("Production scale")
        PRODUCT_STRUCTURE = "product_structure", _("Product structure")
        PRODUCTION_LINES = "production_lines", _("Production lines")
        DEVELOPMENT_PLANS = "development_plans", _("Development plans")
        MARKET_SHARE = "market_share", _("Market share")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="archive_sections", verbose_name=_("customer"))
    section = models.CharField(_("section"), max_length=24, choices=Section.choices)
    text = models.TextField(_("text"), blank=True)
    share_pct = models.DecimalField(
        _("market share (%)"), max_digits=4, decimal_places=1, null=True, blank=True,
        help_text=_("The customer's share of its own market, in percent (market share section only)."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated at"))

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        ordering = ["customer", "section"]
        verbose_name = _("archive section")
        verbose_name_plural = _("archive sections")
        constraints = [
            models.UniqueConstraint(fields=["customer", "section"], name="archive_section_once_per_customer"),
            models.CheckConstraint(
                condition=models.Q(share_pct__isnull=True) | models.Q(share_pct__gte=0, share_pct__lte=100),
                name="archive_section_share_0_100",
            ),
        ]

    def __str__(self) -> str:
        return str(self.get_section_display())


class CategorySpend(models.Model):
    """What a customer itself spends in a year on one product category (input for share of wallet, §7).

    The category is free text (the customer's own word, or one of our product categories).
    `growth_pct` is the growth the customer states; when the previous year's row of the same
    category and currency exists, the archive shows the growth computed from the two amounts
    instead (see `kehu.customers.archive.selectors.spend_growth`).
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="category_spends", verbose_name=_("customer"))
    category = models.CharField(_("product category"), max_length=100)
    year = models.PositiveSmallIntegerField(_("year"))
    annual_spend = MoneyField(_("annual spend"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    growth_pct = models.DecimalField(
        _("growth (%)"), max_digits=6, decimal_places=1, null=True, blank=True,
        help_text=_("Growth over the previous year as the customer states it, in percent."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated at"))

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        ordering = ["customer", "-year", "category"]
        verbose_name = _("category spend")
        verbose_name_plural = _("category spend")
        constraints = [
            models.UniqueConstraint(fields=["customer", "category", "year"], name="category_spend_once_per_year"),
            models.CheckConstraint(condition=models.Q(annual_spend__gte=0), name="category_spend_not_negative"),
        ]
        # the share-of-wallet report reads a year's rows (and their customers) first
        indexes = [models.Index(fields=["year", "customer"], name="category_spend_year_customer")]

    def __str__(self) -> str:
        return f"{self.category} {self.year}"


class QualificationItem(models.Model):
    """One item of the prospect qualification checklist (DOMAIN.md §3, 000); an admin setting.
    A prospect whose every active item is checked moves to `qualified`."""

    name = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    help_text = models.CharField(_("what to check"), max_length=255, blank=True)
    position = models.PositiveSmallIntegerField(pgettext_lazy("sort position", "order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("qualification item")
        verbose_name_plural = _("qualification items")

    def __str__(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") and self.name_en else self.name


class QualificationCheck(models.Model):
    """An item of the checklist that a user ticked for a customer (who, when, what they found)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="qualification_checks", verbose_name=_("customer"))
    item = models.ForeignKey(QualificationItem, on_delete=models.CASCADE, related_name="checks", verbose_name=_("item"))
    note = models.CharField(_("note"), max_length=255, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by"))
    checked_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("qualification check")
        verbose_name_plural = _("qualification checks")
        ordering = ["item__position", "item_id"]
        constraints = [models.UniqueConstraint(fields=["customer", "item"], name="qualification_check_unique")]

    def __str__(self) -> str:
        return str(self.item)


class CustomerStageChange(models.Model):
    """Every lifecycle stage change (DOMAIN.md §3) with its time and user, for funnel
    conversion and velocity (§7). `from_stage` is empty for the stage a customer started in."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="stage_changes", verbose_name=_("customer"))
    from_stage = models.CharField(_("from"), max_length=16, choices=Customer.Stage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=16, choices=Customer.Stage.choices)
    at = models.DateTimeField(_("time"), db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by"))

    class Meta:
        verbose_name = _("customer stage change")
        verbose_name_plural = _("customer stage changes")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["to_stage", "at"]), models.Index(fields=["customer", "at"]),
                   # covers the reports' "moved into a stage in a period" counts (rep activity, what it takes)
                   models.Index(fields=["to_stage", "at", "customer"], name="stagechange_stage_at_cust")]


class CustomerStageMonth(models.Model):
    """The stage-entry summary (issue 12, kehu.customers.summaries): one row per customer (alive:
    not in the recycle bin, not merged away) × stage × month (its first day, in the company's time
    zone) in which the customer moved into that stage, with the customer's owner now and the
    previous month in which it moved into the same stage (None: never before). The distinct
    customers who moved into a stage in whole months [A, B) are the rows of those months whose
    `previous` is None or before A. Kept exactly equal to the stage changes, the owners and the
    recycle bin by `summaries.stage_months_refresh` in every writer's transaction; `kehu daily`
    and `kehu summaries rebuild` check it (`stage_months_rebuild`)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("customer"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("owner"))
    stage = models.CharField(_("to"), max_length=16, choices=Customer.Stage.choices)
    month = models.DateField(_("month"))
    previous = models.DateField(_("previous month"), null=True, blank=True)

    class Meta:
        verbose_name = _("stage entries in a month")
        verbose_name_plural = _("stage entries in a month")
        indexes = [models.Index(fields=["stage", "owner", "month", "previous"], name="stagemonth_read")]
        constraints = [models.UniqueConstraint(fields=["customer", "stage", "month"], name="stagemonth_once")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.stage} {self.month:%Y-%m}"

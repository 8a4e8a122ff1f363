"""Who sees which customers: the only place that knows (DOMAIN.md §1, docs/visibility.md).

Every customer-scoped query in Kehu starts from `customer_scope(user)`; other models are
scoped through their customer (`<relation>__in` / a Q prefixed with the relation path).

- admin, finance: every customer;
- manager: customers owned by themselves or by a member of a team they manage, and the pool;
- rep: own customers and the pool;
- anyone else (inactive, anonymous): nothing.
Records in the recycle bin are hidden from everyone except the admin's recycle-bin page,
which asks for them explicitly with `include_deleted=True`.
"""

from django.db.models import Q

NOTHING = Q(pk__in=[])


def managed_user_ids(user) -> list[int]:
    """Ids of the users whose customers a manager sees: members of their teams, and themselves."""
    from kehu.accounts.models import User

    cached = getattr(user, "_kehu_managed_ids", None)
    if cached is not None:
        return cached
    ids = set(User.objects.filter(team__managers=user).values_list("id", flat=True))
    ids.add(user.id)
    return remember_managed_ids(user, ids)


def remember_managed_ids(user, ids) -> list[int]:
    """Memoise `managed_user_ids` on the user object, which lives for one request (or one command
    run): for a caller that has just read the members of every team the user manages (the
    Friday review) and so knows them without the query. `ids` must be exactly those members'
    ids; the user's own id is added."""
    result = sorted(set(ids) | {user.id})
    try:
        user._kehu_managed_ids = result
    except AttributeError:
        pass
    return result


def sees_all(user) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_admin_role or user.is_finance))


def customer_scope(user, *, prefix: str = "", include_deleted: bool = False) -> Q:
    """A Q selecting the customers `user` may see; `prefix` is the path to the customer."""
    p = f"{prefix}__" if prefix else ""
    if not (user and user.is_authenticated and user.is_active):
        return NOTHING
    alive = Q() if include_deleted else Q(**{f"{p}is_deleted": False})
    if sees_all(user):
        return alive
    pool = Q(**{f"{p}owner__isnull": True})
    if user.is_manager:
        return alive & (pool | Q(**{f"{p}owner_id__in": managed_user_ids(user)}))
    if user.is_rep:
        return alive & (pool | Q(**{f"{p}owner_id": user.id}))
    return NOTHING


def visible_users(user):
    """Users whose names may appear in `user`'s owner filters and handover forms."""
    from kehu.accounts.models import User

    qs = User.objects.filter(is_active=True)
    if sees_all(user):
        return qs
    if user.is_manager:
        return qs.filter(id__in=managed_user_ids(user))
    return qs.filter(id=user.id)

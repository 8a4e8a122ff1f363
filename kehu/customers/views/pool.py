"""(placeholder: being written)"""
from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse("todo")

pool_list_view = _todo
customer_claim_view = _todo
customer_release_view = _todo
handover_view = _todo

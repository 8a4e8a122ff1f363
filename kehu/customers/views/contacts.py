"""(placeholder: being written)"""
from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse("todo")

contact_create_view = _todo
contact_edit_view = _todo
contact_delete_view = _todo

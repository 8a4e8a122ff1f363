"""(placeholder: being written)"""
from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse("todo")

customer_list_view = _todo
customer_create_view = _todo
duplicate_check_view = _todo
recycle_bin_view = _todo
customer_detail_view = _todo
customer_edit_view = _todo
customer_delete_view = _todo
customer_restore_view = _todo
customer_merge_view = _todo

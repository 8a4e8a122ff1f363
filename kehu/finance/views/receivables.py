"""Receivables: the aging list, a receivable's page, writing one off."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kehu.core.money import format_money
from kehu.core.views import get_visible_or_404, refuse
from kehu.finance import aging, selectors, services
from kehu.finance.errors import FinanceError
from kehu.finance.forms import AsOfForm, WriteOffForm
from kehu.finance.permissions import can_record_payment, can_write_off
from kehu.finance.views.listing import PAGE_SIZE, Page, page_number, query_of


@login_required
@require_GET
def aging_view(request):
    """One page of customers (the shared pager), the per-rep and company sums over all rows: one
    SQL query for all three (`aging.aging_page`), one for the reps' names, one for the page's customers."""
    form = AsOfForm(request.GET or None)
    number = page_number(request.GET)
    report = aging.aging_page(user=request.user, as_of=form.as_of_day(), offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    page = Page(report.rows, number, PAGE_SIZE, report.has_next, report.total, False, query_of(request.GET))
    aging.fill_customers(page.rows, user=request.user)
    return render(request, "finance/aging.html", {"nav": "receivables", "form": form, "report": report, "page": page})


@login_required
@require_GET
def receivable_detail_view(request, pk):
    receivable = get_visible_or_404(selectors.receivable_list(user=request.user), pk=pk)
    form = AsOfForm(request.GET or None)
    as_of = form.as_of_day()
    context = {
        "nav": "receivables",
        "receivable": receivable,
        "customer": receivable.customer,
        "as_of": as_of,
        "days_overdue": aging.days_overdue(receivable.due_on, as_of),
        "bucket": aging.bucket_of(receivable.due_on, as_of),
        "allocations": selectors.receivable_allocations(receivable),
        "write_offs": selectors.receivable_write_offs(receivable),
        "can_record_payment": can_record_payment(request.user, receivable.customer),
        "can_write_off": can_write_off(request.user),
    }
    return render(request, "finance/receivable_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def receivable_writeoff_view(request, pk):
    """Two steps: the form, then a confirmation page (`confirm=1` with the same values) that writes."""
    receivable = get_visible_or_404(selectors.receivable_list(user=request.user), pk=pk)
    if not can_write_off(request.user):
        return refuse(request, _("Only finance and administrators write off receivables."), "finance:receivable-detail", pk=receivable.pk)
    confirming = False
    if request.method == "POST":
        form = WriteOffForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            if data["amount"] > receivable.open_amount:
                form.add_error("amount", _("At most the open amount %(open)s can be written off.") % {
                    "open": format_money(receivable.open_amount, receivable.currency)})
            elif request.POST.get("confirm") == "1" and request.POST.get("step") == "confirm":
                try:
                    services.writeoff_record(
                        actor=request.user, receivable=receivable, amount=data["amount"], written_on=data["written_on"], reason=data["reason"],
                    )
                except FinanceError as exc:
                    form.add_error(None, str(exc))
                except PermissionDenied:
                    form.add_error(None, _("Only finance and administrators write off receivables."))
                else:
                    messages.success(request, _("Written off %(amount)s.") % {"amount": format_money(data["amount"], receivable.currency)})
                    return redirect("finance:receivable-detail", pk=receivable.pk)
            else:
                confirming = True
    else:
        form = WriteOffForm(initial={"amount": receivable.open_amount})
    template = "finance/writeoff_confirm.html" if confirming else "finance/writeoff_form.html"
    return render(request, template, {"nav": "receivables", "receivable": receivable, "customer": receivable.customer, "form": form})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _text(value) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from kehu.core.cells import escape_cell

    return ILLEGAL_CHARACTERS_RE.sub("", escape_cell(str(value or "")))


@login_required
@require_GET
def aging_export_view(request):
    """Every row of the aging page (not only the page shown), in its order, as XLSX: openpyxl's
    write-only mode fed chunk by chunk (`aging.aging_rows`: one SQL query, plus one per 2,000 rows
    for the customers' names), written to a temporary file and streamed from it."""
    import tempfile

    import openpyxl
    from django.http import FileResponse

    form = AsOfForm(request.GET or None)
    as_of = form.as_of_day()
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(_("Receivables aging")[:31])
    sheet.append([_("As of"), as_of.isoformat()])
    sheet.append([_("Code"), _("Customer"), _("Owner"), _("Currency"), _("Bad-debt risk"), _("Not due"), _("0–30"), _("31–60"),
                  _("61–90"), _(">90"), _("Overdue"), _("Total open")])
    for chunk in aging.aging_rows(user=request.user, as_of=as_of):
        aging.fill_customers(chunk, user=request.user)
        for r in chunk:
            b = r.buckets
            sheet.append([
                _text(r.customer.code if r.customer else ""), _text(r.customer.name if r.customer else ""), _text(r.owner or ""),
                r.currency, _("Bad-debt risk") if r.is_at_risk else "",
                b.current, b.d0_30, b.d31_60, b.d61_90, b.d90_plus, b.overdue, b.total,
            ])
    out = tempfile.TemporaryFile()
    book.save(out)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=f"aging-{as_of.isoformat()}.xlsx", content_type=XLSX)

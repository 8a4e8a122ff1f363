from pathlib import PurePath

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.dataset.export import FORMATS
from kehu.dataset.files import DATASET_FILES, MEGABYTE, max_bytes, max_rows, too_large_message
from kehu.dataset.mapping import KIND_LABELS, KINDS
from kehu.dataset.uploads import FOREIGN_CSV, FOREIGN_XLSX, WORKBOOK


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".csv,.xlsx", "class": "form-control"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data]
        return [single(data, initial)]


class ImportUploadForm(forms.Form):
    files = MultipleFileField(
        label=_("Files"),
        help_text=_("Several CSV files named like the format (users.csv, customers.csv, contacts.csv, products.csv …), or one Excel workbook (.xlsx) with a sheet per file — or your own list: one CSV (GBK or UTF-8) or Excel file with Chinese headings, or another CRM's export."),
    )
    kind = forms.ChoiceField(
        label=_("What the file lists"), required=False,
        choices=[("", _("Recognise it (a Kehu dataset, or a list by its headings)"))] + [(k, v) for k, v in KIND_LABELS.items()],
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["files"]
        limits = _("At most %(rows)s rows and %(size)s MB a file (an Excel workbook counted unzipped).") % {
            "rows": f"{max_rows():,}", "size": f"{max_bytes() / MEGABYTE:g}",
        }
        field.help_text = f"{field.help_text} {limits}"

    def clean_files(self) -> list[tuple[str, object]]:
        """The uploads as (canonical name, file); the browser's file name is only matched, never used as a path."""
        uploads = self.cleaned_data["files"]
        kind = self.data.get("kind", "")
        if len(uploads) == 1 and (kind in KINDS or _foreign_name(uploads[0].name)):
            return [_foreign(uploads[0])]
        if kind in KINDS:
            raise forms.ValidationError(_("Upload one file at a time when you say what it lists."))
        named = []
        for uploaded in uploads:
            name = PurePath(uploaded.name.replace("\\", "/")).name.lower()
            if uploaded.size > max_bytes():  # the limit of files.py; a workbook is checked unzipped later
                raise forms.ValidationError(too_large_message(uploaded.name))
            if name.endswith(".xlsx"):
                if len(uploads) > 1:
                    raise forms.ValidationError(_("Upload one Excel workbook on its own, or CSV files only."))
                head = uploaded.read(4)
                uploaded.seek(0)
                if head != b"PK\x03\x04":
                    raise forms.ValidationError(_("%(name)s is not an Excel workbook (.xlsx).") % {"name": uploaded.name})
                named.append((WORKBOOK, uploaded))
            elif name in DATASET_FILES:
                if name in {n for n, _f in named}:
                    raise forms.ValidationError(_("%(name)s was uploaded twice.") % {"name": name})
                named.append((name, uploaded))
            else:
                raise forms.ValidationError(
                    _("%(name)s is not a file of the Kehu format. Name the files like these: %(names)s.")
                    % {"name": uploaded.name, "names": ", ".join(DATASET_FILES)}
                )
        return named


def _foreign_name(name: str) -> bool:
    """A single CSV not named like a file of the format: a firm's own list."""
    name = PurePath(name.replace("\\", "/")).name.lower()
    return name.endswith((".csv", ".txt")) and name not in DATASET_FILES


def _foreign(uploaded) -> tuple[str, object]:
    """A firm's own file, stored under a canonical name (never the browser's)."""
    name = PurePath(uploaded.name.replace("\\", "/")).name.lower()
    if uploaded.size > max_bytes():
        raise forms.ValidationError(too_large_message(uploaded.name))
    if name.endswith(".xlsx"):
        head = uploaded.read(4)
        uploaded.seek(0)
        if head != b"PK\x03\x04":
            raise forms.ValidationError(_("%(name)s is not an Excel workbook (.xlsx).") % {"name": uploaded.name})
        return FOREIGN_XLSX, uploaded
    if name.endswith((".csv", ".txt")):
        return FOREIGN_CSV, uploaded
    raise forms.ValidationError(_("%(name)s is neither a CSV file nor an .xlsx workbook.") % {"name": uploaded.name})


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("xlsx", _("Excel workbook (.xlsx), one sheet per file")), ("csv", _("CSV files in a zip (UTF-8)"))],
        initial="xlsx",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )

    def clean_format(self):
        value = self.cleaned_data["format"]
        assert value in FORMATS
        return value

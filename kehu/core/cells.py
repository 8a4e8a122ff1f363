"""Cells of exported files (CSV, XLSX): text that a spreadsheet would run as a formula gets a
leading apostrophe. Shared by the dataset export and the report exports."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value) -> str:
    """A value as export text; formula-like text gets a leading apostrophe."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text

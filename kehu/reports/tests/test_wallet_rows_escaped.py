"""The share-of-wallet table's rows are written by the view (kehu/reports/views/wallet.py
`_table_rows`): every text a user typed is escaped there as the template would."""

from kehu.reports.selectors.wallet import WalletRow
from kehu.reports.views.wallet import _table_rows

HOSTILE = '<script>alert("x")</script>&'


def test_user_typed_texts_are_escaped():
    row = WalletRow(customer_id=7, code='C"><b>1', name=HOSTILE, value_class="diamond", category=HOSTILE,
                    currency="CNY", ours_cents=12_345, spend_cents=50_000, is_opportunity=True)
    html = str(_table_rows([row]))
    assert "<script>" not in html and "<b>" not in html
    assert html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;") == 2
    assert 'data-testid="row-C&quot;&gt;&lt;b&gt;1-1"' in html

"""A ranking run's XLSX of more than EXPORT_SYNC_MAX_ROWS visible results is a background job
(issue 15, bgjobs): the same workbook as the direct download, in the starter's scope."""

import io
from datetime import date

import openpyxl
from django.urls import reverse

from kehu.core.jobs import job_run
from kehu.core.models import Job
from kehu.ranking.models import EvaluationRun
from kehu.ranking.services import evaluation_run

AS_OF = date(2026, 6, 30)  # the example dataset's date


def test_a_large_run_export_is_a_job_with_the_same_workbook(client, login, director, example_loaded, monkeypatch, settings, tmp_path):
    from kehu.ranking.views import runs as run_views

    settings.VAR_DIR = tmp_path
    run = evaluation_run(actor=None, model="value", as_of=AS_OF)
    login(director)
    url = reverse("ranking:run-export", args=[run.pk])
    direct = client.get(url)
    assert direct.status_code == 200 and not Job.objects.exists()
    monkeypatch.setattr(run_views, "EXPORT_SYNC_MAX_ROWS", 5)
    response = client.get(url)
    job = Job.objects.get()
    assert response.url == reverse("jobs:detail", args=[job.pk]) and job.kind == "ranking_export" and job.user == director
    assert job_run(job.pk) == "done"
    job.refresh_from_db()
    assert job.result["filename"] == f"ranking-run-{run.pk}.xlsx"
    made = openpyxl.load_workbook(io.BytesIO(b"".join(client.get(reverse("jobs:download", args=[job.pk])).streaming_content)))
    page = openpyxl.load_workbook(io.BytesIO(direct.content))
    assert made.sheetnames == page.sheetnames
    for a, b in zip(made.worksheets, page.worksheets):
        assert list(a.iter_rows(values_only=True)) == list(b.iter_rows(values_only=True))
    # the director's 13 visible results of the run's 48, as on the page
    assert job.total == len(list(made["Results"].iter_rows())) - 1 == 13 and run.result_count == 48


def test_a_large_comparison_export_is_a_job_too(client, login, director, example_loaded, monkeypatch, settings, tmp_path):
    from kehu.ranking.views import runs as run_views

    settings.VAR_DIR = tmp_path
    before = evaluation_run(actor=None, model="value", as_of=AS_OF)
    after = evaluation_run(actor=None, model="value", as_of=AS_OF)
    login(director)
    url = reverse("ranking:run-compare-export", args=[after.pk])
    direct = client.get(url, {"with": before.pk})
    monkeypatch.setattr(run_views, "EXPORT_SYNC_MAX_ROWS", 5)
    response = client.get(url, {"with": before.pk})
    job = Job.objects.get()
    assert response.url == reverse("jobs:detail", args=[job.pk]) and job.params == {"run": after.pk, "with": before.pk}
    assert job_run(job.pk) == "done"
    made = openpyxl.load_workbook(io.BytesIO(b"".join(client.get(reverse("jobs:download", args=[job.pk])).streaming_content)))
    page = openpyxl.load_workbook(io.BytesIO(direct.content))
    for a, b in zip(made.worksheets, page.worksheets):
        assert list(a.iter_rows(values_only=True)) == list(b.iter_rows(values_only=True))
    assert EvaluationRun.objects.count() == 2

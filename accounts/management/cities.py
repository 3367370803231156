"""What the per-city management commands share: the ``--company`` option (a city company's
code; without it, every city) and running a job city by city, reporting each city's error
and failing at the end if any city failed."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Sum

from accounts.models import OrgUnit
from accounts.selectors import city_companies


class CityCommand(BaseCommand):
    def add_company_argument(self, parser):
        parser.add_argument("--company", help="code of a city company (default: every city)")

    def companies(self, code: str | None) -> list[OrgUnit]:
        try:
            return city_companies(code)
        except OrgUnit.DoesNotExist as exc:
            raise CommandError(f"No city company with code {code!r}.") from exc

    def for_each_city(self, companies, job, errors=(ValidationError,)) -> None:
        """``job(city)`` for each city; a city's error is reported, the others still run."""
        failed = []
        for city in companies:
            try:
                job(city)
            except errors as exc:
                messages = " ".join(getattr(exc, "messages", None) or [str(exc)])
                failed.append(f"{city.code} {city.name}: {messages}")
        if failed:
            raise CommandError("\n".join(failed))


def city_figures(queryset, path_lookup: str, fields: tuple[str, ...], companies) -> dict:
    """{city pk: (rows, Σ field, …)} of ``queryset`` in each city company's subtree
    (``path_lookup``: the rows' lookup ending at an org path), one aggregate query a city:
    what a refresh command compares before and after to say whether anything changed."""
    aggregates = {"rows": Count("pk"), **{f: Sum(f) for f in fields}}
    figures = {}
    for city in companies:
        row = queryset.filter(**{f"{path_lookup}__startswith": city.path}).aggregate(**aggregates)
        figures[city.pk] = tuple(row[key] for key in aggregates)
    return figures


def changed_text(before, after) -> str:
    return "changed" if before != after else "nothing changed"

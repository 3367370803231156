import random
import time
from dataclasses import dataclass, field
from datetime import date
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from faker import Faker

from accounts.demo import SIZES
from accounts.models import Role, User
from config.database import analyze


@dataclass
class DemoContext:
    size: str
    seed: int
    today: date
    password: str
    rng: random.Random
    faker: Faker
    logins: dict = field(default_factory=dict)


def row_counts() -> dict:
    """Rows of every model of the project's apps (one COUNT per table)."""
    return {
        model: model._default_manager.count()
        for config in apps.get_app_configs()
        if str(config.path).startswith(str(settings.BASE_DIR))
        for model in config.get_models()
        if not model._meta.proxy
    }


def demo_modules():
    """``<app>.demo`` of every project app that has one, in INSTALLED_APPS order."""
    for config in apps.get_app_configs():
        if not str(config.path).startswith(str(settings.BASE_DIR)):
            continue
        name = f"{config.name}.demo"
        if find_spec(name) is not None:
            yield import_module(name)


class Command(BaseCommand):
    help = "Build a deterministic demo company: org tree, territories and users of every role."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(SIZES), default="small")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (and succeed) when the database already has users.",
        )

    def handle(self, *args, size, seed, if_empty, **options):
        if User.objects.exists():
            if if_empty:
                self.stdout.write("Database already has data; demo data not loaded.")
                return
            raise CommandError(
                "The database already has users. seed_demo only fills an empty database "
                "(delete db.sqlite3 or use a fresh DATABASE_URL)."
            )
        faker = Faker("zh_CN")
        faker.seed_instance(seed)
        ctx = DemoContext(
            size=size,
            seed=seed,
            today=timezone.localdate(),
            password=settings.DEMO_PASSWORD,
            rng=random.Random(seed),
            faker=faker,
        )
        verbose = options["verbosity"] >= 1
        started = time.monotonic()
        with transaction.atomic():
            for module in demo_modules():
                before = row_counts() if verbose else None
                phase_started = time.monotonic()
                module.seed(ctx)
                if verbose:
                    self.print_phase(module, before, time.monotonic() - phase_started)
            # A bulk load: the planner's statistics of every table, before anyone reads them.
            analyze(*(m for m in apps.get_models() if m._meta.managed and not m._meta.proxy))
        if verbose:
            self.stdout.write(f"Demo seeded in {time.monotonic() - started:.1f} s.")
        self.print_logins(ctx)

    def print_phase(self, module, before, seconds):
        """One line per phase: the rows it added, largest first, and its time."""
        after = row_counts()
        added = sorted(
            ((after[model] - before.get(model, 0), model) for model in after),
            key=lambda pair: (-pair[0], pair[1]._meta.label),
        )
        counts = ", ".join(
            f"{n:,} {model._meta.verbose_name_plural}" for n, model in added if n > 0
        )
        app = module.__name__.removesuffix(".demo")
        self.stdout.write(f"  {app}: {counts or 'nothing added'} ({seconds:.1f} s)")

    def print_logins(self, ctx):
        out = self.stdout
        out.write(self.style.SUCCESS(f"Demo data loaded (size={ctx.size}, seed={ctx.seed})."))
        out.write(f"Password for every demo user: {ctx.password}")
        out.write("Log in with an employee number (工号):")
        for role in Role:
            users = ctx.logins.get(role, [])
            if not users:
                continue
            sample = ", ".join(f"{u.employee_no} {u.name}" for u in users[:3])
            more = f" … (+{len(users) - 3})" if len(users) > 3 else ""
            out.write(f"  {role.label}: {sample}{more}")

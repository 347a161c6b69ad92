"""manage.py load_demo — load (or refresh) the demo of the Nanjing metropolitan area."""

from django.core.management.base import BaseCommand

from tongcheng.core.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load the demo of the Nanjing metropolitan area (idempotent) and print the demo accounts."

    def add_arguments(self, parser):
        parser.add_argument("--no-users", action="store_true", help="Reference data only, no demo accounts.")

    def handle(self, *args, **options):
        report, accounts = load_demo(with_users=not options["no_users"])
        self.stdout.write(
            f"Demo data: {report.created} created, {report.updated} updated, {report.unchanged} unchanged."
        )
        if report.kept:
            self.stdout.write(
                f"Left as users changed them ({len(report.kept)}; the demo's values differ): "
                + "; ".join(report.kept)
            )
        if accounts:
            self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
            for username, role, scope in accounts:
                self.stdout.write(f"  {username:<20} {role:<10} {scope}")

"""``caviar db version URL`` and ``caviar db upgrade URL``."""

from __future__ import annotations

import click


@click.group()
def db() -> None:
    """Inspect or upgrade a caviar database's schema."""


@db.command()
@click.argument("url")
def version(url: str) -> None:
    """Print the schema version of the database at URL and this caviar's."""
    from caviar.storage.base import SCHEMA_VERSION
    from caviar.storage.sql.migrations import current_version

    click.echo(f"database schema {current_version(url)}; this caviar writes {SCHEMA_VERSION}")


@db.command()
@click.argument("url")
def upgrade(url: str) -> None:
    """Upgrade the database at URL in place to this caviar's schema."""
    from caviar.storage.sql.migrations import upgrade as run

    start, end = run(url, progress=click.echo)
    click.echo(f"schema {end}" + (" (already current)" if start == end else
                                  f" (upgraded from {start})"))

"""Telling the user when ``--sampler`` replaces the sampler an existing study was stored with
(``create_study`` stores the new one, so every later run and ``caviar worker`` use it)."""

from __future__ import annotations

from typing import Any

import click


def stored_sampler(store: Any, name: str) -> str | None:
    """The sampler name study ``name`` is stored with, or None when there is no such study."""
    if name not in {s.name for s in store.list_studies()}:
        return None
    return str((store.get_study(name).sampler or {}).get("name", "random"))


def note_sampler_change(name: str, before: str | None, sampler: str | None) -> None:
    if sampler is not None and before is not None and sampler != before:
        click.echo(f"study {name!r}: sampler changed from {before} to {sampler} (stored; "
                   "`caviar worker` uses it too)", err=True)

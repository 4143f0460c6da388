"""The ``caviar`` command: thin; parses arguments and calls the library.

Exit codes: 0 ok, 2 bad usage or input, 1 failure, 130 interrupted (Ctrl-C), 143 terminated
(SIGTERM).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from caviar.cli import commands


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="caviar", prog_name="caviar")
def cli() -> None:
    """caviar: hyperparameter tuning for deep networks."""


for command in commands.ALL:
    cli.add_command(command)


TERMINATED = ("terminated (SIGTERM); workers stopped and their trials released: run the same "
              "command again to resume")


def main(argv: list[str] | None = None) -> Any:
    from caviar.errors import CaviarError
    from caviar.executors.worker import Terminated

    try:
        return cli.main(args=argv, prog_name="caviar", standalone_mode=False)
    except click.exceptions.Abort as e:  # click turns an interrupt into Abort
        if isinstance(e.__cause__ or e.__context__, Terminated):
            click.echo(TERMINATED, err=True)
            sys.exit(143)
        click.echo("interrupted; run the same command again to resume", err=True)
        sys.exit(130)
    except Terminated:
        click.echo(TERMINATED, err=True)
        sys.exit(143)
    except KeyboardInterrupt:
        click.echo("interrupted; the store is consistent: run the same command again to resume",
                   err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except CaviarError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(e.exit_code)


if __name__ == "__main__":
    main()

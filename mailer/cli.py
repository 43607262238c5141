"""The command line: parse options, call one library function, print, set the exit code.

``MailerError`` is caught once, in ``main``: ``Error: <message>`` on stderr, exit 1, and the
traceback only with ``--debug`` or ``MAILER_DEBUG=1``. Anything else is a bug and crashes loudly.
The commands live in ``mailer/commands/`` by group; library modules are imported inside them so
``mailer --help`` starts fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from mailer import __version__
from mailer.commands import REVIEW, SENDING, WRITING
from mailer.commands.state import State
from mailer.core.errors import ConfigError, MailerError
from mailer.core.secrets import RedactingStream

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="mailer")
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="newsletter.toml to use (default: the nearest one above the current folder).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, debug: bool) -> None:
    """Newsletter as code: Markdown issues in Git → responsive email → your provider.

    Start with `mailer init DIR` (a newsletter of your own), then `mailer new "Title"`,
    `mailer preview` and `mailer check`; `mailer build` renders issues/ into build/.
    """
    ctx.obj = State(config, False)
    if debug or os.environ.get("MAILER_DEBUG") == "1":
        _debug_on(ctx.obj)


def _set_config(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.ensure_object(State).config = value


def _set_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        _debug_on(ctx.ensure_object(State))


def _debug_on(state: State) -> None:
    state.debug = True
    from mailer.checks import runner

    runner.RAISE_RULE_ERRORS = True  # a rule that crashes shows its traceback


# --config and --debug work after the command too (`mailer check --debug`), as people type them
_SHARED = (
    click.Option(
        ["--config"],
        type=click.Path(path_type=Path, dir_okay=False),
        expose_value=False,
        callback=_set_config,
        help="newsletter.toml to use (default: the nearest one above the current folder).",
    ),
    click.Option(
        ["--debug"], is_flag=True, expose_value=False, callback=_set_debug, help="Show tracebacks."
    ),
)

for _command in (*WRITING, *SENDING, *REVIEW):
    _command.params.extend(_SHARED)
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI; a MailerError becomes one line on stderr and exit code 1.

    Everything the CLI writes passes the redaction of secrets (mailer.core.secrets), whatever wrote
    it: a provider's echoed reply, an annotation, a traceback with --debug."""
    if not isinstance(sys.stdout, RedactingStream):
        sys.stdout = RedactingStream(sys.stdout)
        sys.stderr = RedactingStream(sys.stderr)
    debug = os.environ.get("MAILER_DEBUG") == "1" or "--debug" in (argv or sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="mailer", standalone_mode=False)
    except MailerError as exc:
        if debug:
            raise
        click.echo(f"Error: {exc}", err=True)
        # as linters do: 1 for findings and failed steps, 2 for a configuration that is wrong
        sys.exit(2 if isinstance(exc, ConfigError) else 1)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)

"""How the CLI turns errors into messages and exit codes: no traceback reaches a user.

Exit codes: 0 success, 1 a failed execution or operation, 2 invalid flow, inputs or usage.
"""

from __future__ import annotations

import os

import click

from headway.errors import FlowInvalidError, HeadwayError, InputInvalidError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2


class UsageFailure(click.ClickException):
    exit_code = EXIT_INVALID


def run_guarded(command: click.Command) -> int:
    try:
        code = command.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_FAILED
    except click.ClickException as exc:
        exc.show()
        return EXIT_INVALID if isinstance(exc, click.UsageError) else exc.exit_code
    except (FlowInvalidError, InputInvalidError) as exc:
        click.echo(f"error: {exc.message}", err=True)
        return EXIT_INVALID
    except HeadwayError as exc:
        click.echo(f"error: {exc.message}", err=True)
        # A server's 422 (headway.cli.remote) is bad input, as locally.
        return EXIT_INVALID if getattr(exc, "invalid_input", False) else EXIT_FAILED
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except Exception as exc:
        if os.environ.get("HEADWAY_DEBUG"):
            raise
        click.echo(
            f"internal error: {type(exc).__name__}: {exc} (set HEADWAY_DEBUG=1 for details)",
            err=True,
        )
        return EXIT_FAILED
    return code if isinstance(code, int) else EXIT_OK

"""The one kind of error a user sees: one line, what is wrong and what to do, exit code 2."""

import functools
import sys

EXIT_USAGE = 2


class UserError(Exception):
    """A problem with the user's input (a file, a value, a flag) rather than with the code."""


def main_guard(main):
    """Wrap a command-line `main` so that a UserError prints one line and exits with code 2."""

    @functools.wraps(main)
    def wrapper(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except UserError as err:
            print(f"error: {err}", file=sys.stderr)
            sys.exit(EXIT_USAGE)
        except KeyboardInterrupt:
            print("interrupted (a training run continues with --resume)", file=sys.stderr)
            sys.exit(130)

    return wrapper

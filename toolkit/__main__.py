"""`python -m toolkit` and the `toolkit` command.

Loading the command takes a few tenths of a second; an interrupt meanwhile ends it as quietly
as one later does (exit code 130), not with Python's traceback of the import it stopped."""

import os


def main() -> None:
    try:
        from .cli import main as command
    except KeyboardInterrupt:
        os._exit(130)
    command()


if __name__ == "__main__":
    main()

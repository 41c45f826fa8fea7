"""Turn the rendered files into a project that runs.

Steps, in order: write `.env` with a fresh secret key (mode 0600, git-ignored).
"""

import json
import os
import secrets
import sys
from pathlib import Path

# Answers are read once, as JSON: quotes, backslashes and newlines in an answer can neither break
# this file nor inject code into it.
ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")

# This rendered copy holds every answer; cookiecutter leaves it in its temp folder otherwise.
os.remove(__file__)

PROJECT = Path.cwd()


def write_private(path, text):
    """Write `text` to `path`, readable by the owner only from the first byte on."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def write_env_file():
    """`.env` from `.env.example`, with a fresh secret key. An existing `.env` is kept."""
    env_file = PROJECT / ".env"
    if env_file.exists():
        print(".env exists: kept as it is")
        return
    example = (PROJECT / ".env.example").read_text(encoding="utf-8")
    secret = secrets.token_urlsafe(50)
    text = example.replace("DJANGO_SECRET_KEY=change-me", f"DJANGO_SECRET_KEY={secret}")
    write_private(env_file, text)
    print(".env written with a fresh DJANGO_SECRET_KEY (mode 0600)")


def main():
    write_env_file()


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # noqa: BLE001 - one line for the user, not a traceback
        print(f"ERROR: post-generation failed: {error}", file=sys.stderr)
        sys.exit(1)

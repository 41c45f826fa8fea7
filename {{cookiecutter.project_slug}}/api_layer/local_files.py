"""Local files that hold secrets: tokens.local.json and the Postman collection (it carries a token).

Threat: a token file readable by other users of the machine, even for the moment between its
creation and a chmod. Decision: such files are created with mode 0600 from the first byte on.
(scripts/bootstrap.py keeps a copy of `write_private`: it runs before the dependencies are
installed and imports nothing of the project.)
"""

import json
import os


def write_private(path, text):
    """Write `text` to `path`, readable by the owner only from the first byte on."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def read_tokens(path):
    """The `{"username": "token"}` of a tokens file; `{}` when there is none yet."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError:
        raise ValueError(f"{path} is not valid JSON; move it away first") from None

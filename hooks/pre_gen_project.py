"""Reject bad answers before anything is written.

Every answer is checked against a full-match rule; each one that fails is named on a line of its
own (key, value, expected form), and generation stops after the last with the command that runs
it again with every answer given, so only the bad ones need changing. Cookiecutter removes the
output folder when this hook exits non-zero, so nothing is left on disk.
"""

import json
import keyword
import os
import re
import shlex
import sys

# Answers are read once, as JSON: quotes, backslashes and newlines in an answer can neither break
# this file nor inject code into it.
ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")

# This rendered copy holds every answer; cookiecutter leaves it in its temp folder otherwise.
os.remove(__file__)

# The slug names the project's distribution: one of its own dependencies' names would make it
# uninstallable (`pip install -e .`). tests/test_pins.py keeps this equal to pyproject.toml.
DEPENDENCY_NAMES = {
    "django", "djangorestframework", "django_rest_knox", "django_environ", "django_cors_headers",
    "redis", "gunicorn", "whitenoise", "psycopg", "drf_spectacular", "drf_spectacular_sidecar",
    "django_filter", "django_csp", "django_permissions_policy", "pytest", "pytest_django",
    "pytest_xdist", "ruff", "schemathesis", "hypothesis", "playwright", "prometheus_client",
    "sentry_sdk",
}  # fmt: skip

# The generated project's grammar of a rate (api_layer/rates.py), which this hook cannot import:
# tests/test_rates.py keeps the rule and its expected form equal to the project's.
RATE = r"([1-9][0-9]{0,8})/(second|minute|hour|day|s|m|h|d)"
RATE_EXPECTED = "N/second|minute|hour|day (or N/s|m|h|d), N from 1 to 999999999"
HOST = r"(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*"
ORIGIN = r"https?://(" + HOST + r"|\[[0-9a-f:]+\])(:[0-9]{1,5})?"
USERNAME = r"[\w.@+-]{1,150}"


def full_match(pattern, flags=0):
    return lambda value: re.fullmatch(pattern, value, flags) is not None


def each(rule, allow_empty=False):
    """A comma-separated list whose every item passes `rule`, without duplicates."""

    def check(value):
        items = [item.strip() for item in value.split(",")]
        if items == [""]:
            return allow_empty
        return all(item and rule(item) for item in items) and len(set(items)) == len(items)

    return check


def valid_slug(value):
    return (
        value.isidentifier()
        and value.isascii()
        and not keyword.iskeyword(value)
        and value not in DEPENDENCY_NAMES
        and not value.startswith("_")
        and value == value.lower()
    )


def ports_in_range(value):
    ports = re.findall(r":([0-9]+)$", value)
    return all(1 <= int(port) <= 65535 for port in ports)


def origin(value):
    return full_match(ORIGIN, re.IGNORECASE)(value) and ports_in_range(value)


def relative_path(value):
    parts = value.replace("\\", "/").split("/")
    return (
        bool(value.strip())
        and not os.path.isabs(value)
        and ".." not in parts
        and all(part.strip() for part in parts)
        and full_match(r"[\w./ -]+")(value)
    )


def one_line(value):
    return "\n" not in value and "\r" not in value


def choice(*options):
    return lambda value: value in options


# (key, rule, expected form): checked in this order; the first failure stops generation.
VALIDATORS = [
    ("project_name", lambda v: bool(v.strip()) and one_line(v), "a non-empty name on one line"),
    (
        "project_slug",
        valid_slug,
        (
            "a lowercase Python identifier (letters, digits, underscores; not a keyword) that is "
            "not the name of one of the project's dependencies"
        ),
    ),
    ("description", one_line, "text on one line"),
    ("author_name", one_line, "text on one line"),
    ("user_throttle_rate", full_match(RATE), RATE_EXPECTED),
    ("anon_throttle_rate", full_match(RATE), RATE_EXPECTED),
    (
        "cors_allowed_origins",
        each(origin),
        (
            "comma-separated origins scheme://host[:port] (http or https; no path, wildcard "
            "or trailing slash; no duplicates)"
        ),
    ),
    (
        "ngrok_host",
        lambda v: v == "" or full_match(HOST, re.IGNORECASE)(v),
        "a bare host name such as abcd1234.ngrok-free.app (no scheme, port or path), or empty",
    ),
    ("log_destination", choice("console+file", "console", "file"), "console+file, console or file"),
    ("log_file", relative_path, "a relative file path inside the project, such as logs/api.log"),
    ("database", choice("sqlite", "postgresql"), "sqlite or postgresql"),
    ("cache", choice("locmem", "redis"), "locmem or redis"),
    (
        "api_users",
        each(full_match(USERNAME), allow_empty=True),
        (
            "comma-separated usernames of letters, digits and @.+-_ (at most 150 each, "
            "no duplicates), or empty"
        ),
    ),
    ("setup", choice("venv", "current", "skip"), "venv, current or skip"),
    ("run_tests", choice("yes", "no", "y", "n", "true", "false"), "yes or no"),
]


# Written in pieces: this file is itself rendered by Jinja before it runs.
TEMPLATE_TAGS = ("{" + "{", "{" + "%", "{" + "#")


def template_tag_in(value):
    return any(tag in value for tag in TEMPLATE_TAGS)


def errors(answers):
    """Yield one message per failing answer, in the order of VALIDATORS."""
    for key, value in answers.items():
        if not key.startswith("_") and isinstance(value, str) and template_tag_in(value):
            yield f"{key}: {value!r} contains a template tag; expected plain text without Jinja template tags"
    for key, rule, expected in VALIDATORS:
        value = answers.get(key)
        if not isinstance(value, str) or not rule(value):
            yield f"{key}: {value!r} is not valid; expected {expected}"


def retry_command(answers):
    """The cookiecutter command line that repeats this run with these answers, shell-quoted."""
    command = ["cookiecutter", "--no-input"]
    if answers.get("_output_dir"):
        command += ["--output-dir", answers["_output_dir"]]
    command.append(answers.get("_template", "<template>"))
    given = [(key, value) for key, value in answers.items() if not key.startswith("_")]
    command += [f"{key}={value}" for key, value in given if isinstance(value, str)]
    return " ".join(shlex.quote(part) for part in command)


def main():
    messages = list(errors(ANSWERS))
    if not messages:
        return
    for message in messages:
        print(f"ERROR: {message}", file=sys.stderr)
    print(
        "Nothing was written. The same answers again, to change only the bad ones:", file=sys.stderr
    )
    print(f"  {retry_command(ANSWERS)}", file=sys.stderr)
    sys.exit(1)


if __name__ == "__main__":
    main()

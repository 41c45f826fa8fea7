"""The generated project is a foundation: the README's recipes, followed to the letter, work.

"Add a resource" gives a new app every protection of the API layer with no edit to `api_layer/`;
"Delete the example" removes `tasks/` and leaves a project whose whole suite passes.
"""

import contextlib
import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from xml.etree import ElementTree

from .conftest import project_env, run, running_server
from .services import skip_or_fail

FENCED_BLOCK = re.compile(r"```(\w+)\n(.*?)\n```", re.DOTALL)
RECIPES = ["Add a resource", "Delete the example"]
# Local state and tool caches that running the project writes; the rest is its source.
LOCAL_STATE = {"db.sqlite3", "logs", "__pycache__", ".ruff_cache", "tokens.local.json"}

NOTES = "/api/notes/"
NOTE_OPERATIONS = {
    "GET /api/notes/",
    "POST /api/notes/",
    "GET /api/notes/{id}/",
    "PUT /api/notes/{id}/",
    "PATCH /api/notes/{id}/",
    "DELETE /api/notes/{id}/",
}
USER_RATE = 15  # per minute: more than alice or bob spend below; carol spends all of it
ANON_RATE = 6  # per minute: exactly one anonymous request per note operation


def recipe(project, title):
    """The fenced blocks of the README section `title`, as (language, text) pairs in order."""
    readme = (project / "README.md").read_text(encoding="utf-8")
    section = readme.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]
    return FENCED_BLOCK.findall(section)


def recipe_commands(project):
    """The recipes' shell commands (the generated README test leaves them to this module)."""
    return [text for title in RECIPES for lang, text in recipe(project, title) if lang == "bash"]


def follow(project, title, tmp_path):
    """Do what the README section says: run its `bash` blocks, write its `python` files and
    apply its `diff` edits, in order. Every file block opens with `# <path>`."""
    for language, text in recipe(project, title):
        if language == "bash":
            shell(project, text, tmp_path)
            continue
        header, hunk = text.split("\n", 1)
        assert header.startswith("# "), f"{title}: a {language} block names no file: {header}"
        path = project / header.removeprefix("# ")
        if language == "python":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text + "\n", encoding="utf-8")
        else:
            assert language == "diff", f"{title}: no rule to follow a {language} block"
            edit(path, hunk)


def edit(path, hunk):
    """Replace the hunk's old lines (context and `-`) by its new lines (context and `+`)."""
    old, new = [], []
    for line in hunk.splitlines():
        mark, text = line[:1], line[1:]  # an empty line is an empty context line
        if mark in ("", " ", "-"):
            old.append(text)
        if mark in ("", " ", "+"):
            new.append(text)
    source = path.read_text(encoding="utf-8")
    before, after = "\n".join(old) + "\n", "\n".join(new) + "\n"
    assert source.count(before) == 1, f"{path.name} does not have these lines once:\n{before}"
    path.write_text(source.replace(before, after), encoding="utf-8")


def shell(project, script, tmp_path):
    """Run README commands with bash, `python` being the interpreter running these tests."""
    bin_dir = tmp_path / "bin"
    if not bin_dir.exists():
        bin_dir.mkdir()
        (bin_dir / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        (bin_dir / "python").chmod(0o755)
    env = {**project_env(), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{script}\n{result.stdout}\n{result.stderr}"


def fingerprints(project):
    """sha256 of every source file of the project, by its path relative to the project."""
    return {
        path.relative_to(project).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in project.rglob("*")
        if path.is_file() and not LOCAL_STATE & set(path.relative_to(project).parts)
    }


def send(base_url, method, path, token=None, body=None, content_type="application/json"):
    """One request over HTTP; returns (status, parsed JSON body or None, headers)."""
    headers = {"Authorization": f"Token {token}"} if token else {}
    if body is not None:
        body = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["Content-Type"] = content_type
    request = urllib.request.Request(base_url + path, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, raw, answer_headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, raw, answer_headers = error.code, error.read(), error.headers
    return status, json.loads(raw) if raw else None, answer_headers


def assert_envelope(body, status, validation=False):
    """`{"error": ...}` and nothing else: a field map for validation errors, else a message."""
    assert isinstance(body, dict) and set(body) == {"error"}, (status, body)
    assert isinstance(body["error"], dict if validation else str), (status, body)


def operations(schema, prefix):
    return {
        f"{method.upper()} {path}": operation
        for path, methods in schema["paths"].items()
        if path.startswith(prefix)
        for method, operation in methods.items()
    }


def postman_operations(collection):
    """`METHOD /path/` of every request in a Postman collection, `{id}` for a path variable."""
    found, folders = set(), [collection]
    while folders:
        for item in folders.pop().get("item", []):
            if "request" not in item:
                folders.append(item)
                continue
            url = item["request"]["url"]
            raw = url["raw"] if isinstance(url, dict) else url
            path = raw.split("}}", 1)[-1].split("?")[0]
            parts = [part for part in path.split("/") if part]
            if parts[:2] == ["api", "notes"] and len(parts) == 3:
                parts[2] = "{id}"
            found.add(f"{item['request']['method']} /{'/'.join(parts)}/")
    return found


SWAGGER_TEST = "test_swagger_ui_renders_every_operation_of_the_schema_from_local_assets"


def baked_suite_passes(project, tmp_path):
    """Run the baked project's whole suite (REQUIRE_SERVICES passes through); return the ids
    of the tests it ran, skipped ones left out."""
    report = tmp_path / "suite.xml"
    result = run(project, "-m", "pytest", "-q", "-rfEs", f"--junitxml={report}", check=False)
    lines = result.stdout.strip().splitlines() or [result.stderr]
    failures = "\n".join(line for line in lines if line.startswith(("FAILED", "ERROR")))
    assert result.returncode == 0, f"{failures}\n{lines[-1]}"
    assert re.search(r"\d+ passed", lines[-1]) and not re.search("failed|error", lines[-1])
    return {
        (case.get("classname"), case.get("name"))
        for case in ElementTree.parse(report).iter("testcase")
        if case.find("skipped") is None
    }


def swagger_ui_was_opened(ran):
    """The baked browser test opened Swagger UI on every operation, or says why it could not."""
    if not any(name == SWAGGER_TEST for _, name in ran):
        skip_or_fail("the baked suite's Swagger UI test did not run (no chromium?)")


def test_a_resource_added_as_the_readme_says_gets_every_protection(bake, tmp_path):
    project = bake()
    before = fingerprints(project)

    follow(project, "Add a resource", tmp_path)

    after = fingerprints(project)
    changed = {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
    # Two configuration files and the new app; in particular no file of api_layer/.
    assert {path for path in changed if not path.startswith("notes/")} == {
        "config/settings.py",
        "config/urls.py",
    }
    assert "notes/migrations/0001_initial.py" in changed
    run(project, "-m", "ruff", "check", "--no-cache", ".")
    run(project, "-m", "ruff", "format", "--check", "--no-cache", ".")

    tokens = json.loads(
        run(project, "manage.py", "issue_token", "--create", "--json", "alice", "bob", "carol")
        .stdout.strip()
        .splitlines()[-1]
    )
    rates = {
        "THROTTLE_USER_RATE": f"{USER_RATE}/minute",
        "THROTTLE_ANON_RATE": f"{ANON_RATE}/minute",
    }
    with running_server(project, sys.executable, env=rates) as base_url:

        def call(method, path, user=None, body=None, **options):
            return send(base_url, method, path, tokens.get(user), body, **options)

        # Without a token: every operation is 401 in the envelope, and counts as anonymous.
        for name in sorted(NOTE_OPERATIONS):
            method, path = name.split()
            body = {"text": "x"} if method in ("POST", "PUT", "PATCH") else None
            status, answer, headers = call(method, path.replace("{id}", "1"), body=body)
            assert status == 401, (name, status, answer)
            assert_envelope(answer, status)
            assert "RateLimit" in headers and "RateLimit-Policy" in headers, name
        status, answer, headers = call("GET", NOTES)
        assert status == 429 and int(headers["Retry-After"]) > 0, (status, answer)
        assert_envelope(answer, status)

        status, note, _ = call("POST", NOTES, "alice", {"text": "Call the bank"})
        assert status == 201 and note["owner"] == "alice", (status, note)
        mine = f"{NOTES}{note['id']}/"

        # Every error of the new endpoints, in the envelope.
        errors = [
            (400, "POST", NOTES, {}, {}),
            (400, "PATCH", mine, {"text": "x" * 501}, {}),
            (415, "POST", NOTES, b"text=hi", {"content_type": "application/x-www-form-urlencoded"}),
            (413, "POST", NOTES, {"text": "x" * (1024 * 1024)}, {}),
            (405, "POST", mine, {"text": "x"}, {}),
            (404, "GET", f"{NOTES}999999/", None, {}),
        ]
        for expected, method, path, body, options in errors:
            status, answer, _ = call(method, path, "alice", body, **options)
            assert status == expected, (method, path, status, answer)
            assert_envelope(answer, status, validation=expected == 400)

        # Owner-scoped: bob cannot see, change or delete alice's note; it does not exist for him.
        for method in ["GET", "PUT", "PATCH", "DELETE"]:
            body = {"text": "Mine now"} if method in ("PUT", "PATCH") else None
            status, answer, _ = call(method, mine, "bob", body)
            assert status == 404, (method, status, answer)
            assert_envelope(answer, status)
        status, listing, _ = call("GET", NOTES, "bob")
        assert status == 200 and listing["count"] == 0 and listing["results"] == []
        status, listing, _ = call("GET", NOTES, "alice")
        assert [item["text"] for item in listing["results"]] == ["Call the bank"]

        status, schema, _ = call("GET", "/api/schema/?format=json", "alice")
        assert status == 200

        # Throttled: carol's budget admits USER_RATE requests, then 429.
        for count in range(USER_RATE):
            status, _, headers = call("GET", NOTES, "carol")
            assert status == 200, (count, status)
            assert f'"user";r={USER_RATE - count - 1};' in headers["RateLimit"], headers
        status, answer, headers = call("GET", NOTES, "carol")
        assert status == 429 and int(headers["Retry-After"]) > 0, (status, answer)
        assert_envelope(answer, status)

    # In the schema, with authentication and throttling documented.
    documented = operations(schema, NOTES)
    assert set(documented) == NOTE_OPERATIONS
    for name, operation in documented.items():
        assert {"401", "429"} <= set(operation["responses"]), name
        assert operation["responses"]["429"]["headers"]["Retry-After"]["required"], name
        assert "404" in operation["responses"] or "{id}" not in name, name

    # In the Postman collection.
    collection = tmp_path / "postman.json"
    run(project, "manage.py", "export_postman", "--output", str(collection))
    exported = postman_operations(json.loads(collection.read_text(encoding="utf-8")))
    assert NOTE_OPERATIONS <= exported, NOTE_OPERATIONS - exported

    # The whole suite passes, the notes' own tests included; its browser test opens Swagger UI
    # on every operation of the schema, the notes' among them.
    ran = baked_suite_passes(project, tmp_path)
    assert any(classname.startswith("notes.tests.") for classname, _ in ran), "notes untested"
    swagger_ui_was_opened(ran)


def test_deleting_the_example_as_the_readme_says_leaves_a_passing_suite(bake, tmp_path):
    project = bake()

    follow(project, "Delete the example", tmp_path)

    assert not (project / "tasks").exists()
    run(project, "manage.py", "check", "--fail-level", "WARNING")
    run(project, "manage.py", "makemigrations", "--check", "--dry-run")
    run(project, "manage.py", "migrate", "--no-input")
    with contextlib.closing(sqlite3.connect(project / "db.sqlite3")) as database:
        tables = {row[0] for row in database.execute("SELECT name FROM sqlite_master")}
    assert "tasks_task" not in tables and "auth_user" in tables

    run(project, "manage.py", "spectacular", "--format", "openapi-json", "--file", "schema.json")
    schema = json.loads((project / "schema.json").read_text(encoding="utf-8"))
    assert operations(schema, "/api/tasks") == {}
    assert "/api/auth/token/" in schema["paths"]

    ran = baked_suite_passes(project, tmp_path)
    assert any(classname.startswith("api_layer.tests.") for classname, _ in ran)
    assert any(classname.startswith("accounts.tests.") for classname, _ in ran)
    with contextlib.closing(sqlite3.connect(project / "db.sqlite3")) as database:
        kinds = {row[0] for row in database.execute("SELECT app_label FROM django_content_type")}
    assert "tasks" not in kinds  # remove_stale_contenttypes, as the recipe says
    run(project, "-m", "ruff", "check", "--no-cache", ".")
    run(project, "-m", "ruff", "format", "--check", "--no-cache", ".")

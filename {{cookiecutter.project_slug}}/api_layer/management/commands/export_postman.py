"""Write a Postman Collection (v2.1) of the whole API.

`python manage.py export_postman [--output postman_collection.json] [--base-url URL]`

Folders in the order Postman's collection runner sends them: the health check; registration and
login of a fresh demo account; every task operation with the token of `tokens.local.json` (its
first user, when the file exists); a folder that repeats the list request once more than the
user rate admits, so the last answers 429; the demo account's logout and logout-all. Variables:
`base_url`, `token`, `task_id` (set by "Create a task") and the demo account's. Each request
has a test script stating the status codes it accepts.

The file holds a token: it is git-ignored, written with mode 0600, and never to be committed.
"""

import json
import os
import secrets
import uuid
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from api_layer.rates import configured_rates, parse_rate

SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
# A throttling folder longer than this is cut short: the collection would be unwieldy.
MAX_REPEATS = 1000


def var(name):
    """A Postman variable reference: the name in double braces."""
    return "{{" + name + "}}"


def request(name, method, path, *, auth=None, body=None, expect=(200,), sets=None):
    """One Postman item; `auth` names the variable sent in `Authorization: Token ...`."""
    headers = [{"key": "Accept", "value": "application/json"}]
    if auth:
        headers.append({"key": "Authorization", "value": f"Token {var(auth)}"})
    item = {
        "name": name,
        "request": {
            "method": method,
            "header": headers,
            "url": {
                "raw": var("base_url") + path,
                "host": [var("base_url")],
                "path": [part for part in path.split("/") if part] + [""],
            },
        },
        "event": [{"listen": "test", "script": {"type": "text/javascript", "exec": []}}],
    }
    if body is not None:
        headers.append({"key": "Content-Type", "value": "application/json"})
        item["request"]["body"] = {
            "mode": "raw",
            "raw": json.dumps(body, indent=2),
            "options": {"raw": {"language": "json"}},
        }
    script = item["event"][0]["script"]["exec"]
    script.append(
        f'pm.test("status is one of {list(expect)}", () => '
        f"pm.expect(pm.response.code).to.be.oneOf({json.dumps(list(expect))}));"
    )
    for variable, field in (sets or {}).items():
        script.append(
            f"if (pm.response.code < 300) "
            f'pm.collectionVariables.set("{variable}", pm.response.json().{field});'
        )
    return item


def folder(name, description, items):
    return {"name": name, "description": description, "item": items}


def first_token(path):
    if not path.is_file():
        return ""
    tokens = json.loads(path.read_text(encoding="utf-8"))
    return next(iter(tokens.values()), "") if isinstance(tokens, dict) else ""


def build_collection(base_url, token):
    user_rate, _ = configured_rates()
    admitted, window = parse_rate(user_rate)
    repeats = min(admitted + 1, MAX_REPEATS)
    task = f"/api/tasks/{var('task_id')}/"
    credentials = {"username": var("demo_username"), "password": var("demo_password")}
    new_task = {"title": "Buy milk", "description": "Two litres", "completed": False}
    return {
        "info": {
            "_postman_id": str(uuid.uuid4()),
            "name": settings.SPECTACULAR_SETTINGS["TITLE"],
            "description": settings.SPECTACULAR_SETTINGS["DESCRIPTION"],
            "schema": SCHEMA,
        },
        "item": [
            folder(
                "Health",
                "Open to anyone, never throttled.",
                [request("Health check", "GET", "/api/health/")],
            ),
            folder(
                "Auth",
                "A fresh demo account: register it, then log in with its password.",
                [
                    request(
                        "Register",
                        "POST",
                        "/api/auth/register/",
                        body=credentials,
                        expect=(201,),
                        sets={"demo_token": "token"},
                    ),
                    request(
                        "Obtain a token",
                        "POST",
                        "/api/auth/token/",
                        body=credentials,
                        sets={"demo_session_token": "token"},
                    ),
                ],
            ),
            folder(
                "Tasks",
                "Every task operation, with `token` (another user's task would be 404).",
                [
                    request(
                        "Create a task",
                        "POST",
                        "/api/tasks/",
                        auth="token",
                        body=new_task,
                        expect=(201,),
                        sets={"task_id": "id"},
                    ),
                    request("List tasks", "GET", "/api/tasks/", auth="token"),
                    request("Read a task", "GET", task, auth="token"),
                    request(
                        "Replace a task",
                        "PUT",
                        task,
                        auth="token",
                        body={**new_task, "completed": True},
                    ),
                    request(
                        "Update a task", "PATCH", task, auth="token", body={"completed": False}
                    ),
                    request("Delete a task", "DELETE", task, auth="token", expect=(204,)),
                ],
            ),
            folder(
                "Throttling",
                (
                    f"The list request {repeats} times: the user rate is {user_rate}, so at the "
                    "latest the last one answers 429 with Retry-After (earlier requests of the "
                    "same user in the window count too)."
                ),
                [
                    request(
                        f"List tasks ({n} of {repeats})",
                        "GET",
                        "/api/tasks/",
                        auth="token",
                        expect=(200, 429),
                    )
                    for n in range(1, repeats + 1)
                ],
            ),
            folder(
                "Log out",
                "Revoke the demo account's tokens: one, then all.",
                [
                    request(
                        "Log out",
                        "POST",
                        "/api/auth/logout/",
                        auth="demo_session_token",
                        expect=(204,),
                    ),
                    request(
                        "Log out everywhere",
                        "POST",
                        "/api/auth/logoutall/",
                        auth="demo_token",
                        expect=(204,),
                    ),
                ],
            ),
        ],
        "variable": [
            {"key": "base_url", "value": base_url.rstrip("/")},
            {"key": "token", "value": token},
            {"key": "task_id", "value": ""},
            {"key": "demo_username", "value": f"postman-{secrets.token_hex(4)}"},
            {"key": "demo_password", "value": secrets.token_urlsafe(18)},
            {"key": "demo_token", "value": ""},
            {"key": "demo_session_token", "value": ""},
        ],
    }


class Command(BaseCommand):
    help = "Write a Postman Collection v2.1 of the API, with base_url and token filled in."

    def add_arguments(self, parser):
        parser.add_argument("--output", default="postman_collection.json")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument(
            "--tokens-file",
            default=str(settings.BASE_DIR / "tokens.local.json"),
            help="JSON {username: token} (default: tokens.local.json); the first token is used.",
        )

    def handle(self, *args, output, base_url, tokens_file, **options):
        try:
            token = first_token(Path(tokens_file))
            collection = build_collection(base_url, token)
        except ValueError as error:
            raise CommandError(str(error)) from error
        path = Path(output)
        if not path.is_absolute():
            path = settings.BASE_DIR / path
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(collection, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        os.chmod(path, 0o600)
        source = "with the first token of tokens.local.json" if token else "without a token"
        self.stdout.write(f"Wrote {path} for {base_url} ({source}).")

"""Write a Postman Collection (v2.1) of the API, derived from its OpenAPI schema.

`python manage.py export_postman [--output postman_collection.json] [--base-url URL]
[--tokens-file tokens.local.json]`

Threat: a collection written by hand drifts from the API; a new resource is missing, a renamed
field makes a request fail. Decision: every request is built from the schema that `/api/schema/`
serves (drf-spectacular, generated in this process), so a new operation appears by itself:

- Folders by the operation's first tag, in an order Postman's collection runner can send: health;
  the accounts folder (a fresh demo account registers, then logs in); every other tag, each
  resource as create, list, read, replace, update, delete; Throttling; Log out (the demo account's
  tokens, one, then all).
- A body is the operation's first request example, else built from its request schema: the
  required properties (the first one when none is), with values that honour type, format,
  length and enum.
- A path parameter such as `{id}` of `/api/notes/{id}/` is the variable `notes_id`, set from the
  `id` of the answer by the test script of the create operation (POST `/api/notes/`).
- Operations whose security names `knoxApiToken` send `Authorization: Token {{token}}`, except
  the demo account's: accounts' `register`, `token`, `logout` and `logoutall` (by URL name), and
  the other operations under their tag, which use the demo account's credentials and tokens.
- Throttling repeats the first GET without a path parameter that needs a token, else one that
  accepts a token, once more than the user rate admits, so the last answers 429. No such GET,
  no folder.
- Each test script accepts the success (2xx) codes its operation documents, and is written in
  two line shapes only (`oneOf([...])`, `collectionVariables.set(...)`), which the tests read.

Variables: `base_url`, `token` (the first of the tokens file; empty without it), the demo
account's, and one per path parameter. The file holds a token: it is git-ignored, written with
mode 0600, and never to be committed.
"""

import json
import re
import secrets
import uuid
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import NoReverseMatch, reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from api_layer.local_files import read_tokens, write_private
from api_layer.rates import configured_rates, parse_rate

SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
# A throttling folder longer than this is cut short: the collection would be unwieldy.
MAX_REPEATS = 1000
SECURITY_SCHEME = "knoxApiToken"
METHODS = ["post", "get", "put", "patch", "delete", "head", "options", "trace"]
PARAMETER = re.compile(r"\{(\w+)\}")
# The demo account's steps, by accounts' URL names, in the order they run (the other operations
# of their tag run between the first two): the token each sends, the variable each sets from the
# `token` of its answer. The last two make the Log out folder.
DEMO_STEPS = {
    "register": (None, "demo_token"),
    "token": (None, "demo_session_token"),
    "logout": ("demo_session_token", None),
    "logoutall": ("demo_token", None),
}
LOG_OUT = ("logout", "logoutall")
# Before registering, the demo account takes a name no earlier run of the collection used.
FRESH_USERNAME = (
    'pm.collectionVariables.set("demo_username", "postman-" + Date.now().toString(36));'
)
# Values of the bodies built from a schema, by the format of a string.
FORMATS = {
    "date-time": "2030-01-01T09:00:00Z",
    "date": "2030-01-01",
    "time": "09:00:00",
    "email": "demo@example.com",
    "uri": "https://example.com/",
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "decimal": "1",
}


def var(name):
    """A Postman variable reference: the name in double braces."""
    return "{{" + name + "}}"


def served_schema():
    """The schema `/api/schema/` serves, through the same JSON renderer."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema))


class Operation:
    """One operation of the schema, and what the collection needs to know of it."""

    def __init__(self, schema, method, path, spec):
        self.method, self.path, self.spec = method.upper(), path, spec
        self.name = spec.get("summary") or f"{self.method} {path}"
        self.tag = (spec.get("tags") or [path.strip("/").split("/")[0]])[0]
        security = spec.get("security", schema.get("security", []))
        self.sends_token = any(SECURITY_SCHEME in requirement for requirement in security)
        self.needs_token = self.sends_token and {} not in security
        codes = [int(code) for code in spec["responses"] if code.isdigit()]
        self.accepts = [code for code in codes if 200 <= code < 300] or [
            code for code in codes if code < 400
        ]

    def resource_order(self):
        """Create, list, read, replace, update, then delete (the deepest paths' first)."""
        depth = self.path.count("{")
        if self.method == "DELETE":
            return (1, -depth, self.path)
        return (0, depth, METHODS.index(self.method.lower()), self.path)


def operations(schema):
    return [
        Operation(schema, method, path, spec)
        for path, item in schema["paths"].items()
        for method, spec in item.items()
        if method in METHODS
    ]


def path_variables(path):
    """{parameter: collection variable}: `{id}` of `/api/notes/{id}/` is `notes_id`."""
    variables, previous = {}, ""
    for part in path.strip("/").split("/"):
        match = PARAMETER.fullmatch(part)
        if match:
            variables[match[1]] = re.sub(r"\W", "_", f"{previous}_{match[1]}".lstrip("_"))
        else:
            previous = part
    return variables


def variables_set_by_creates(operations):
    """{collection path: {variable: answer field}}: POST /api/notes/ sets `notes_id` from `id`."""
    sets = {}
    for operation in operations:
        for parameter, variable in path_variables(operation.path).items():
            collection_path = operation.path.split("{" + parameter + "}")[0]
            sets.setdefault(collection_path, {})[variable] = parameter
    return sets


def resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def sample(schema, node, name=""):
    """A plausible value for the schema `node` of the property `name`."""
    node = resolve(schema, node)
    for combined in ("allOf", "oneOf", "anyOf"):
        if node.get(combined):
            return sample(schema, node[combined][0], name)
    if "example" in node:
        return node["example"]
    if node.get("enum"):
        return next((value for value in node["enum"] if value is not None), None)
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        writable = {
            key: value
            for key, value in node.get("properties", {}).items()
            if not resolve(schema, value).get("readOnly")
        }
        chosen = [key for key in writable if key in node.get("required", [])] or [*writable][:1]
        return {key: sample(schema, writable[key], key) for key in chosen}
    if kind == "array":
        return [sample(schema, node.get("items", {}), name)] * max(1, node.get("minItems", 1))
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        value = node.get("minimum", 1)
        return min(value, node.get("maximum", value))
    if node.get("format") in FORMATS:
        return FORMATS[node["format"]]
    # Letters, digits and spaces only, as a title accepts.
    text = " ".join(["Example", *re.findall(r"[^\W_]+", name)])
    return text.ljust(node.get("minLength", 0), "x")[: node.get("maxLength", len(text))]


def request_body(schema, operation):
    """The operation's first request example, else a body built from its request schema."""
    content = operation.spec.get("requestBody", {}).get("content", {})
    media = content.get("application/json") or next(iter(content.values()), None)
    if media is None:
        return None
    examples = [example["value"] for example in media.get("examples", {}).values()]
    if examples:
        return examples[0]
    return media["example"] if "example" in media else sample(schema, media.get("schema", {}))


def with_demo_account(body):
    """The demo account's username and password in place of those the body holds."""
    if not isinstance(body, dict):
        return body
    demo = {"username": var("demo_username")}
    return {
        key: var("demo_password") if "password" in key else demo.get(key, value)
        for key, value in body.items()
    }


def checks(accepts, sets):
    """Every test script has two line shapes: the codes accepted, then each variable set."""
    lines = [
        f'pm.test("status is one of {accepts}", () => '
        f"pm.expect(pm.response.code).to.be.oneOf({json.dumps(accepts)}));"
    ]
    lines += [
        f"if (pm.response.code < 300) "
        f'pm.collectionVariables.set("{variable}", pm.response.json()["{field}"]);'
        for variable, field in sets.items()
    ]
    return lines


def prerequest(lines):
    return {"listen": "prerequest", "script": {"type": "text/javascript", "exec": lines}}


def request(operation, *, auth, body=None, sets=None, name=None, accepts=None):
    """One Postman item; `auth` names the variable sent in `Authorization: Token ...`."""
    headers = [{"key": "Accept", "value": "application/json"}]
    if auth:
        headers.append({"key": "Authorization", "value": f"Token {var(auth)}"})
    parts = operation.path.strip("/").split("/")
    segments = [PARAMETER.sub(r":\1", part) for part in parts]
    if operation.path.endswith("/"):
        segments.append("")
    item = {
        "name": name or operation.name,
        "request": {
            "method": operation.method,
            "header": headers,
            "url": {
                "raw": var("base_url") + "/" + "/".join(segments),
                "host": [var("base_url")],
                "path": segments,
                "variable": [
                    {"key": parameter, "value": var(variable)}
                    for parameter, variable in path_variables(operation.path).items()
                ],
            },
        },
        "event": [
            {
                "listen": "test",
                "script": {
                    "type": "text/javascript",
                    "exec": checks(accepts or operation.accepts, sets or {}),
                },
            }
        ],
    }
    if body is not None:
        headers.append({"key": "Content-Type", "value": "application/json"})
        item["request"]["body"] = {
            "mode": "raw",
            "raw": json.dumps(body, indent=2, ensure_ascii=False),
            "options": {"raw": {"language": "json"}},
        }
    return item


def demo_roles():
    """{path: accounts' URL name} of the demo account's steps that are routed."""
    roles = {}
    for url_name in DEMO_STEPS:
        try:
            roles[reverse(url_name)] = url_name
        except NoReverseMatch:
            continue
    return roles


def throttling_probe(operations):
    """The GET the Throttling folder repeats: no path parameter, a token needed, else accepted."""
    gets = [op for op in operations if op.method == "GET" and "{" not in op.path]
    with_token = [op for op in gets if op.sends_token]
    return next((op for op in with_token if op.needs_token), next(iter(with_token), None))


def title(tag):
    return tag[:1].upper() + tag[1:]


def build_collection(schema, base_url, token):
    user_rate, _ = configured_rates()
    admitted, _ = parse_rate(user_rate)
    repeats = min(admitted + 1, MAX_REPEATS)
    every = operations(schema)
    roles = demo_roles()
    demo_tags = {op.tag for op in every if op.path in roles}
    created = variables_set_by_creates(every)
    tag_order = [*dict.fromkeys(op.tag for op in every)]
    descriptions = {
        title(tag["name"]): tag.get("description", "") for tag in schema.get("tags", [])
    }

    def folder_name(op):
        return "Log out" if roles.get(op.path) in LOG_OUT else title(op.tag)

    def running_order(op):
        """Health, the demo account's tag, the other tags, (Throttling), Log out."""
        role = roles.get(op.path)
        if role in LOG_OUT:
            group = 3
        else:
            group = 0 if op.tag == "health" else 1 if op.tag in demo_tags else 2
        rank = 2 * list(DEMO_STEPS).index(role) if role else 1
        return (group, tag_order.index(op.tag), rank, op.resource_order())

    def item(op):
        body = request_body(schema, op)
        if op.tag not in demo_tags:
            sets = created.get(op.path, {}) if op.method == "POST" else {}
            return request(op, auth="token" if op.sends_token else None, body=body, sets=sets)
        default = ("demo_token" if op.sends_token else None, None)
        sent, received = DEMO_STEPS.get(roles.get(op.path), default)
        sets = {received: "token"} if received else {}
        demo_step = request(op, auth=sent, body=with_demo_account(body), sets=sets)
        if roles.get(op.path) == "register":  # a fresh account per run: the collection reruns
            demo_step["event"].append(prerequest([FRESH_USERNAME]))
        return demo_step

    folders = {}
    for op in sorted(every, key=running_order):
        folders.setdefault(folder_name(op), []).append(op)
    descriptions["Log out"] = "Revoke the demo account's tokens: one, then all."
    items = [
        {"name": name, "description": descriptions.get(name, ""), "item": [*map(item, ops)]}
        for name, ops in folders.items()
    ]
    probe = throttling_probe(every)
    if probe:
        throttling = {
            "name": "Throttling",
            "description": (
                f"{probe.method} {probe.path} {repeats} times: the user rate is {user_rate}, so "
                "at the latest the last one answers 429 with Retry-After (earlier requests of "
                "the same user in the window count too)."
            ),
            "item": [
                request(
                    probe,
                    auth="token",
                    name=f"{probe.name} ({n} of {repeats})",
                    accepts=[*probe.accepts, 429],
                )
                for n in range(1, repeats + 1)
            ],
        }
        items.insert(len(items) - ("Log out" in folders), throttling)
    path_variable_names = sorted({v for op in every for v in path_variables(op.path).values()})
    return {
        "info": {
            "_postman_id": str(uuid.uuid4()),
            "name": schema["info"]["title"],
            "description": schema["info"].get("description", ""),
            "schema": SCHEMA,
        },
        "item": items,
        "variable": [
            {"key": "base_url", "value": base_url.rstrip("/")},
            {"key": "token", "value": token},
            {"key": "demo_username", "value": f"postman-{secrets.token_hex(4)}"},
            {"key": "demo_password", "value": secrets.token_urlsafe(18)},
            {"key": "demo_token", "value": ""},
            {"key": "demo_session_token", "value": ""},
            *({"key": name, "value": ""} for name in path_variable_names),
        ],
    }


def first_token(path):
    tokens = read_tokens(path)
    return next(iter(tokens.values()), "") if isinstance(tokens, dict) else ""


class Command(BaseCommand):
    help = "Write a Postman Collection v2.1 of the API's schema, with base_url and token filled in."

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
            collection = build_collection(served_schema(), base_url, token)
        except ValueError as error:
            raise CommandError(str(error)) from error
        path = Path(output)
        if not path.is_absolute():
            path = settings.BASE_DIR / path
        write_private(path, json.dumps(collection, indent=2, ensure_ascii=False) + "\n")
        source = "with the first token of tokens.local.json" if token else "without a token"
        self.stdout.write(f"Wrote {path} for {base_url} ({source}).")

"""JSON request bodies: UTF-8, one meaning per body, bounded nesting.

Threats and decisions:
- A body read one way here and another way by a proxy, a WAF or a log is an attack surface.
  `{"title": "<script>…</script>", "title": "Harmless"}` is a 400: Python keeps the last
  duplicate key, other parsers the first. A body in another charset
  (`Content-Type: application/json; charset=latin-1`) is a 415: JSON exchanged between systems
  is UTF-8 (RFC 8259 §8.1), and Django would otherwise decode it as the client says. A string
  with a lone surrogate (`"\\ud800"`) is a 400: it has no UTF-8 form (RFC 8259 §8.2), so it can
  be neither stored nor logged, and each database fails on it differently (500s).
- A deeply nested body (`[[[[...]]]]`, 100,000 levels in 200 KB) makes Python's json module raise
  `RecursionError`: a 400 here, and any body nested deeper than `MAX_DEPTH` as well (API resources
  are flat objects). The body size is bounded before parsing by Django's
  `DATA_UPLOAD_MAX_MEMORY_SIZE`, answered with 413 in `errors.bad_request`.
DRF's `JSONParser.parse` cannot be told to reject duplicate keys (it takes no
`object_pairs_hook`), so `parse` is ours: DRF's strict JSON (no NaN or Infinity) and its
`ParseError` messages, with the checks above.
"""

import codecs

from django.utils.http import parse_header_parameters
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

MAX_DEPTH = 32
TOO_DEEP = f"JSON parse error - nested deeper than {MAX_DEPTH} levels."
DUPLICATE_KEY = "JSON parse error - an object repeats a key."
NOT_UTF8 = "JSON parse error - a string has no UTF-8 form (a lone surrogate)."


def unique_keys(pairs):
    """`object_pairs_hook`: an object whose keys are all different, else a parse error."""
    data = dict(pairs)
    if len(data) != len(pairs):
        raise ParseError(DUPLICATE_KEY)
    return data


def is_utf8(charset):
    try:
        return codecs.lookup(charset).name == "utf-8"
    except LookupError:
        return False


def refusal(data, max_depth):
    """Why the parsed `data` is refused (too deep, a string with no UTF-8 form), or None.

    Iterative: no recursion on a structure built to be deep.
    """
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return NOT_UTF8
        elif isinstance(value, (dict, list)):
            if depth > max_depth:
                return TOO_DEEP
            children = [*value, *value.values()] if isinstance(value, dict) else value
            pending.extend((child, depth + 1) for child in children)
    return None


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        charset = parse_header_parameters(media_type or "")[1].get("charset")
        if charset is not None and not is_utf8(charset):
            raise UnsupportedMediaType(media_type)
        try:
            data = json.loads(stream.read().decode("utf-8"), object_pairs_hook=unique_keys)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        except ValueError as error:  # UnicodeDecodeError included
            raise ParseError(f"JSON parse error - {error}") from None
        reason = refusal(data, MAX_DEPTH)
        if reason:
            raise ParseError(reason)
        return data

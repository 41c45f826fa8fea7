"""JSON request bodies with bounded nesting.

Threat: a deeply nested JSON body (`[[[[...]]]]`, 100,000 levels in 200 KB) makes Python's json
module raise `RecursionError`, which DRF's `JSONParser` does not catch: a 500 per request, and a
traceback in the log each time. Decision: DRF's parser, with the recursion turned into a 400 and
any body nested deeper than `MAX_DEPTH` refused as well (API resources are flat objects). The body
size is bounded before parsing by Django's `DATA_UPLOAD_MAX_MEMORY_SIZE` (DRF reads JSON through
`request.body`), answered with 413 in `errors.bad_request`.
"""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32
TOO_DEEP = f"JSON parse error - nested deeper than {MAX_DEPTH} levels."


def nesting_exceeds(data, limit):
    """True when lists and objects in `data` nest deeper than `limit` (iterative: no recursion)."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, (dict, list)):
            if depth > limit:
                return True
            children = value.values() if isinstance(value, dict) else value
            pending.extend((child, depth + 1) for child in children)
    return False


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if nesting_exceeds(data, MAX_DEPTH):
            raise ParseError(TOO_DEEP)
        return data

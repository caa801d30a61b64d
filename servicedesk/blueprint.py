"""The API's Blueprint: flask-smorest's, with a body reader that refuses rather than guesses.

Every `@blp.arguments` body goes through `BodyParser`:

- a body that is not JSON (a form, plain text, XML) is 415, not an empty object;
- a JSON number of more digits than Python reads (4 300) is 400, not a 500;
- malformed JSON is 400 with `details.fields` as a dict, like every other 4xx;
- a PATCH with nothing in it (`{}` or no body) is 422 `nothing_to_change`: a PATCH that
  changes nothing would still bump the version and write an event, so it is refused.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

import flask
from flask_smorest import Blueprint as SmorestBlueprint
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request
from werkzeug.exceptions import UnsupportedMediaType

from servicedesk.errors import ApiError

#: The message of a PATCH that changes nothing.
NOTHING_TO_CHANGE = "Nothing to change: name at least one field to change."


class BodyParser(FlaskParser):
    """webargs' Flask parser with the API's rules for reading a JSON body."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        raw = req.get_data(cache=True)
        if not raw:
            body: Any = core.missing
        elif not is_json_request(req):
            raise UnsupportedMediaType(
                "The request body must be JSON (Content-Type: application/json)."
            )
        else:
            body = _parse_json(raw)
        if req.method == "PATCH" and (body is core.missing or body == {}):
            raise ApiError(NOTHING_TO_CHANGE, status=422, code="nothing_to_change")
        return body

    def _handle_invalid_json_error(
        self, error: Any, req: flask.Request, *a: Any, **k: Any
    ) -> NoReturn:
        abort(400, exc=error, messages={"json": {"_schema": ["Invalid JSON body."]}})


def _parse_json(raw: bytes) -> Any:
    try:
        return core.parse_json(raw)
    except json.JSONDecodeError:
        raise
    except ValueError as exc:
        # Only an integer beyond Python's int-string limit (4 300 digits) gets here.
        raise ApiError(
            "A number in the request body has too many digits.",
            status=400,
            code="bad_request",
            details={"fields": {"_schema": ["A number has more than 4300 digits."]}},
        ) from exc


class Blueprint(SmorestBlueprint):
    """A flask-smorest Blueprint whose `arguments` read bodies with `BodyParser`."""

    ARGUMENTS_PARSER = BodyParser()

    def arguments(self, schema: Any, **kwargs: Any) -> Any:
        """flask-smorest's `arguments`, given a schema instance made once here: handed a
        schema class, webargs builds a new instance on every request (a fifth of a
        millisecond, on every write and list). Loading keeps no state in the instance."""
        if isinstance(schema, type):
            schema = schema()
        return super().arguments(schema, **kwargs)

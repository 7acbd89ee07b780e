"""Reading Prometheus API answers: every way one can be wrong is a one-line ProbeError."""

from __future__ import annotations

import json
import math

import pytest

from pytest_deploygate.checks.promql import Series
from pytest_deploygate.errors import ProbeAuthError, ProbeProtocolError
from pytest_deploygate.probes.promql import parse_answer

WHERE = "Prometheus http://prom:9090/api/v1/query"


def ok(result_type: str, result: object) -> str:
    return json.dumps({"status": "success", "data": {"resultType": result_type, "result": result}})


def test_a_vector_gives_one_point_per_series_with_its_labels() -> None:
    text = ok(
        "vector",
        [
            {"metric": {"job": "api", "__name__": "up"}, "value": [1700000000.5, "1"]},
            {"metric": {"job": "db"}, "value": [1700000000.5, "NaN"]},
        ],
    )
    up, db = parse_answer(200, text, WHERE)
    assert up == Series((("__name__", "up"), ("job", "api")), ((1700000000.5, 1.0),))
    assert up.describe() == 'up{job="api"}'
    assert math.isnan(db.points[0][1])
    assert db.describe() == '{job="db"}'
    assert Series((), ()).describe() == ""


def test_a_matrix_gives_every_point_and_a_scalar_one_unlabelled_series() -> None:
    text = ok("matrix", [{"metric": {}, "values": [[1.0, "+Inf"], [2.0, "3.5"]]}])
    assert parse_answer(200, text, WHERE) == (Series((), ((1.0, math.inf), (2.0, 3.5))),)
    assert parse_answer(200, ok("scalar", [5.0, "0.25"]), WHERE) == (Series((), ((5.0, 0.25),)),)


def test_an_empty_result_is_no_series_not_an_error() -> None:
    assert parse_answer(200, ok("vector", []), WHERE) == ()


@pytest.mark.parametrize(
    ("status", "text", "error", "message"),
    [
        (
            400,
            json.dumps({"status": "error", "errorType": "bad_data", "error": "parse error"}),
            ProbeProtocolError,
            r"refused the query \(bad_data\): parse error",
        ),
        (
            503,
            json.dumps({"status": "error", "errorType": "timeout", "error": "query timed out"}),
            ProbeProtocolError,
            r"\(timeout\): query timed out",
        ),
        (502, "<html>Bad Gateway</html>", ProbeProtocolError, "answered 502 without the API"),
        (200, ok("string", [1.0, "hello"]), ProbeProtocolError, "a string, not numbers"),
        (200, ok("vector", [{"metric": {}}]), ProbeProtocolError, "cannot read"),
        (401, "", ProbeAuthError, "answered 401: check the credentials"),
    ],
)
def test_a_bad_answer_is_an_error_that_says_what_went_wrong(
    status: int, text: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message) as raised:
        parse_answer(status, text, WHERE)
    assert str(raised.value).startswith(WHERE)
    assert "\n" not in str(raised.value)

"""No secret in any output: terminal (-vv, -l, tracebacks, logs), JUnit, verdict JSON, HTML."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from urllib.parse import quote

import pytest

TOKEN = "tok-9f8e7d6c5b4a"
DB_PASSWORD = "pg-pass-5566"
# Characters that JSON, HTML, XML and URLs each escape their own way.
LISTED = 'listed"secret<77>&\\é'
BASIC_USER, BASIC_PASSWORD = "deployer", "basic-pw@4411"
BASIC = base64.b64encode(f"{BASIC_USER}:{BASIC_PASSWORD}".encode()).decode()

TEAM_TEST = f'''
import logging
import pytest

@pytest.mark.smoke
def test_token_in_assertion(target):
    token = "{TOKEN}"
    logging.getLogger("app").warning("calling with %s", token)
    print("stdout has", token)
    assert token == "something else"

@pytest.mark.smoke
def test_dsn_in_exception(target):
    raise RuntimeError("cannot connect to " + target.database_url)

@pytest.mark.smoke
def test_listed_in_message(target):
    import os
    pytest.fail("value " + os.environ["ODD_VALUE"])

@pytest.mark.smoke
def test_encoded_forms_in_output(target):
    import base64, json, os, urllib.parse
    value = os.environ["ODD_VALUE"]
    print("forms", urllib.parse.quote(value), json.dumps(value), repr(value))
    print("b64", base64.b64encode(value.encode()).decode())
    assert json.dumps({{"v": value}}) == "{{}}"
'''


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_no_secret_reaches_any_output(
    pytester: pytest.Pytester,
    http_base: str,
    monkeypatch: pytest.MonkeyPatch,
    workers: tuple[str, ...],
) -> None:
    monkeypatch.setenv("API_TOKEN", TOKEN)
    monkeypatch.setenv("ODD_VALUE", LISTED)
    pytester.makefile(
        ".toml",
        deploygate=f'''
paths = ["checks"]
secrets = ["ODD_VALUE"]
[targets.staging]
base_url = "{http_base.replace("://", f"://{BASIC_USER}:{quote(BASIC_PASSWORD)}@")}"
database_url = "postgresql://app:{DB_PASSWORD}@127.0.0.1:1/app"
headers = {{ Authorization = "Bearer ${{API_TOKEN}}" }}

[[checks]]
id = "echo-basic"
type = "http"
phases = ["smoke"]
path = "/headers"
expect_json = {{ Authorization = "nope" }}

[[checks]]
id = "echo-bearer"
type = "http"
phases = ["smoke"]
url = "{http_base}/headers"
expect_json = {{ Authorization = "nope" }}
''',
    )
    pytester.mkpydir("checks").joinpath("test_team.py").write_text(TEAM_TEST)
    result = pytester.runpytest_subprocess(
        "--target=staging",
        *workers,
        "-vv",
        "-l",
        "-rA",
        "--log-level=INFO",
        "--verdict-json=verdict.json",
        "--junitxml=junit.xml",
        "--html=report.html",
        "--self-contained-html",
    )
    assert result.ret == 1
    outputs = {
        "terminal": result.stdout.str() + result.stderr.str(),
        **{
            name: (pytester.path / name).read_text()
            for name in ("verdict.json", "junit.xml", "report.html")
        },
    }
    # The run really did put each secret in front of pytest:
    assert "Authorization" in outputs["verdict.json"]
    assert "Basic ***" in outputs["verdict.json"]
    assert "***" in outputs["terminal"]
    forms = {
        *(TOKEN, DB_PASSWORD, LISTED, BASIC, BASIC_PASSWORD, quote(BASIC_PASSWORD)),
        *(quote(LISTED), json.dumps(LISTED)[1:-1], base64.b64encode(LISTED.encode()).decode()),
        *(html.escape(LISTED), json.dumps(LISTED, ensure_ascii=False)[1:-1], repr(LISTED)[1:-1]),
    }
    for where, text in outputs.items():
        for secret in forms:
            assert secret not in text, f"{secret} leaked into {where}"


def test_masking_also_applies_under_xdist(
    pytester: pytest.Pytester, http_base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_TOKEN", TOKEN)
    pytester.makefile(
        ".toml", deploygate=f'paths = ["checks"]\n[targets.staging]\nbase_url = "{http_base}"\n'
    )
    pytester.mkpydir("checks").joinpath("test_team.py").write_text(
        "import pytest\n\n@pytest.mark.smoke\ndef test_x():\n"
        f'    token = "{TOKEN}"\n    assert token == 1\n'
    )
    result = pytester.runpytest_subprocess("--target=staging", "-n", "2", "-vv", "--junitxml=j.xml")
    assert result.ret == 1
    assert TOKEN not in result.stdout.str()
    assert TOKEN not in Path(pytester.path / "j.xml").read_text()


def test_a_team_test_parametrized_with_a_secret_shows_it_nowhere(
    pytester: pytest.Pytester, http_base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_TOKEN", TOKEN)
    pytester.makefile(
        ".toml", deploygate=f'paths = ["checks"]\n[targets.staging]\nbase_url = "{http_base}"\n'
    )
    pytester.mkpydir("checks").joinpath("test_team.py").write_text(
        "import os\nimport pytest\n\n"
        "@pytest.mark.smoke\n"
        "@pytest.mark.parametrize('token', [os.environ['API_TOKEN']])\n"
        "def test_x(token, measure):\n"
        "    measure('x.' + token, 1.0)\n"
        "    assert False\n"
    )
    result = pytester.runpytest_subprocess(
        "--target=staging", "-v", "--verdict-json=v.json", "--junitxml=j.xml"
    )
    assert result.ret == 1
    assert "test_x[***]" in result.stdout.str()
    for text in (
        result.stdout.str(),
        *(Path(pytester.path / f).read_text() for f in ("v.json", "j.xml")),
    ):
        assert TOKEN not in text

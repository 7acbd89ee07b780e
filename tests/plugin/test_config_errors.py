"""Bad input: a clear one-paragraph usage error, exit code 4, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_deploygate.errors import ConfigError
from pytest_deploygate.registry import BY_NAME
from pytest_deploygate.rules import ONE_THRESHOLD

BASE = '[targets.staging]\nbase_url = "http://127.0.0.1:9"\n'
QUANTILE = (
    '[[checks]]\nid = "m"\ntype = "prometheus"\nphases = ["smoke"]\n'
    '[[checks.quantiles]]\nname = "p95"\nmetric = "{metric}"\nq = {q}\n'
)
CHECK = '[[checks]]\nid = "health"\ntype = "http"\nphases = ["smoke"]\npath = "/health"\n'


def usage_error(pytester: pytest.Pytester, *args: str) -> str:
    result = pytester.runpytest(*args)
    assert result.ret == 4, result.stdout.str() + result.stderr.str()
    text = result.stderr.str() + result.stdout.str()
    assert "Traceback" not in text
    assert "INTERNALERROR" not in text
    assert "VERDICT: GO" not in text
    return text


@pytest.mark.parametrize(
    ("toml", "args", "expected"),
    [
        pytest.param(None, (), "no config found for target 'staging'", id="missing-config"),
        pytest.param(BASE + "[[checks]\n", (), "is not valid TOML", id="toml-syntax"),
        pytest.param(
            BASE,
            ("--target=prod",),
            "unknown target 'prod'; defined targets: staging",
            id="unknown-target",
        ),
        pytest.param(
            BASE,
            ("--target=stagin",),
            "unknown target 'stagin'; defined targets: staging. Did you mean 'staging'?",
            id="unknown-target-with-nearest",
        ),
        pytest.param(
            BASE.replace("staging", "production"),
            ("--target=prod",),
            "unknown target 'prod'; defined targets: production. Did you mean 'production'?",
            id="unknown-target-that-begins-a-defined-one",
        ),
        pytest.param(
            '[targets.staging]\nbase_url = "127.0.0.1:18765"\n',
            (),
            "deploygate.toml: targets.staging.base_url: '127.0.0.1:18765' is not a URL: it has "
            "no scheme (http:// or https://); write http://127.0.0.1:18765.",
            id="base-url-without-scheme",
        ),
        pytest.param(
            '[targets.staging]\nbase_url = "ftp://files.example/"\n',
            (),
            "targets.staging.base_url: 'ftp://files.example/' has scheme ftp://, expected "
            "http:// or https://; write http://files.example/.",
            id="base-url-with-other-scheme",
        ),
        pytest.param(
            '[targets.staging]\nbase_url = "http:///health"\n',
            (),
            "targets.staging.base_url: 'http:///health' has no host",
            id="base-url-without-host",
        ),
        pytest.param(
            BASE + 'websocket_url = "https://api.example/ws"\n',
            (),
            "targets.staging.websocket_url: 'https://api.example/ws' has scheme https://, "
            "expected ws:// or wss://; write wss://api.example/ws.",
            id="websocket-url-with-http-scheme",
        ),
        pytest.param(
            BASE + 'prometheus_url = "metrics.internal:9090/metrics"\n',
            (),
            "targets.staging.prometheus_url: 'metrics.internal:9090/metrics' is not a URL",
            id="prometheus-url-without-scheme",
        ),
        pytest.param(
            BASE + CHECK.replace('path = "/health"', 'url = "api.example/health"'),
            (),
            "checks[0] (id 'health').url: 'api.example/health' is not a URL: it has no scheme "
            "(http:// or https://); write http://api.example/health.",
            id="http-url-without-scheme",
        ),
        pytest.param(
            BASE + '[[checks]]\nid = "l"\ntype = "load"\nphases = ["smoke"]\nurl = "x:80/"\n',
            (),
            "checks[0] (id 'l').url: 'x:80/' is not a URL",
            id="load-url-without-scheme",
        ),
        pytest.param(
            BASE + '[[checks]]\nid = "m"\ntype = "prometheus"\nphases = ["smoke"]\n'
            'url = "localhost:9090/metrics"\nrequire = ["up"]\n',
            (),
            "checks[0] (id 'm').url: 'localhost:9090/metrics' is not a URL",
            id="prometheus-check-url-without-scheme",
        ),
        pytest.param(
            BASE + '[[checks]]\nid = "w"\ntype = "websocket"\nphases = ["smoke"]\n'
            'url = "http://api.example/ws"\n',
            (),
            "checks[0] (id 'w').url: 'http://api.example/ws' has scheme http://, expected ws:// "
            "or wss://; write ws://api.example/ws.",
            id="websocket-check-url-with-http-scheme",
        ),
        pytest.param(
            BASE + '[[checks]]\nid = "err"\ntype = "promql"\nphases = ["postdeploy"]\n'
            'name = "error_rate"\nquery = "sum(rate(x[5m]))"\nmax = "5%"\n',
            (),
            "deploygate.toml: targets.staging.prometheus_server: is not set, and checks[0] "
            "(id 'err', type 'promql') needs it. Fix: set prometheus_server in "
            "[targets.staging]",
            id="promql-without-prometheus-server",
        ),
        pytest.param(
            BASE + QUANTILE.format(q="1.5", metric="http_request_duration_seconds"),
            (),
            "checks[0] (id 'm').quantiles[0].q: Input should be less than or equal to 1",
            id="quantile-q-above-1",
        ),
        pytest.param(
            BASE + QUANTILE.format(q="0.95", metric="http_request_duration_seconds_bucket"),
            (),
            "checks[0] (id 'm').quantiles[0].metric: give the histogram's family name, without "
            "'_bucket' (metric = 'http_request_duration_seconds')",
            id="quantile-of-a-bucket-series",
        ),
        pytest.param(
            '[targets.staging]\nbase_url = "${NOPE_NOT_SET}"\n',
            (),
            "targets.staging.base_url: environment variable NOPE_NOT_SET is not set",
            id="missing-env-var",
        ),
        pytest.param(
            BASE + CHECK.replace('"http"', '"htttp"'),
            (),
            "unknown type 'htttp'; known check types:",
            id="unknown-check-type",
        ),
        pytest.param(BASE + CHECK + CHECK, (), "duplicate check id 'health'", id="duplicate-id"),
        pytest.param(
            BASE + CHECK + 'timeout = "5 sec"\n',
            (),
            "checks[0] (id 'health').timeout: expected a duration such as 250ms",
            id="bad-duration",
        ),
        pytest.param(
            BASE + CHECK + "expect_stauts = 200\n",
            (),
            "unknown key 'expect_stauts'. Did you mean 'expect_status'?",
            id="unknown-key-with-nearest",
        ),
        pytest.param(
            BASE + CHECK + 'expect_status = "ok"\n',
            (),
            "checks[0] (id 'health').expect_status",
            id="wrong-type",
        ),
        pytest.param(
            BASE + CHECK + 'on_fail = "panic"\n',
            (),
            "checks[0] (id 'health').on_fail: Input should be 'ok', 'investigate' or 'rollback'",
            id="bad-decision",
        ),
        pytest.param(
            BASE + CHECK.replace('phases = ["smoke"]\n', ""),
            (),
            "checks[0] (id 'health').phases: required key is missing",
            id="missing-phases",
        ),
        pytest.param(
            BASE + CHECK.replace('"smoke"', '"smok"'),
            (),
            "checks[0] (id 'health').phases[0]",
            id="bad-phase",
        ),
        pytest.param(
            BASE + CHECK.replace('id = "health"', 'id = "health check!"'),
            (),
            "(id 'health check!').id: must be made of letters, digits",
            id="bad-check-id",
        ),
        pytest.param(
            '[targets.a]\nextends = "b"\n[targets.b]\nextends = "a"\n',
            ("--target=a",),
            "targets extend each other in a cycle",
            id="extends-cycle",
        ),
        pytest.param(
            '[targets.staging]\nextends = "nowhere"\n',
            (),
            "targets.staging.extends: extends unknown target 'nowhere'",
            id="extends-unknown",
        ),
        pytest.param(
            BASE + '[[decision.rules]]\nmeasurement = "http.latency"\ndecision = "investigate"\n',
            (),
            f"decision.rules[0]: {ONE_THRESHOLD}",
            id="rule-without-threshold",
        ),
        pytest.param(
            BASE + CHECK.replace('path = "/health"\n', ""),
            (),
            "give exactly one of 'path'",
            id="http-without-address",
        ),
        pytest.param(
            'paths = ["team-checks"]\n' + BASE,
            (),
            "deploygate.toml: paths[0]: 'team-checks' does not exist",
            id="missing-paths-entry",
        ),
        pytest.param(
            BASE
            + '[[checks]]\nid = "errors"\ntype = "logs"\nphases = ["smoke"]\n'
            + "file = \"/var/log/app.log\"\npattern = 'ERROR'\nignore = ['GET /health|']\n",
            (),
            "checks[0] (id 'errors').ignore: 'ignore[0]' 'GET /health|' matches every line",
            id="logs-ignore-matching-every-line",
        ),
        pytest.param(
            BASE
            + '[[checks]]\nid = "env"\ntype = "env"\nphases = ["smoke"]\n'
            + "matching = ['OLLAMA_*', '.*']\n",
            (),
            "'matching[1]' '.*' matches every variable name",
            id="env-matching-every-name",
        ),
        pytest.param(BASE, ("--observe=soon",), "--observe: expected a duration", id="bad-observe"),
        pytest.param(
            BASE,
            ("--deploygate-concurrency=0",),
            "--deploygate-concurrency: expected a whole number",
            id="bad-concurrency",
        ),
        pytest.param(
            BASE,
            ("--demo-fault=slow",),
            "--demo-fault only applies to the built-in demo target",
            id="fault-outside-demo",
        ),
    ],
)
def test_bad_input_is_a_usage_error_naming_the_key(
    pytester: pytest.Pytester, toml: str | None, args: tuple[str, ...], expected: str
) -> None:
    if toml is not None:
        pytester.makefile(".toml", deploygate=toml)
    if not any(a.startswith("--target") for a in args):
        args = ("--target=staging", *args)
    text = usage_error(pytester, *args)
    assert expected in text
    if toml is not None and not any(
        a.startswith(("--observe", "--deploy", "--demo")) for a in args
    ):
        assert "deploygate.toml" in text


RULE = '[[decision.rules]]\nmeasurement = "http.latency"\ndecision = "investigate"\n'


@pytest.mark.parametrize(
    ("toml", "expected", "page"),
    [
        pytest.param(
            BASE + CHECK + 'url = "http://127.0.0.1:9/health"\n',
            "checks[0] (id 'health'): give exactly one of 'path' (relative to the target's "
            "base_url) or 'url'.",
            "docs/checks/http.md",
            id="http-with-path-and-url",
        ),
        pytest.param(
            BASE + RULE,
            f"decision.rules[0]: {ONE_THRESHOLD}.",
            "docs/decision-matrix.md",
            id="rule-without-threshold",
        ),
        pytest.param(
            BASE + RULE + 'above = "1s"\nbelow = "2s"\n',
            f"decision.rules[0]: {ONE_THRESHOLD}.",
            "docs/decision-matrix.md",
            id="rule-with-both-thresholds",
        ),
    ],
)
def test_a_table_level_error_says_what_to_do_without_dumping_the_table(
    pytester: pytest.Pytester, toml: str, expected: str, page: str
) -> None:
    pytester.makefile(".toml", deploygate=toml)
    text = usage_error(pytester, "--target=staging")
    assert expected in text
    assert f"Fix: see {page}." in text
    assert "got {" not in text
    assert "correct the value" not in text


def test_a_bad_url_does_not_show_its_password(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", deploygate='[targets.staging]\nbase_url = "app:s3cr3t@h:80"\n')
    text = usage_error(pytester, "--target=staging")
    assert "targets.staging.base_url: 'app:***@h:80' is not a URL" in text
    assert "s3cr3t" not in text


def test_an_incomplete_url_of_another_target_does_not_block_this_one(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(
        ".toml", deploygate=BASE + '[targets.production]\nbase_url = "${PROD_URL_NOT_SET}/api"\n'
    )
    assert pytester.runpytest("--target=staging").ret == 5


def test_a_toml_error_names_the_file_as_the_other_errors_do(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", deploygate=BASE + "[[checks]\n")
    text = usage_error(pytester, "--target=staging")
    assert "ERROR: deploygate.toml: is not valid TOML" in text
    assert str(pytester.path) not in text
    pytester.mkdir("conf")
    (pytester.path / "conf" / "gate.toml").write_text("[[checks]\n")
    text = usage_error(pytester, "--target=staging", "--deploygate-config=conf/gate.toml")
    assert f"ERROR: {Path('conf', 'gate.toml')}: is not valid TOML" in text


def test_a_suite_marker_without_a_known_type_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", deploygate=BASE)
    pytester.makepyfile(
        test_mine="""
        import pytest

        @pytest.mark.deploygate_suite("unknown")
        def test_a(deploygate_check):
            pass

        @pytest.mark.deploygate_suite
        def test_b(deploygate_check):
            pass
        """
    )
    text = usage_error(pytester, "--target=staging", "test_mine.py")
    assert "@pytest.mark.deploygate_suite(TYPE) takes one known check type" in text
    assert "test_mine.py::test_a ('unknown'); test_mine.py::test_b (no argument)" in text
    assert f"Known check types: {', '.join(sorted(BY_NAME))}." in text


def test_a_toml_error_names_line_and_column(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", deploygate=BASE + "\n\nbroken = = 1\n")
    assert "(at line 5, column 10)" in usage_error(pytester, "--target=staging")


def test_an_explicit_config_path_that_does_not_exist(pytester: pytest.Pytester) -> None:
    text = usage_error(pytester, "--target=staging", "--deploygate-config=nope.toml")
    assert "--deploygate-config: config file nope.toml does not exist" in text


def test_a_config_in_a_directory_above_is_named_with_the_option_that_reads_it(
    pytester: pytest.Pytester,
) -> None:
    # pytest started one directory too deep: the error says where the config is.
    pytester.makefile(".toml", deploygate=BASE)
    sub = pytester.mkdir("sub")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(sub)
        text = usage_error(pytester, "--target=staging")
    assert "no config found for target 'staging'" in text
    assert "There is a deploygate.toml in a directory above, at ../deploygate.toml" in text
    assert (
        f"Fix: run pytest in {pytester.path}, or pass --deploygate-config ../deploygate.toml"
        in text
    )


def test_pyproject_tool_table_is_found_upward(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(
        '[tool.deploygate.targets.staging]\nbase_url = "http://127.0.0.1:9"\n'
    )
    sub = pytester.mkdir("sub")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(sub)
        result = pytester.runpytest("--target=staging", "--rootdir", str(pytester.path))
    assert result.ret == 5  # found, valid, and no check declared
    result.stdout.fnmatch_lines(["*deploygate: target staging from*pyproject.toml*"])


def test_a_missing_variable_of_another_target_does_not_block_this_one(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(
        ".toml", deploygate=BASE + '[targets.production]\ndatabase_url = "${PROD_DB_NOT_SET}"\n'
    )
    assert pytester.runpytest("--target=staging").ret == 5


def test_defaults_and_extends_resolve(pytester: pytest.Pytester, http_base: str) -> None:
    pytester.makefile(
        ".toml",
        deploygate=f'[targets.staging]\nbase_url = "${{NOT_SET_URL:-{http_base}}}"\n'
        '[targets.production]\nextends = "staging"\n' + CHECK,
    )
    result = pytester.runpytest("--target=production")
    assert result.ret == 0


def test_config_error_text_is_one_paragraph() -> None:
    error = ConfigError(
        "unknown key 'x'.", source="deploygate.toml", key="checks[0].x", fix="remove it."
    )
    assert str(error) == "deploygate.toml: checks[0].x: unknown key 'x'. Fix: remove it."
    assert "\n" not in str(error)


def test_a_config_that_is_not_utf8_names_the_file_and_the_fix(pytester: pytest.Pytester) -> None:
    (pytester.path / "deploygate.toml").write_bytes(BASE.encode() + b"# caf\xe9 \xff\n")
    text = usage_error(pytester, "--target=staging")
    assert "deploygate.toml: is not UTF-8 text: byte 0xe9 at line 3" in text
    assert "Fix: save the file as UTF-8" in text


def test_a_config_path_that_is_a_directory_says_so(pytester: pytest.Pytester) -> None:
    pytester.mkdir("conf")
    text = usage_error(pytester, "--target=staging", "--deploygate-config=conf")
    assert "--deploygate-config: conf is a directory, not a config file." in text
    assert "does not exist" not in text


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("targets.staging.database_url", "postgresql://app:pa@ss-word@db.example:5432/shop"),
        ("targets.staging.database_url", "postgresql://app:pa/ss-word@db.example:5432/shop"),
        ("checks[0] (id 'health').url", "http://app:pa@ss-word@db.example/health"),
    ],
)
def test_a_url_with_an_unencoded_at_in_its_password_is_refused_unshown(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, key: str, value: str
) -> None:
    monkeypatch.setenv("GATE_URL_UNDER_TEST", value)
    if key.startswith("targets"):
        toml = BASE + 'database_url = "${GATE_URL_UNDER_TEST}"\n'
    else:
        toml = BASE + CHECK.replace('path = "/health"', 'url = "${GATE_URL_UNDER_TEST}"')
    pytester.makefile(".toml", deploygate=toml)
    text = usage_error(pytester, "--target=staging")
    assert f"{key}: the user or password in this URL holds an unencoded '@'" in text
    assert "Fix: percent-encode the user and password: '@' is %40" in text
    assert "ss-word" not in text
    assert "pa@" not in text


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        pytest.param('timeout = "0s"\n', "(id 'health').timeout: must be longer", id="0s"),
        pytest.param("timeout = 0\n", "(id 'health').timeout: must be longer", id="0"),
        pytest.param("timeout = inf\n", "(id 'health').timeout: expected a dur", id="inf"),
        pytest.param("max_latency = nan\n", "max_latency: expected a duration", id="nan-latency"),
        pytest.param('wait_interval = "0ms"\n', "wait_interval: must be longer", id="0-interval"),
    ],
)
def test_a_value_that_would_disable_a_check_is_a_config_error(
    pytester: pytest.Pytester, keys: str, expected: str
) -> None:
    pytester.makefile(".toml", deploygate=BASE + CHECK + keys)
    assert expected in usage_error(pytester, "--target=staging")


def test_a_zero_target_timeout_is_a_config_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", deploygate=BASE + 'timeout = "0s"\n' + CHECK)
    assert "targets.staging.timeout: must be longer than 0s" in usage_error(
        pytester, "--target=staging"
    )


def test_a_ratio_above_the_whole_is_a_config_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".toml",
        deploygate=BASE + '[[checks]]\nid = "conns"\ntype = "postgres"\nphases = ["smoke"]\n'
        'dsn = "postgresql://127.0.0.1:9/x"\ncheck = "connections"\nmax_ratio = "150%"\n',
    )
    text = usage_error(pytester, "--target=staging")
    assert "max_ratio: expected a ratio from 0% to 100%, got '150%'" in text


def test_a_paths_directory_without_a_file_pytest_collects_is_a_config_error(
    pytester: pytest.Pytester,
) -> None:
    """Team checks in ``smoke_checks.py`` are not collected under pytest's default
    python_files: the gate ran the declared checks alone and said GO."""
    pytester.makefile(".toml", deploygate='paths = ["checks"]\n' + BASE)
    checks = pytester.mkpydir("checks")
    checks.joinpath("smoke_checks.py").write_text(
        "import pytest\n\n@pytest.mark.smoke\ndef test_orders():\n    assert False\n"
    )
    text = usage_error(pytester, "--target=staging")
    assert (
        "deploygate.toml: paths[0]: 'checks' holds no file pytest collects "
        "(python_files: test_*.py *_test.py; smoke_checks.py is not one)"
    ) in text
    # Told which files hold tests, pytest collects them: the check runs (and fails).
    pytester.makeini("[pytest]\npython_files = *_checks.py\n")
    assert pytester.runpytest("--target=staging", "-p", "no:cacheprovider").ret == 1


@pytest.mark.parametrize("flag", ["--lf", "--last-failed", "--sw", "--stepwise-skip"])
def test_reruns_picked_from_the_previous_runs_results_are_refused(
    pytester: pytest.Pytester, http_base: str, flag: str
) -> None:
    """``--lf`` after a ROLLBACK ran only the check that had failed and said GO for the
    deployment; ``--sw`` skips the checks before the last failure. A verdict covers the
    checks a run was asked for, not those a cache file picked."""
    failing = CHECK.replace("/health", "/status/500")
    pytester.makefile(
        ".toml",
        deploygate=BASE.replace("http://127.0.0.1:9", http_base)
        + failing
        + CHECK.replace('"health"', '"root"').replace("/health", "/health"),
    )
    assert pytester.runpytest("--target=staging").ret == 1
    text = usage_error(pytester, "--target=staging", flag)
    assert "pick checks from the results of the previous run" in text
    assert "-k" in text

from __future__ import annotations

from pytest_deploygate.masking import (
    MASK,
    Masker,
    display_url,
    is_secret_name,
    passwords_in,
    scrub_url,
    secret_values,
)


def test_secret_names_follow_the_spec() -> None:
    for name in ("DB_PASSWORD", "API_TOKEN", "AWS_SECRET_ACCESS_KEY", "GCP_CREDENTIALS", "ssh_key"):
        assert is_secret_name(name)
    assert not is_secret_name("HOME")


def test_values_of_secret_variables_and_listed_variables_are_collected() -> None:
    env = {"API_TOKEN": "tok-123456", "HOME": "/root", "ODD": "listed-value"}
    assert secret_values(env, ["ODD"]) == {"tok-123456", "listed-value"}


def test_url_and_dsn_passwords_are_masked_even_when_unknown() -> None:
    mask = Masker()
    assert mask("postgres://app:s3cr3t@db:5432/x") == f"postgres://app:{MASK}@db:5432/x"
    assert mask("host=db password=s3cr3t user=app") == f"host=db password={MASK} user=app"
    assert mask("password='a b c' user=x") == f"password={MASK} user=x"


def test_known_secrets_are_masked_also_url_encoded() -> None:
    mask = Masker(["p@ss/word!"])
    assert "p@ss" not in mask("got p@ss/word! and p%40ss%2Fword%21")


def test_passwords_are_found_in_config_text() -> None:
    found = passwords_in('{"u": "postgresql://a:pw12@h/d", "d": "password=xyz1"}')
    assert {"pw12", "xyz1"} <= found
    assert found - {"pw12", "xyz1"} == {"YTpwdzEy"}  # base64 of a:pw12, as Basic auth sends


def test_very_short_values_are_not_masked_everywhere() -> None:
    assert Masker(["a"])("a banana") == "a banana"


def test_one_scrubber_hides_the_password_of_urls_dsns_and_host_strings() -> None:
    assert scrub_url("postgres://app:s3cr3t@db:5432/x?sslmode=require") == (
        f"postgres://app:{MASK}@db:5432/x?sslmode=require"
    )
    assert scrub_url("ssh://deploy:pw@web-1:2222") == f"ssh://deploy:{MASK}@web-1:2222"
    assert scrub_url("deploy:p@ss@web-1") == f"deploy:{MASK}@web-1"  # no scheme, @ in it
    assert scrub_url("ssh://deploy@web-1") == "ssh://deploy@web-1"
    assert scrub_url("https://h/a@b") == "https://h/a@b"  # an @ in the path is no password
    assert display_url("https://u:pw@h:8443/x?token=abc#f") == "https://h:8443/x"


SECRET = 'p&s"s<w>o\\rd/é'


def test_every_encoded_form_of_a_secret_is_masked() -> None:
    import base64
    import html
    import json
    from urllib.parse import quote, quote_plus
    from xml.sax.saxutils import escape

    mask = Masker([SECRET])
    raw = SECRET.encode()
    forms = {
        "raw": SECRET,
        "url": quote(SECRET, safe=""),
        "form": quote_plus(SECRET),
        "repr": repr(SECRET)[1:-1],
        "json": json.dumps(SECRET)[1:-1],
        "json-utf8": json.dumps(SECRET, ensure_ascii=False)[1:-1],
        "html": html.escape(SECRET),
        "xml": escape(SECRET, {'"': "&quot;"}),
        "base64": base64.b64encode(raw).decode(),
        "base64url": base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }
    for name, form in forms.items():
        assert mask(f"before {form} after") == f"before {MASK} after", name


def test_basic_auth_of_a_url_is_masked_where_a_server_echoes_it() -> None:
    import base64

    url = "http://deploy:pa%40ss-w0rd@127.0.0.1:8080/"
    mask = Masker(passwords_in(url))
    header = "Basic " + base64.b64encode(b"deploy:pa@ss-w0rd").decode()
    assert mask(f"Authorization: {header}") == f"Authorization: Basic {MASK}"
    assert "pa@ss-w0rd" not in mask("login failed for pa@ss-w0rd")

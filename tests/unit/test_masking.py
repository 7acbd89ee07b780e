from __future__ import annotations

from pytest_deploygate.masking import MASK, Masker, is_secret_name, passwords_in, secret_values


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
    assert passwords_in('{"u": "postgresql://a:pw12@h/d", "d": "password=xyz1"}') == {
        "pw12",
        "xyz1",
    }


def test_very_short_values_are_not_masked_everywhere() -> None:
    assert Masker(["a"])("a banana") == "a banana"

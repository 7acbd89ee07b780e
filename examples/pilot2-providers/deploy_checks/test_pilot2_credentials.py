"""Team check for checklist 003's success criterion "Credential storage works (encrypted
in database)": no stored credential is readable as plain text."""

import pytest


@pytest.mark.smoke
@pytest.mark.deploygate(id="credentials-encrypted")
def test_credentials_are_stored_encrypted(db, measure):
    rows = db.execute("SELECT encrypted_value FROM provider_credentials").fetchall()
    plain = [value for (value,) in rows if not value.startswith("gAAAAA")]  # Fernet tokens
    measure("db.plaintext_credentials", len(plain), "count", threshold=0)
    assert not plain, f"{len(plain)} credential(s) stored without Fernet encryption"

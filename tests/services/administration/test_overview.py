"""The admins' overview: settings with their source, secrets never shown, what is kept."""
import pytest

from helpdesk import create_app
from helpdesk.services.administration import overview
from helpdesk.settings import SETTINGS
from tests.conftest import SECRET_KEY


def test_every_setting_is_listed_with_its_source(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPDESK_QUEUE_PAGE_SIZE", "70")
    app = create_app({"SECRET_KEY": SECRET_KEY, "BLOB_STORE": str(tmp_path / "blobs"),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}",
                      "DESK_NAME": "Acme desk"})
    with app.app_context():
        shown = {setting.variable: setting for setting in overview.settings()}
    assert list(shown) == [setting.variable for setting in SETTINGS]
    assert (shown["HELPDESK_QUEUE_PAGE_SIZE"].value,
            shown["HELPDESK_QUEUE_PAGE_SIZE"].source) == ("70", "environment")
    assert (shown["HELPDESK_DESK_NAME"].value,
            shown["HELPDESK_DESK_NAME"].source) == ("Acme desk", "configuration")
    assert (shown["HELPDESK_PHONE_HOURS"].value,
            shown["HELPDESK_PHONE_HOURS"].source) == ("10:00-17:00", "default")
    assert shown["HELPDESK_STAFF_INVITATION_VALID"].value == "3d"
    assert shown["HELPDESK_CALAMITY_ADDRESSES"].value == "[]"


@pytest.mark.parametrize("name", ["SECRET_KEY", "IMAP_PASSWORD", "MAIL_PASSWORD",
                                  "SQLALCHEMY_DATABASE_URI"])
def test_a_secret_setting_is_only_said_to_be_set(app, name):
    app.config["IMAP_PASSWORD"] = "imap-secret-value"
    app.config["MAIL_PASSWORD"] = None
    shown = {setting.variable: setting for setting in overview.settings()}
    setting = shown[f"HELPDESK_{name}"]
    assert setting.value is None
    assert setting.is_set is (name != "MAIL_PASSWORD")

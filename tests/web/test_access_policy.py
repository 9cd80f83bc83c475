"""Every route declares who may use it; one without a policy serves nobody."""
from flask import Blueprint

from helpdesk import create_app
from helpdesk.web.access import POLICIES


def test_every_route_declares_an_access_policy(app):
    undeclared = [
        rule.rule for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "access_policy", None) not in POLICIES
    ]
    assert undeclared == []


def test_a_route_without_a_policy_is_refused(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x",
                      "BLOB_STORE": str(tmp_path)})
    forgotten = Blueprint("forgotten", __name__)
    forgotten.add_url_rule("/forgotten", "page", lambda: "secret")
    app.register_blueprint(forgotten)
    assert app.test_client().get("/forgotten").status_code == 403

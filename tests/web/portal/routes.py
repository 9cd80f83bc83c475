"""The portal's routes, read from its URL rules, for tests that must cover every one."""
from helpdesk import create_app


def portal_routes() -> list[tuple[str, str, str, frozenset]]:
    """(rule, method, endpoint, argument names) of every portal route."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "walk",
                      "BLOB_STORE": "/nonexistent"})
    return sorted((rule.rule, method, rule.endpoint, frozenset(rule.arguments))
                  for rule in app.url_map.iter_rules() if rule.endpoint.startswith("portal.")
                  for method in rule.methods - {"HEAD", "OPTIONS"})


PORTAL_ROUTES = portal_routes()

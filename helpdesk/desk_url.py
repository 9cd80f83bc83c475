"""The desk's own address, DESK_URL: every link in mail, and the only host requests may name.

A link in a mail is never built from the request (its Host header is the sender's to choose),
so a forged Host cannot make the desk mail a genuine token pointing somewhere else.
"""
from urllib.parse import SplitResult

from flask import Flask, current_app
from werkzeug.middleware.proxy_fix import ProxyFix

from helpdesk.adapters.network import is_loopback
from helpdesk.settings import split_http_address

# Names a loopback desk also answers to, so `make run` and tests work from either.
LOOPBACK_NAMES = ("127.0.0.1", "localhost")


def parse(desk_url: str) -> SplitResult:
    """DESK_URL split up; ValueError unless it is an absolute http(s) address."""
    try:
        return split_http_address(str(desk_url))
    except ValueError:
        raise ValueError(f"DESK_URL must be an absolute http(s) address, not {desk_url!r}"
                         ) from None


def is_https(config) -> bool:
    return parse(config["DESK_URL"]).scheme == "https"


# The query parameter a link from a mail names its reader's language in (helpdesk/web/i18n.py).
LANGUAGE_PARAMETER = "lang"


def link(endpoint: str, *, language: str, **values) -> str:
    """An absolute link for a mail to a reader of `language`, from DESK_URL: the worker (no
    request) builds them too. The page it opens speaks the mail's language, signed in or not."""
    return address(endpoint, **values, **{LANGUAGE_PARAMETER: language})


def address(endpoint: str, **values) -> str:
    """A page's absolute address from DESK_URL, built without a request."""
    base = parse(current_app.config["DESK_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/",
                                       url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def trusted_hosts(config) -> list[str]:
    """The Host names requests may carry: DESK_URL's (and SERVER_NAME's), loopback for a
    loopback desk."""
    host = parse(config["DESK_URL"]).hostname
    hosts = [host]
    if is_loopback(host):
        hosts += [name for name in LOOPBACK_NAMES if name != host]
    server_name = config.get("SERVER_NAME")
    if server_name:
        hosts.append(server_name.partition(":")[0])
    return hosts


def configure(app: Flask) -> None:
    """Refuse foreign Host headers (400), believe X-Forwarded-* only from trusted proxies, and
    give an https desk secure cookies."""
    _cookies(app.config, https=is_https(app.config))
    if app.config.get("TRUSTED_HOSTS") is None:  # HELPDESK_TRUSTED_HOSTS (a JSON list) wins
        app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config)
    proxies = int(app.config["PROXY_FIX"] or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies,
                                x_port=proxies)


def _cookies(config, *, https: bool) -> None:
    """On https, Secure host-only cookies for the session (and so the CSRF token it holds) and
    for Flask-Login's remember cookie: the `__Host-` prefix makes the browser refuse them over
    http, from a sibling domain, or for a narrower path. An explicit HELPDESK_* setting wins."""
    for prefix, name in (("SESSION_COOKIE_", "session"), ("REMEMBER_COOKIE_", "remember_token")):
        if config.get(f"{prefix}SECURE") is None:
            config[f"{prefix}SECURE"] = https
        if config.get(f"{prefix}NAME"):
            continue
        if https and config[f"{prefix}SECURE"] and not config.get(f"{prefix}DOMAIN"):
            config[f"{prefix}NAME"] = f"__Host-{name}"
            config[f"{prefix}PATH"] = "/"
        else:
            config[f"{prefix}NAME"] = name

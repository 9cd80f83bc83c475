"""helpdesk: a support desk that keeps its response promise and never loses a message."""
import os
import secrets
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from helpdesk.adapters.private_files import make_private, private_folder, write_private
from helpdesk.config import DefaultConfig
from helpdesk.settings import from_environment, given_by

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the application; `config` (tests) wins over environment and defaults."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    configure_settings(app, config)
    configure_logging(app)
    configure_urls(app)
    configure_extensions(app)
    configure_blueprints(app)
    configure_metrics(app)
    configure_security(app)
    configure_templates(app)
    return app


def configure_settings(app: Flask, config: dict | None) -> None:
    app.config.from_object(DefaultConfig)
    # Only the settings helpdesk/settings.py declares, each converted; a bad value stops here.
    app.config.update(from_environment(os.environ))
    # Where each setting came from, for the admins' page: the environment, the factory's
    # `config` (tests), or else the default.
    app.extensions["settings_given"] = {"environment": given_by(os.environ),
                                        "configuration": frozenset(config or ())}
    if config:
        app.config.update(config)
    instance = Path(app.instance_path)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        private_folder(instance)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'helpdesk.sqlite'}"
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret_key(instance)
    for folder_setting in ("BLOB_STORE", "BACKUP_DIR"):
        folder = Path(app.config[folder_setting])
        app.config[folder_setting] = str(folder if folder.is_absolute() else instance / folder)
    from helpdesk.services.mail_out.route import catcher_setting

    # Decided once, like the cookies from DESK_URL: the running desk reads a plain bool.
    app.config["MAIL_CATCHER"] = catcher_setting(app.config)


def configure_logging(app: Flask) -> None:
    """Each record a line on stderr in HELPDESK_LOG_FORMAT, addresses masked; a process whose
    logging is already set up (gunicorn with deploy/gunicorn.conf.py, a test run) keeps it."""
    from helpdesk import logs

    logs.configure(app.config["LOG_FORMAT"])


def _instance_secret_key(instance: Path) -> str:
    """A random key kept in the instance folder, so no secret lives in the repository."""
    key_file = instance / "secret_key"
    if not key_file.exists():
        private_folder(instance)
        write_private(key_file, secrets.token_hex(32))
    return key_file.read_text().strip()


def configure_extensions(app: Flask) -> None:
    from helpdesk import models  # noqa: F401  (registers the tables with the metadata)
    from helpdesk.extensions import babel, csrf, db, login_manager, migrate
    from helpdesk.services.promise import deadlines
    from helpdesk.services.stats import changes
    from helpdesk.web.i18n import select_locale, select_timezone

    db.init_app(app)
    changes.install()
    deadlines.install()
    with app.app_context():
        _tune_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    configure_mail(app)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )


def configure_mail(app: Flask) -> None:
    """Attach Flask-Mail, which reads its MAIL_* settings now: run again after changing them."""
    from helpdesk.adapters.smtp import flask_mail_settings
    from helpdesk.extensions import mail

    app.config.update(flask_mail_settings(app.config))
    mail.init_app(app)


def _tune_sqlite(engine) -> None:
    """SQLite: a write-ahead log, so the web and the worker read while the other writes.

    `synchronous=FULL` makes every commit survive a power cut, not only a crash of the
    process: ingestion flags a mail on the server right after committing it, so a commit
    undone by the machine would lose that mail. It costs an fsync of the log per commit,
    a fraction of a millisecond on an SSD.
    """
    if engine.dialect.name != "sqlite":
        return
    database = engine.url.database
    if (database and database != ":memory:" and not database.startswith("file:")
            and Path(database).parent.is_dir()):
        # SQLite gives its log files the database file's mode: 0600 keeps all three private.
        # A missing folder is not made: the database is unreachable, and the worker says so.
        make_private(database)

    def set_pragmas(connection, _record):
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        # What a delete or an update frees is zeroed, so an erased person's data does not
        # live on in free pages of the file (privacy/erasure_files.py empties the log).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    sa.event.listen(engine, "connect", set_pragmas)


def configure_urls(app: Flask) -> None:
    """`<int:...>` in any route is a bounded id: a number too large for the database is 404."""
    from helpdesk.web.ids import IdConverter

    app.url_map.converters["int"] = IdConverter
    # Browsers ask for /favicon.ico whatever a page links: the desk's icon, served as a static
    # file (so public, cached and no activity), and the address pages link it by.
    app.add_url_rule("/favicon.ico", endpoint="static", defaults={"filename": "favicon.svg"})


def configure_blueprints(app: Flask) -> None:
    from helpdesk.cli import bp as cli_bp
    from helpdesk.web.admin import bp as admin_bp
    from helpdesk.web.agent import bp as agent_bp
    from helpdesk.web.auth import bp as auth_bp
    from helpdesk.web.dev_mail import bp as dev_mail_bp
    from helpdesk.web.manager import bp as manager_bp
    from helpdesk.web.operations import bp as operations_bp
    from helpdesk.web.portal import bp as portal_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(agent_bp, url_prefix="/desk")
    app.register_blueprint(manager_bp, url_prefix="/manage")
    app.register_blueprint(portal_bp, url_prefix="/portal")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    # Before configure_security: its 404 for a desk without the catcher comes before sign-in.
    app.register_blueprint(dev_mail_bp, url_prefix="/dev/mail")
    app.register_blueprint(operations_bp)
    app.register_blueprint(cli_bp)


def configure_metrics(app: Flask) -> None:
    """Before configure_security: a request its hooks answer early is timed too."""
    from helpdesk.web.operations import metrics

    metrics.init_app(app)


def configure_security(app: Flask) -> None:
    from helpdesk import desk_url
    from helpdesk.extensions import login_manager
    from helpdesk.web.access import enforce_access_policy, set_security_headers
    from helpdesk.web.auth.sessions import load_user, refresh_or_expire_session
    from helpdesk.web.i18n import follow_the_links_language

    desk_url.configure(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.staff_sign_in"
    app.view_functions["static"].access_policy = "public"
    app.before_request(refresh_or_expire_session)
    # Before the policy: a link to a page that sends the reader to sign in first still names
    # the language the sign-in page should speak.
    app.before_request(follow_the_links_language)
    app.before_request(enforce_access_policy)
    app.after_request(set_security_headers)


def configure_templates(app: Flask) -> None:
    from flask import render_template
    from flask_babel import lazy_gettext as _l
    from werkzeug.exceptions import HTTPException, SecurityError

    from helpdesk.web import refusals
    from helpdesk.web.labels import register_template_helpers

    register_template_helpers(app)
    refusals.register(app)
    texts = {
        403: (_l("Not allowed"), _l("You may not open this page.")),
        404: (_l("Not found"), _l("This page does not exist, or you may not see it.")),
    }

    @app.errorhandler(HTTPException)
    def render_error(error: HTTPException):
        if isinstance(error, SecurityError):
            # A foreign Host: no page of ours, whose links would have to name that host.
            return error.get_response()
        title, text = texts.get(error.code, (error.name, error.description))
        return render_template("errors/error.html", code=error.code, title=title, text=text,
                               layout=refusals.error_layout(error.code)), error.code

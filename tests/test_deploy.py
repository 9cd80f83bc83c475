"""deploy/ as production runs it: gunicorn with its config, the systemd units, the environment."""
import http.client
import json
import re
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from helpdesk import ROOT
from helpdesk.jobs import JOBS
from helpdesk.settings import BY_NAME, SETTINGS, from_environment
from tests.fixtures.ports import free_port
from tests.fixtures.processes import flask_env

DEPLOY = ROOT / "deploy"
# The services that run all the time; the watchdog's one-shot service and its timer apart.
UNITS = [DEPLOY / "systemd" / name for name in ("helpdesk-web@.service",
                                                "helpdesk-worker@.service")]
WATCHDOG = DEPLOY / "systemd" / "helpdesk-watchdog.service"
CHECKOUT = "/srv/helpdesk"  # where the units and docs/operations.md put the repository
HOST = "desk.example"


def _get(port: int, path: str) -> tuple[int, str]:
    """A request as the proxy passes it on: the desk's Host and the proxy's headers."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path, headers={
            "Host": HOST, "X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def _wait_until_ready(port: int, server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert server.popen.poll() is None, f"gunicorn ended:\n{server.output}"
        try:
            if _get(port, "/readyz")[0] == 200:
                return
        except OSError:
            pass  # not listening yet
        assert time.monotonic() < deadline, f"/readyz not 200 in {timeout} s:\n{server.output}"
        time.sleep(0.2)


def test_gunicorn_with_the_deploy_config_serves_the_probes_and_stops_within_ten_seconds(
        app, processes):
    port = free_port()
    env = {**flask_env(app, DESK_URL=f"https://{HOST}", PROXY_FIX="1", LOG_FORMAT="json"),
           "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2"}
    server = processes(env, "--config", str(DEPLOY / "gunicorn.conf.py"), program="gunicorn")
    _wait_until_ready(port, server)
    assert _get(port, "/healthz?from=balancer") == (200, "ok\n")

    asked = time.monotonic()
    assert server.end(signal.SIGTERM) == 0, server.output
    assert time.monotonic() - asked < 10
    lines = [json.loads(line) for line in server.lines]  # gunicorn's own lines too
    booted = [line for line in lines if line["logger"] == "gunicorn.error"]
    assert any("Booting worker" in line["message"] for line in booted)
    access = [line["message"] for line in lines if line["logger"] == "gunicorn.access"]
    assert any('"GET /healthz HTTP/1.1" 200' in message for message in access), access
    assert not any("from=balancer" in message for message in access)


def _unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A unit file's sections, each key with its values in order (systemd allows a key twice,
    which configparser does not keep)."""
    sections: dict[str, dict[str, list[str]]] = {}
    section = None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = sections.setdefault(line[1:-1], {})
            continue
        key, equals, value = line.partition("=")
        assert section is not None and equals, f"{path.name}: not a setting: {line!r}"
        section.setdefault(key.strip(), []).append(value.strip())
    return sections


def _in_checkout(path: str) -> Path:
    """A path of the production machine's checkout, in this repository."""
    return ROOT / Path(path).relative_to(CHECKOUT)


def test_there_are_web_and_worker_units_and_a_watchdog_on_a_timer():
    assert sorted(path.name for path in (DEPLOY / "systemd").iterdir()) == [
        "helpdesk-watchdog.service", "helpdesk-watchdog.timer", "helpdesk-web@.service",
        "helpdesk-worker@.service"]


def test_the_watchdog_runs_every_minute_as_the_desk_apart_from_the_workers(app):
    service = {key: values[-1] for key, values in _unit(WATCHDOG)["Service"].items()}
    assert (service["Type"], service["User"], service["EnvironmentFile"]) == (
        "oneshot", "helpdesk", "/etc/helpdesk/env")
    assert "helpdesk-worker" not in WATCHDOG.read_text().partition("[Service]")[0]
    timer = {key: values[-1] for key, values in
             _unit(WATCHDOG.with_suffix(".timer"))["Timer"].items()}
    assert timer["OnUnitActiveSec"] == "1min"
    command = _command(WATCHDOG)
    assert Path(command[0]).name == "flask" and command[1:] == ["--app", "app", "watchdog"]
    helped = subprocess.run([*command, "--help"], cwd=ROOT, env=flask_env(app),
                            capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "Look once for what has stopped" in helped.stdout


@pytest.mark.parametrize("path", UNITS, ids=lambda path: path.name)
def test_each_unit_runs_as_the_desk_with_its_environment_file_restarted_and_confined(app, path):
    service = {key: values[-1] for key, values in _unit(path)["Service"].items()}
    assert service["User"] == "helpdesk"
    assert service["WorkingDirectory"] == CHECKOUT
    assert "/etc/helpdesk/env" in _unit(path)["Service"]["EnvironmentFile"]
    assert service["Restart"] == "always"
    assert service["KillSignal"] == "SIGTERM" and service["TimeoutStopSec"] == "15"
    assert service["NoNewPrivileges"] == "yes" and service["PrivateTmp"] == "yes"
    assert service["ProtectSystem"] == "strict"
    # The one folder the desk writes (blobs, backups, exports, a SQLite database).
    assert _in_checkout(service["ReadWritePaths"]) == Path(app.instance_path)


def _command(path: Path) -> list[str]:
    """The unit's ExecStart, its executable in this checkout and `$WORKER_ARGS` empty."""
    words = shlex.split(_unit(path)["Service"]["ExecStart"][-1])
    executable = _in_checkout(words[0])
    assert executable.exists(), f"{words[0]} is not in the checkout's virtualenv"
    return [str(executable), *(word for word in words[1:] if not word.startswith("$"))]


def test_the_web_unit_starts_gunicorn_with_the_deploy_config_and_the_app(app):
    command = _command(DEPLOY / "systemd" / "helpdesk-web@.service")
    assert Path(command[0]).name == "gunicorn"
    assert command[1:] == ["--config", "deploy/gunicorn.conf.py"]
    checked = subprocess.run([*command, "--check-config"], cwd=ROOT, env=flask_env(app),
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr  # app:app imports and builds


def test_the_worker_unit_starts_flask_worker(app):
    command = _command(DEPLOY / "systemd" / "helpdesk-worker@.service")
    assert Path(command[0]).name == "flask" and command[1:] == ["--app", "app", "worker"]
    helped = subprocess.run([*command, "--help"], cwd=ROOT, env=flask_env(app),
                            capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0, helped.stderr
    assert "--jobs NAME,..." in helped.stdout and "--skip NAME,..." in helped.stdout


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
@pytest.mark.parametrize("path", [*UNITS, WATCHDOG], ids=lambda path: path.name)
def test_systemd_finds_nothing_wrong_with_a_unit(path, tmp_path):
    # Placed in this checkout and run as root: no /srv/helpdesk and no helpdesk user here.
    text = path.read_text().replace(CHECKOUT, str(ROOT)).replace("User=helpdesk", "User=root")
    text = text.replace("Group=helpdesk", "Group=root").replace("/etc/helpdesk/env",
                                                                str(tmp_path / "env"))
    (tmp_path / "env").touch()
    copy = tmp_path / path.name.replace("@.", "@8001.")
    copy.write_text(text)
    verified = subprocess.run(["systemd-analyze", "verify", "--man=no", str(copy)],
                              capture_output=True, text=True, timeout=60)
    problems = [line for line in verified.stderr.splitlines() if copy.name in line]
    assert verified.returncode == 0 and problems == [], verified.stderr


def _example_environment() -> dict[str, str]:
    environ = {}
    for line in (DEPLOY / "env.example").read_text().splitlines():
        line = line.removeprefix("#").strip()
        if line.startswith("HELPDESK_") and "=" in line:
            name, _, value = line.partition("=")
            environ[name] = value
    return environ


def test_the_example_environment_names_only_real_settings_and_secrets_as_files():
    example = _example_environment()
    variables = {s.variable for s in SETTINGS} | {s.file_variable for s in SETTINGS}
    assert sorted(set(example) - variables) == []
    secrets = {s.variable for s in SETTINGS if s.secret}
    assert sorted(secrets & set(example)) == []  # only as HELPDESK_<NAME>_FILE
    assert {s.file_variable for s in SETTINGS if s.secret} <= set(example)


def test_the_example_environment_is_valid_apart_from_its_secret_files():
    values = from_environment({name: value for name, value in _example_environment().items()
                               if not name.endswith("_FILE")})
    assert values["ENVIRONMENT"] == "production" and values["LOG_FORMAT"] == "json"
    assert values["PROXY_FIX"] == 1 and values["DESK_URL"].startswith("https://")


def test_the_proxies_take_the_largest_request_the_desk_takes():
    largest = BY_NAME["MAX_CONTENT_LENGTH"].default
    assert largest % (1024 * 1024) == 0
    megabytes = largest // (1024 * 1024)
    assert f"client_max_body_size {megabytes}m;" in (DEPLOY / "nginx.conf").read_text()
    assert f"max_size {megabytes}MiB" in (DEPLOY / "Caddyfile").read_text()


def test_the_operations_guide_names_only_real_settings_and_every_job():
    guide = (ROOT / "docs" / "operations.md").read_text()
    variables = {s.variable for s in SETTINGS} | {s.file_variable for s in SETTINGS}
    named = set(re.findall(r"HELPDESK_[A-Z0-9_]*[A-Z0-9](?![A-Z0-9_])", guide))
    families = set(re.findall(r"(HELPDESK_[A-Z0-9_]+_)\*", guide))
    assert sorted(named - variables) == []
    assert [f for f in families if not any(v.startswith(f) for v in variables)] == []
    config = (DEPLOY / "gunicorn.conf.py").read_text()
    assert [name for name in set(re.findall(r"\b(?:GUNICORN_[A-Z_]+|FORWARDED_ALLOW_IPS)\b",
                                            guide)) if name not in config] == []
    assert [job.name for job in JOBS if f"`{job.name}`" not in guide] == []

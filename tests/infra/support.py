"""Real programs for the infrastructure tests: nginx with the shipped config, pgbouncer, extra
PostgreSQL clusters, and ``hoa serve`` / ``hoa worker`` processes.

A missing program skips the test locally with one line saying what to install, and fails it in
CI (``CI=true``). Servers that refuse to run as root (PostgreSQL, pgbouncer) run as the
``postgres`` account when the tests run as root.
"""

import configparser
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from hoa.core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
OPS = ROOT / "ops"
HOACTL = OPS / "nginx" / "hoactl"


def need(program: str, package: str) -> str:
    """The path of ``program`` (PostgreSQL's newest bin folder, PATH, /usr/sbin), else
    skip/fail."""
    found = (
        next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{program}"), reverse=True)), None)
        or shutil.which(program)
        or shutil.which(program, path="/usr/sbin:/sbin")
    )
    if found:
        return found
    message = f"{program} is missing: install Debian's {package} (tools/system-packages.sh)"
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(f"{program} is missing: run 'sudo apt-get install {package}'")


def local_env(settings: Settings, folder: Path, **extra: str) -> dict[str, str]:
    """The environment of a `hoa` command a test starts: the test's database and secret, its job
    queue, outbox and metrics under ``folder``, then ``extra``."""
    return {
        **os.environ,
        "HOA_ENV": "test",
        "HOA_DATABASE_URL": settings.database_url,
        "HOA_DB__PGBOUNCER": str(settings.db.pgbouncer).lower(),
        "HOA_DB__DIRECT_URL": settings.direct_database_url,
        "HOA_SECRET_KEY": settings.secret_key.get_secret_value(),
        "HOA_JOBS__QUEUE_PATH": str(folder / "jobs.db"),
        "HOA_EMAIL__OUTBOX_DIR": str(folder / "outbox"),
        "HOA_METRICS__DIR": str(folder / "metrics"),
        **extra,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, status: int = 200, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == status:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer {status} within {timeout} s")


def service_user() -> tuple[list[str], int | None]:
    """The command prefix and uid that run a server as a non-root account."""
    if os.geteuid() != 0:
        return [], None
    # setpriv execs the program itself, so signals reach it (runuser would sit between).
    return (
        ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"],
        pwd.getpwnam("postgres").pw_uid,
    )


@contextmanager
def service_dir() -> Iterator[Path]:
    """A temporary folder the non-root server account owns."""
    folder = Path(tempfile.mkdtemp(prefix="hoa-infra-"))
    _, uid = service_user()
    if uid is not None:
        os.chown(folder, uid, -1)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def stop(process: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """SIGTERM, then wait; returns the exit status (SIGKILL after ``timeout``)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


class App:
    """``hoa serve`` (or ``hoa worker``) as a child process with the given environment."""

    def __init__(self, args: list[str], env: Mapping[str, str], log: Path) -> None:
        self.args, self.env, self.log = args, dict(env), log
        self.start()

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own CLI
                [sys.executable, "-m", "hoa", *self.args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def stop(self) -> int:
        return stop(self.process)


def serve(port: int, env: Mapping[str, str], folder: Path) -> App:
    app = App(["serve", "--port", str(port)], env, folder / f"serve-{port}.log")
    wait_for(f"http://127.0.0.1:{port}/readyz")
    return app


class Nginx:
    """Debian's nginx running ops/nginx/hoa.conf as shipped, with the test's ports and paths in
    place of the documented ones, steered by ops/nginx/hoactl."""

    def __init__(self, folder: Path, blue: list[int], green: list[int], dist: Path) -> None:
        self.binary = need("nginx", "nginx")
        self.prefix = folder / "nginx"
        conf = self.prefix / "hoa"
        for sub in ("logs", "tmp", "hoa"):
            (self.prefix / sub).mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        placeholders = {
            "/etc/nginx/hoa/": f"{conf}/",
            "/srv/hoa/web/dist": str(dist),
            "/var/log/nginx/hoa.log": str(self.prefix / "logs" / "hoa.log"),
            "listen 80;": f"listen 127.0.0.1:{self.port};",
        }
        text = (OPS / "nginx" / "hoa.conf").read_text()
        for documented, actual in placeholders.items():
            assert documented in text, documented
            text = text.replace(documented, actual)
        (self.prefix / "hoa.conf").write_text(text)
        upstreams = (OPS / "nginx" / "upstreams.conf").read_text()
        for documented, port in zip(["8001", "8002", "8011", "8012"], [*blue, *green], strict=True):
            upstreams = upstreams.replace(f"127.0.0.1:{documented} ", f"127.0.0.1:{port} ")
        (conf / "upstreams.conf").write_text(upstreams)
        shutil.copy(OPS / "nginx" / "live.conf", conf / "live.conf")
        temp = self.prefix / "tmp"
        user = "user root;\n" if os.geteuid() == 0 else ""
        (self.prefix / "nginx.conf").write_text(
            f"{user}daemon off;\nworker_processes 1;\npid {self.prefix}/nginx.pid;\n"
            f"error_log {self.prefix}/logs/error.log;\nevents {{ worker_connections 1024; }}\n"
            "http {\n  include /etc/nginx/mime.types;\n"
            + "".join(
                f"  {kind}_temp_path {temp}/{kind};\n"
                for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
            )
            + f"  include {self.prefix}/hoa.conf;\n}}\n"
        )
        self.command = f"{self.binary} -p {self.prefix} -c {self.prefix}/nginx.conf"
        self.env = {**os.environ, "NGINX": self.command, "NGINX_HOA_DIR": str(conf)}
        self.process = subprocess.Popen(  # noqa: S603 - Debian's nginx
            self.command.split(), stderr=subprocess.PIPE
        )
        wait_for(f"{self.url}/assets/missing.js", status=404, timeout=10)

    def ctl(self, *args: str) -> str:
        done = subprocess.run(  # noqa: S603 - the shipped script
            [str(HOACTL), *args], env=self.env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def stop(self) -> None:
        stop(self.process, timeout=10)


class Postgres:
    """A PostgreSQL cluster of the test's own (initdb), on a free port, run by a non-root
    account; ``replica_of`` makes it a streaming replica with pg_basebackup."""

    def __init__(self, folder: Path, replica_of: "Postgres | None" = None) -> None:
        self.bin = Path(need("pg_ctl", "postgresql")).parent
        self.prefix, _ = service_user()
        self.data = folder / ("replica" if replica_of else "primary")
        self.port = free_port()
        if replica_of is None:
            self._as_service(
                [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust"]
            )
            with (self.data / "postgresql.conf").open("a") as conf:
                conf.write("wal_level = replica\nmax_wal_senders = 5\nfsync = off\n")
        else:
            self._as_service(
                [
                    str(self.bin / "pg_basebackup"),
                    "-h", "127.0.0.1", "-p", str(replica_of.port), "-U", "postgres",
                    "-D", str(self.data), "--write-recovery-conf", "--checkpoint=fast",
                ]
            )  # fmt: skip
        self.start()

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_service(self, command: list[str]) -> None:
        subprocess.run([*self.prefix, *command], check=True, capture_output=True)  # noqa: S603

    def start(self) -> None:
        self._as_service(
            [
                str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-l",
                str(self.data.parent / f"{self.data.name}.log"),
                "-o", f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1",
                "start",
            ]
        )  # fmt: skip

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._as_service([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"])

    def shutdown_smart(self) -> None:
        """Begin a smart shutdown and return: open sessions go on, new ones are refused
        (SQLSTATE 57P03) until the last one ends and the server stops."""
        self._as_service(
            [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "smart", "-W", "stop"]
        )

    def wait_stopped(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while (self.data / "postmaster.pid").exists():
            assert time.monotonic() < deadline, "PostgreSQL did not stop"
            time.sleep(0.1)

    def psql(self, sql: str) -> str:
        done = subprocess.run(  # noqa: S603 - the machine's psql
            [str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "-d", "postgres", "-tAc", sql],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return done.stdout.strip()


class Pgbouncer:
    """Debian's pgbouncer with ops/pgbouncer/pgbouncer.ini as shipped, pointed at one database
    of the test server (trust auth and the test's port, socket and log paths)."""

    def __init__(self, folder: Path, database_url: str) -> None:
        binary = need("pgbouncer", "pgbouncer")
        target = sa.make_url(database_url)
        self.port = free_port()
        ini = configparser.ConfigParser(inline_comment_prefixes=(";",), comment_prefixes=(";",))
        ini.optionxform = str  # type: ignore[assignment,method-assign]
        ini.read(OPS / "pgbouncer" / "pgbouncer.ini")
        assert ini["pgbouncer"]["pool_mode"] == "transaction"
        ini.remove_section("databases")
        ini["databases"] = {
            target.database or "": f"host={target.host} port={target.port or 5432} "
            f"dbname={target.database}"
        }
        ini["pgbouncer"].update(
            listen_port=str(self.port),
            unix_socket_dir=str(folder),
            logfile=str(folder / "pgbouncer.log"),
            pidfile=str(folder / "pgbouncer.pid"),
            auth_type="trust",
            auth_file=str(folder / "userlist.txt"),
        )
        (folder / "userlist.txt").write_text(f'"{target.username}" ""\n')
        with (folder / "pgbouncer.ini").open("w") as out:
            ini.write(out)
        prefix, uid = service_user()
        if uid is not None:
            for name in ("userlist.txt", "pgbouncer.ini"):
                os.chown(folder / name, uid, -1)
        self.process = subprocess.Popen(  # noqa: S603 - Debian's pgbouncer
            [*prefix, binary, str(folder / "pgbouncer.ini")], stderr=subprocess.PIPE
        )
        self.url = target.set(port=self.port).render_as_string(hide_password=False)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise AssertionError(f"pgbouncer did not listen: {(folder / 'pgbouncer.log').read_text()}")

    def stop(self) -> None:
        stop(self.process, timeout=10)

"""The `qa` console script (`main`): the commands of `ui.cli.app` plus `serve`, which builds the
server (`ui.app`)."""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path
from typing import Annotated

import typer

from ui.cli.app import app, fail, flow_help, run


def listening_socket(host: str, port: int) -> socket.socket:
    """The server's socket, bound and listening before anything is loaded or printed, as uvicorn
    would bind it (IPv6 for an address with a colon, SO_REUSEADDR). A port that is taken, or an
    address that cannot be listened on, is one line on stderr and exit status 2. Connections that
    come while the model loads wait in the backlog, and are answered once the server runs."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)  # uvicorn's default backlog
    except OSError as exc:
        sock.close()
        fail(_cannot_listen(host, port, exc))
    sock.set_inheritable(True)
    return sock


def _cannot_listen(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        other = _free_port_after(host, port)
        return (f"port {port} on {host} is already in use (another `qa serve`?): choose another port with "
                f"`qa serve --port {other}`, QA_SERVER__PORT={other} or `make serve PORT={other}`")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return (f"not allowed to listen on port {port} of {host} (ports below 1024 need privileges): choose "
                f"a port from 1024 up with `qa serve --port` or QA_SERVER__PORT")
    if isinstance(exc, socket.gaierror):
        return (f"cannot listen on {host}: no such host name; choose an address with `qa serve --host` or "
                f"QA_SERVER__HOST (127.0.0.1 for this machine only, 0.0.0.0 for all)")
    if exc.errno == errno.EADDRNOTAVAIL:
        return (f"cannot listen on {host}: it is not an address of this machine; choose one with "
                f"`qa serve --host` or QA_SERVER__HOST (127.0.0.1 for this machine only, 0.0.0.0 for all)")
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


def _free_port_after(host: str, port: int) -> int:
    """The next port after `port` that is free on `host` (to suggest), else port + 1."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for candidate in range(port + 1, min(port + 50, 65536)):
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, candidate))
            except OSError:
                continue
            return candidate
    return port + 1 if port < 65535 else port - 1


def startup_line(host: str, port: int, *, mcp: bool) -> str:
    """What `qa serve` prints once the port is its own: where each face of the server is."""
    shown = f"[{host}]" if ":" in host else host
    return (f"Chat on http://{shown}:{port}/ · widget /embed/ · API /api (docs /docs)"
            + (" · MCP /mcp" if mcp else ""))


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Interface to listen on (default: server.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: server.port, 7860; or QA_SERVER__PORT).")] = None,
    ingest_if_empty: Annotated[list[Path] | None, typer.Option(
        "--ingest-if-empty", help="Ingest these paths first when the index is empty.")] = None,
) -> None:
    """Serve the chat at /, the widget at /embed/ and the JSON API at /api (docs at /docs).

    With server.mcp on, also the MCP tools at /mcp. A port that is taken is refused before the
    model loads: choose another with --port, QA_SERVER__PORT or `make serve PORT=...`.
    """
    import uvicorn

    from ui.app import create_app

    settings = run(ctx, lambda: ctx.obj.settings)
    host = host or settings.server.host
    port = settings.server.port if port is None else port
    if not 0 < port < 65536:
        fail(f"--port {port} is not a TCP port (1 to 65535)")
    sock = listening_socket(host, port)  # before the model loads: a taken port is said at once
    try:
        assistant = run(ctx, ctx.obj.assistant)
        if ingest_if_empty and not assistant.has_articles():
            report = assistant.ingest(ingest_if_empty)
            typer.echo(f"Indexed {report.count('indexed')} file(s), {report.chunks_added} chunk(s) "
                       f"from {', '.join(map(str, ingest_if_empty))}.")
        typer.echo(startup_line(host, port, mcp=settings.server.mcp))
        if settings.server.workers > 1:
            # Each worker process builds its own app from the same configuration; uvicorn binds
            # the port again for them, right after this process lets it go.
            if ctx.obj.config:
                os.environ["QA_CONFIG"] = str(ctx.obj.config.resolve())
            sock.close()
            uvicorn.run("ui.app:app_from_environment", factory=True, host=host, port=port,
                        workers=settings.server.workers, log_level="warning")
        else:
            server = uvicorn.Server(uvicorn.Config(create_app(assistant), host=host, port=port, log_level="warning"))
            server.run(sockets=[sock])
            if not server.started:  # the app's startup failed; uvicorn has said why
                raise typer.Exit(3)
    except KeyboardInterrupt:  # as uvicorn.run: Ctrl-C is a normal way to stop
        pass
    finally:
        sock.close()


flow_help(app)  # `serve` too


def main() -> None:
    # Offline by construction: no model downloads, no telemetry.
    for name, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"),
                        ("GRADIO_ANALYTICS_ENABLED", "False"), ("ANONYMIZED_TELEMETRY", "False"),
                        ("TOKENIZERS_PARALLELISM", "false")):
        os.environ.setdefault(name, value)
    app()


if __name__ == "__main__":
    main()

"""The `qa` console script (`main`): the commands of `ui.cli.app` plus `serve`, which builds the
server (`ui.app`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ui.cli.app import app, fail, run


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Interface to listen on (default: server.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: server.port).")] = None,
    ingest_if_empty: Annotated[list[Path] | None, typer.Option(
        "--ingest-if-empty", help="Ingest these paths first when the index is empty.")] = None,
) -> None:
    """Serve the chat at / and the JSON API at /api (OpenAPI docs at /docs)."""
    import uvicorn

    from ui.app import create_app

    settings = run(ctx, lambda: ctx.obj.settings)
    host = host or settings.server.host
    port = port or settings.server.port
    if not 0 < port < 65536:
        fail(f"--port {port} is not a TCP port")
    assistant = run(ctx, ctx.obj.assistant)
    if ingest_if_empty and not assistant.has_articles():
        report = assistant.ingest(ingest_if_empty)
        typer.echo(f"Indexed {report.count('indexed')} file(s), {report.chunks_added} chunk(s) "
                   f"from {', '.join(map(str, ingest_if_empty))}.")
    typer.echo(f"Chat on http://{host}:{port}/  widget on /embed  API docs on /docs")
    if settings.server.workers > 1:
        # Each worker process builds its own app from the same configuration.
        if ctx.obj.config:
            os.environ["QA_CONFIG"] = str(ctx.obj.config.resolve())
        uvicorn.run("ui.app:app_from_environment", factory=True, host=host, port=port,
                    workers=settings.server.workers, log_level="warning")
    else:
        uvicorn.run(create_app(assistant), host=host, port=port, log_level="warning")


def main() -> None:
    # Offline by construction: no model downloads, no telemetry.
    for name, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"),
                        ("GRADIO_ANALYTICS_ENABLED", "False"), ("ANONYMIZED_TELEMETRY", "False"),
                        ("TOKENIZERS_PARALLELISM", "false")):
        os.environ.setdefault(name, value)
    app()


if __name__ == "__main__":
    main()

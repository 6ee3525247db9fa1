"""The `qa` command line: the commands over `Assistant` in `ui.cli.app`, `serve` in
`ui.cli.serve`, web sources, folder watching and readers' feedback in `web_commands`,
`watch_command` and `feedback_command`, and the console (output, errors, exit statuses) in
`console`."""


def main() -> None:
    """The `qa` console script."""
    from ui.cli.serve import main as run  # the commands load only when the script runs

    run()

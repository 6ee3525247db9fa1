"""The faces of the service, all served by `qa serve`: browser chat, the embeddable widget, the JSON
HTTP API, the Articles admin tab and MCP tools."""

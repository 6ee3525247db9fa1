"""The faces of the service: browser chat, JSON HTTP API (and, later, the embeddable widget)."""

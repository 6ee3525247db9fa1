"""Articles in, searchable chunks out. Knows nothing of questions."""

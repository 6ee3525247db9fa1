"""Articles in: files, folders and the web, read, cleaned, dated and chunked."""

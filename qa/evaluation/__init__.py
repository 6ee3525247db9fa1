"""Measuring retrieval and answer quality on public QA data (`qa eval`)."""

"""Articles in, searchable chunks out. Knows nothing of questions."""

from index.chunk import SentenceChunker
from index.embed import Embedder
from index.ingest import Ingestor
from index.models import Article, ArticleInfo, Chunk, FileReport, Hit, IngestReport
from index.store import ArticleStore, embedded_client

__all__ = ["Article", "ArticleInfo", "ArticleStore", "Chunk", "Embedder", "FileReport", "Hit",
           "IngestReport", "Ingestor", "SentenceChunker", "embedded_client"]

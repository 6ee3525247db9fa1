"""Configuration: `config.yaml` + `QA_<SECTION>__<KEY>` environment overrides, validated once.

This module is the only reader of the file. The CLI and the server call `load_settings()` at
the edge and pass the resulting `Settings` down. Unknown keys and bad values are errors that
name the key. Relative paths are resolved against the config file's folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from index.errors import ConfigError
from index.storage.stories import DEFAULT_THRESHOLD as DEFAULT_STORY_THRESHOLD
from index.loading.web.addresses import allow_rule
from qa.answering.weights import DEFAULT_ABSTAIN_THRESHOLD

DEFAULT_CONFIG = Path("config.yaml")
ENV_PREFIX = "QA_"
SECRET_KEYS = ("store.headers", "store.records_url")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DataSettings(_Section):
    dir: Path = Field(Path(".qa-data"), description="Folder for the index (Chroma + record manager).")


class StoreSettings(_Section):
    collection: str = Field("articles", min_length=3, max_length=63, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]$",
                            description="Chroma collection name.")
    mode: Literal["embedded", "server"] = Field(
        "embedded", description="embedded: Chroma's files in the data folder; server: a Chroma server (host, port).")
    host: str = Field("127.0.0.1", min_length=1, description="Chroma server host name or address (server mode).")
    port: int = Field(8000, ge=1, le=65535, description="Chroma server port (server mode).")
    ssl: bool = Field(False, description="Talk to the Chroma server over HTTPS (server mode).")
    headers: dict[str, str] = Field(default_factory=dict,
                                    description="HTTP headers sent to the Chroma server, e.g. Authorization.")
    records_url: str | None = Field(None, min_length=1,
                                    description="SQLAlchemy URL of the record manager's database "
                                                "(default: records.sqlite in the data folder).")
    backend: Literal["chroma", "milvus"] = Field(
        "chroma", description="chroma: Chroma (mode: embedded or server); milvus: a Milvus engine at store.uri "
                              "that holds the dense and the keyword index (index/storage/milvus).")
    uri: str = Field("http://127.0.0.1:19530", pattern=r"^(https?|tcp|grpc)://[^\s/]+/?$",
                     description="Address of the Milvus engine (backend milvus), e.g. `make milvus`'s.")
    token_env: str = Field("QA_MILVUS_TOKEN", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                           description="Environment variable holding the Milvus token (user:password or API "
                                       "key); never in this file. Unset: no token.")

    @field_validator("host")
    @classmethod
    def _bare_host(cls, host: str) -> str:
        if "/" in host or any(c.isspace() for c in host):
            raise ValueError(f"{host!r} is not a bare host name or address; drop the scheme and path "
                             f"(store.ssl: true selects https)")
        return host

    @field_validator("headers")
    @classmethod
    def _valid_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name):
                raise ValueError(f"{name!r} is not an HTTP header name")
            if "\r" in value or "\n" in value:
                raise ValueError(f"the value of header {name!r} contains a line break")
        return headers

    @field_validator("records_url")
    @classmethod
    def _sqlalchemy_url(cls, url: str | None) -> str | None:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        if url is not None:
            try:
                make_url(url)
            except ArgumentError:
                raise ValueError("not a SQLAlchemy URL like sqlite:////srv/qa/records.sqlite "
                                 "or postgresql://user@host/qa") from None
        return url


class EmbeddingSettings(_Section):
    model: str = Field("all-MiniLM-L6-v2", min_length=1,
                       description="Sentence-transformers model name or local path.")
    backend: Literal["torch", "onnx", "onnx-int8"] = Field(
        "onnx-int8", description="torch (sentence-transformers), onnx (exported, fp32) or onnx-int8.")
    cache_dir: Path | None = Field(
        None, description="Where the ONNX exports (and the bundled LLM file) are cached; default per user, "
                          "shared by every data directory: ${XDG_CACHE_HOME:-~/.cache}/news-qa/models.")
    batch_size: int = Field(32, ge=1, le=1024)
    device: str = Field("cpu", min_length=1)

    def models_dir(self) -> Path:
        """`cache_dir`, or the per-user default (`index.embedding.embed.default_cache_dir()`, read from the
        environment when called)."""
        from index.embedding.embed import default_cache_dir

        return self.cache_dir or default_cache_dir()


class ChunkingSettings(_Section):
    size: int = Field(1000, ge=50, le=20000, description="Maximum chunk length in characters.")
    overlap: int = Field(200, ge=0, description="Characters shared by consecutive chunks.")

    @model_validator(mode="after")
    def _overlap_below_size(self) -> ChunkingSettings:
        if self.overlap >= self.size:
            raise ValueError(f"overlap ({self.overlap}) must be smaller than size ({self.size})")
        return self


class RetrievalSettings(_Section):
    top_k: int = Field(5, ge=1, le=100, description="Chunks retrieved per question.")
    mode: Literal["hybrid", "dense", "keyword"] = Field("hybrid", description="Which searches are fused.")
    candidates: int = Field(30, ge=1, le=1000, description="Results taken from each search before fusion.")
    rrf_k: int = Field(10, ge=1, le=1000, description="Reciprocal rank fusion constant.")


class StoriesSettings(_Section):
    enabled: bool = Field(True, description="Collapse wire copies (one story republished by several outlets): one "
                                            "copy per story among the passages, the others listed as 'also "
                                            "published by'.")
    threshold: float = Field(DEFAULT_STORY_THRESHOLD, gt=0.0, le=1.0,
                             description="Estimated Jaccard similarity of two articles' 5-word shingles from which "
                                         "they are one story.")


class AnswerSettings(_Section):
    mode: Literal["extractive", "llm"] = Field(
        "extractive", description="extractive: quote sentences; llm: a language model writes, every sentence checked.")
    abstain_threshold: float = Field(DEFAULT_ABSTAIN_THRESHOLD, ge=-1.0, le=2.0,
                                     description="Below this evidence score the answer abstains.")
    judge: bool = Field(True, description="Decide with the trained judge (qa/answering/judge.json) when present.")
    min_confidence: float | None = Field(
        None, ge=0.0, le=1.0, description="Judge probability from which a quote is 'answered' (else 'uncertain'); "
                                          "empty: the bar the judge was trained with.")
    verifier: bool = Field(False, description="Let the trained verifier (qa/answering/verifier-int8.onnx) choose among "
                                              "the judge's shortlist; needs the judge. Off by default: it trades answers "
                                              "for trust and costs a call per candidate (README, 'The verifier').")
    verify_at: float = Field(0.4, ge=0.0, le=1.0,
                             description="Verifier probability from which a sentence holds what was asked ('answered').")
    confirm_at: float | None = Field(
        0.2, ge=0.0, le=1.0,
        description="With verifier off: the trained verifier reads the judge's chosen sentence (one model call) and "
                    "under this probability an 'answered' becomes 'uncertain', the same quote; empty: no check.")
    verify_top: int = Field(12, ge=1, le=50,
                            description="How many of the judge's best candidates the verifier reads (each is one "
                                        "model call, about 4 ms on one core).")
    max_sentences: int = Field(2, ge=1, le=10)
    sources_on_abstain: int = Field(3, ge=0, le=20)
    max_question_chars: int = Field(2000, ge=10, le=20_000, description="Longest question accepted, in characters.")
    history_chars: int = Field(4000, ge=0, le=200_000,
                               description="Characters of chat history used to read a follow-up; oldest dropped first.")
    conflicts: bool = Field(True, description="Say when the sources that answer state different values of what was "
                                              "asked ('Sources differ: 20 [2] (Nov 7), 19 [1] (Nov 6)').")


class LLMSettings(_Section):
    provider: Literal["openai", "ollama", "llamacpp"] = Field(
        "openai", description="openai (any OpenAI-compatible endpoint), ollama, or llamacpp (in-process GGUF).")
    model: str = Field("", description="Model name for openai and ollama; empty: the provider's default.")
    base_url: str | None = Field(None, description="Endpoint, e.g. http://127.0.0.1:8080/v1 or http://127.0.0.1:11434.")
    api_key_env: str = Field("OPENAI_API_KEY", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                             description="Environment variable holding the API key (openai); never the key itself.")
    model_path: Path | None = Field(None, description="GGUF file (llamacpp); empty: the bundled Gemma 3 270M.")
    context_tokens: int = Field(4096, ge=512, le=131072, description="Context window (llamacpp).")
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    max_tokens: int = Field(400, ge=16, le=8192, description="Longest answer, in tokens.")
    timeout_s: float = Field(30.0, gt=0, le=600, description="Seconds to wait for the model (per attempt).")
    retries: int = Field(1, ge=0, le=5, description="Attempts after the first when the model is unreachable.")
    sources: int = Field(5, ge=1, le=20, description="Retrieved passages given to the model as numbered sources.")
    rewrite_follow_ups: bool = Field(True, description="Let the model rewrite a follow-up into a standalone question.")
    unsupported: Literal["remove", "mark"] = Field(
        "remove", description="What happens to a sentence its cited sources do not support.")
    min_similarity: float = Field(0.55, ge=-1.0, le=1.0,
                                  description="Least cosine between a sentence and the 1-3 source sentences it is "
                                              "aligned to (0.35 when 80% of its words are in them).")
    min_lexical: float = Field(0.5, ge=0.0, le=1.0,
                               description="Least share of a sentence's content words found in its cited sources.")
    verifier: bool = Field(False, description="Also have the trained verifier (qa/answering/verifier-int8.onnx) read "
                                              "each sentence with its aligned source sentences. Off: on the tune claim "
                                              "set it removed nothing the exact checks keep, and cost faithful ones.")
    min_support: float = Field(0.02, ge=0.0, le=1.0,
                               description="With llm.verifier: the verifier's probability of 'supported' from which a sentence is kept.")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", url):
            raise ValueError(f"{url!r} is not an http(s) URL like http://127.0.0.1:8080/v1")
        return url


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(7860, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64, description="Server processes; each loads the model once.")
    concurrency: int = Field(4, ge=1, le=256, description="Chat requests answered at once per process.")
    admin_password_env: str = Field("QA_ADMIN_PASSWORD", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                                    description="Environment variable holding the admin password.")
    embed_origins: list[str] = Field(default_factory=lambda: ["*"],
                                     description="Origins allowed to frame /embed (frame-ancestors).")
    cors_origins: list[str] = Field(default_factory=lambda: ["*"],
                                    description="Origins allowed to call /api from a browser (CORS).")
    max_upload_mb: int = Field(20, ge=1, le=1024)
    upload_types: list[str] = Field(default_factory=lambda: [".txt", ".md", ".markdown", ".html", ".htm", ".json",
                                                             ".jsonl", ".pdf", ".docx"],
                                    description="File types the admin upload accepts (a subset of what ingest reads).")
    rate_limit: int = Field(120, ge=0, le=1_000_000,
                            description="Questions per minute per client address (ask, chat, MCP); 0: no limit.")
    rate_limit_exempt: list[str] = Field(default_factory=lambda: ["127.0.0.1/32", "::1/128"],
                                         description="Addresses or networks never limited (default: loopback).")
    trusted_proxies: list[str] = Field(default_factory=list,
                                       description="Reverse proxies whose X-Forwarded-For names the client.")
    mcp: bool = Field(False, description="Serve the articles to MCP clients at /mcp (tools: ask, search, list).")

    @field_validator("rate_limit_exempt", "trusted_proxies")
    @classmethod
    def _networks(cls, entries: list[str]) -> list[str]:
        import ipaddress

        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network like 10.0.0.0/8") from None
        return entries

    @field_validator("upload_types")
    @classmethod
    def _known_types(cls, types: list[str]) -> list[str]:
        from index.loading.load import SUPPORTED_SUFFIXES

        for suffix in types:
            if suffix.lower() not in SUPPORTED_SUFFIXES:
                raise ValueError(f"{suffix!r} is not a type ingest reads ({', '.join(SUPPORTED_SUFFIXES)})")
        return [t.lower() for t in types]

    @field_validator("embed_origins", "cors_origins")
    @classmethod
    def _origins_are_origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if origin != "*" and not re.fullmatch(r"https?://[^/\s]+", origin):
                raise ValueError(f"{origin!r} is not an origin like https://example.com or *")
        return origins


class WebSource(_Section):
    url: str = Field(..., min_length=1, description="Feed or sitemap URL (a feed may also be a local file).")
    kind: Literal["feed", "sitemap"] = Field("feed", description="feed (RSS or Atom) or sitemap.")
    interval_minutes: int | None = Field(None, ge=1, le=525_600,
                                         description="Minutes between refreshes; empty: web.refresh_minutes.")


class WebSettings(_Section):
    feeds: list[WebSource] = Field(default_factory=list,
                                   description="Feeds and sitemaps refreshed by `qa refresh` and `qa serve`.")
    refresh_minutes: int = Field(60, ge=1, le=525_600, description="Default minutes between refreshes of a source.")
    user_agent: str = Field("news-qa/0.1 (article fetcher; respects robots.txt)", min_length=1,
                            description="User-Agent header; its first word is the robots.txt agent name.")
    timeout_s: float = Field(10.0, gt=0, le=300, description="Connect and read timeout per request, in seconds.")
    fetch_deadline_s: float = Field(30.0, gt=0, le=3600,
                                    description="Seconds one fetch may take in all: connecting, headers, body, "
                                                "redirects and its robots.txt.")
    max_page_mb: float = Field(5.0, gt=0, le=100,
                               description="Largest page, feed or document (PDF, .docx) read, in megabytes.")
    max_sitemap_mb: float = Field(50.0, gt=0, le=1000,
                                  description="Largest sitemap read, in megabytes uncompressed (parsed as it "
                                              "downloads, never held whole).")
    max_redirects: int = Field(5, ge=0, le=20, description="Redirects followed per URL, each checked again.")
    per_host_concurrency: int = Field(2, ge=1, le=32, description="Requests to one host at a time.")
    workers: int = Field(8, ge=1, le=64, description="Pages fetched in parallel.")
    respect_robots: bool = Field(True, description="Obey each site's robots.txt.")
    allow_private: bool = Field(False, description="Fetch from private, loopback and link-local addresses.")
    allow_hosts: list[str] = Field(default_factory=list,
                                   description="Host names, addresses or CIDR networks allowed even when private; "
                                               "`host:port` or `[v6]:port` allows that port only.")
    fetch_articles: bool = Field(True, description="Fetch each feed entry's page; false: index the entry's own text.")
    max_entries: int = Field(500, ge=1, le=100_000, description="Entries or sitemap URLs read per source and refresh.")
    background_refresh: bool = Field(True, description="`qa serve` refreshes the due sources in a background thread.")
    refresh_check_s: float = Field(60.0, ge=0.05, le=3600,
                                   description="Seconds between two looks for due sources by the background refresh.")

    @field_validator("feeds", mode="before")
    @classmethod
    def _plain_urls(cls, feeds: Any) -> Any:
        if isinstance(feeds, list):
            return [{"url": f} if isinstance(f, str) else f for f in feeds]
        return feeds

    @field_validator("user_agent")
    @classmethod
    def _one_line(cls, agent: str) -> str:
        if "\r" in agent or "\n" in agent:
            raise ValueError("the user agent must be one line")
        return agent.strip()

    @field_validator("allow_hosts")
    @classmethod
    def _hosts(cls, hosts: list[str]) -> list[str]:
        for host in hosts:
            if not re.fullmatch(r"[A-Za-z0-9.:\[\]/_-]+", host.strip()):
                raise ValueError(f"{host!r} is not a host name, an address or a network like 10.0.0.0/8")
            allow_rule(host)  # raises with the reason: a bad port, a malformed address or network
        return [h.strip() for h in hosts]


class Settings(_Section):
    data: DataSettings = Field(default_factory=DataSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    stories: StoriesSettings = Field(default_factory=StoriesSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    web: WebSettings = Field(default_factory=WebSettings)

    def resolve_paths(self, base: Path) -> Settings:
        if not self.data.dir.expanduser().is_absolute():
            self.data.dir = (base / self.data.dir.expanduser()).resolve()
        else:
            self.data.dir = self.data.dir.expanduser()
        model_path = self.llm.model_path
        if model_path is not None:
            model_path = model_path.expanduser()
            self.llm.model_path = model_path if model_path.is_absolute() else (base / model_path).resolve()
        cache = self.embedding.cache_dir  # None: the per-user cache, decided where the model loads
        if cache is not None:
            cache = cache.expanduser()
            self.embedding.cache_dir = cache if cache.is_absolute() else (base / cache).resolve()
        return self


def load_settings(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read, override and validate the configuration.

    Args:
        path: The YAML file; None means `config.yaml` in the working directory, or the
            built-in defaults where there is none. A path that was named must exist.
        env: Environment to read overrides from (default: `os.environ`).
    """
    env = os.environ if env is None else env
    named = path is not None or bool(env.get("QA_CONFIG"))
    config_path = Path(path or env.get("QA_CONFIG") or DEFAULT_CONFIG).expanduser()
    raw: dict[str, Any] = {}
    if config_path.is_file():
        try:
            raw = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{config_path}: not valid YAML: {exc}") from exc
        if not isinstance(raw, dict):
            raise ConfigError(f"{config_path}: expected a mapping of sections, got {type(raw).__name__}")
        # A section whose keys are all commented out reads as null: it means "the defaults".
        raw = {name: ({} if value is None else value) for name, value in raw.items()}
    elif named:
        raise ConfigError(f"config file not found: {config_path}")
    try:
        _apply_env(raw, env)
    except ConfigError as exc:
        raise ConfigError(f"{config_path}: {exc}") from None
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{config_path}: {_describe(exc)}") from None
    return settings.resolve_paths(config_path.resolve().parent)


def _apply_env(raw: dict[str, Any], env: Mapping[str, str]) -> None:
    """Fold `QA_SECTION__KEY=value` into `raw`; values are parsed as YAML scalars."""
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX) or name == "QA_CONFIG" or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX):].lower().partition("__")
        if section not in Settings.model_fields:
            raise ConfigError(f"environment variable {name}: unknown section '{section}' "
                              f"(known: {', '.join(Settings.model_fields)})")
        fields = Settings.model_fields[section].annotation.model_fields
        if key not in fields:
            raise ConfigError(f"environment variable {name}: unknown key '{section}.{key}' "
                              f"(known: {', '.join(fields)})")
        annotation = fields[key].annotation
        if annotation in (str, str | None):
            parsed: Any = value  # "2024" is a valid collection name, not a number
        else:
            try:
                parsed = yaml.safe_load(value) if value.strip() else value
            except yaml.YAMLError:
                parsed = value
            if isinstance(parsed, dict) and get_origin(annotation) is not dict:
                parsed = value  # only a mapping-typed key (store.headers) takes `{Name: value}`
        section_values = raw.setdefault(section, {})
        if not isinstance(section_values, dict):
            raise ConfigError(f"config section '{section}' must be a mapping of keys, "
                              f"got {type(section_values).__name__}")
        section_values[key] = parsed


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        key = ".".join(str(p) for p in error["loc"]) or "(top level)"
        if error["type"] == "extra_forbidden":
            parts.append(f"unknown key '{key}'")
        elif key.startswith(SECRET_KEYS):  # may hold a token or password: never echo it
            parts.append(f"'{key}': {error['msg']}")
        else:
            parts.append(f"'{key}': {error['msg']} (got {error.get('input')!r})")
    return "; ".join(parts)


def write_threshold(path: str | Path, value: float) -> float | None:
    """Set `answer.abstain_threshold` in a config file in place, keeping its comments.

    Returns the previous value (None when the key was absent and has been added).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}; create one (copy config.yaml) to store the threshold")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    section = None
    for n, line in enumerate(lines):
        if re.match(r"^[A-Za-z_]\w*:", line):
            section = line.split(":", 1)[0]
        match = re.match(r"^(\s+abstain_threshold:\s*)([^#\n]*?)(\s*(#.*)?)$", line.rstrip("\n"))
        if section == "answer" and match:
            lines[n] = f"{match.group(1)}{value}{match.group(3)}\n"
            path.write_text("".join(lines), encoding="utf-8")
            return float(match.group(2))
    raise ConfigError(f"{path}: no answer.abstain_threshold line to update; add `answer:` / "
                      f"`  abstain_threshold: {value}`")

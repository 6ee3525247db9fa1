"""Unit tests for qa/config.py. Every call passes `env` explicitly: the real environment
(and the QA_DATA__DIR that conftest sets) must not leak into these tests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from index.errors import ConfigError
from qa.config import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config.yaml"


def write_config(folder: Path, text: str, name: str = "config.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def without_data(settings: Settings) -> dict:
    return settings.model_dump(exclude={"data"})


# --- defaults and the repository's file -------------------------------------------------------

def test_defaults_when_there_is_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no config.yaml here
    settings = load_settings(None, env={})
    assert without_data(settings) == without_data(Settings())
    assert settings.retrieval.top_k == 5
    assert settings.chunking.size == 1000 and settings.chunking.overlap == 200
    assert settings.data.dir == (tmp_path / ".qa-data").resolve()


def test_repository_config_loads_and_matches_the_defaults() -> None:
    settings = load_settings(CONFIG, env={})
    assert without_data(settings) == without_data(Settings())
    assert settings.data.dir == (ROOT / ".qa-data").resolve()


def _documented_keys(text: str) -> dict[tuple[str, str], str]:
    """(section, key) -> the line directly above that key in the raw YAML text."""
    above: dict[tuple[str, str], str] = {}
    section = None
    lines = text.splitlines()
    for n, line in enumerate(lines):
        top = re.match(r"^([A-Za-z_]\w*):\s*(#.*)?$", line)
        if top:
            section = top.group(1)
            continue
        nested = re.match(r"^\s+([A-Za-z_]\w*):", line)
        if nested and section is not None:
            above[(section, nested.group(1))] = lines[n - 1] if n else ""
    return above


SETTING_KEYS = [(section, key) for section, section_field in Settings.model_fields.items()
                for key in section_field.annotation.model_fields]


@pytest.mark.parametrize(("section", "key"), SETTING_KEYS)
def test_every_setting_is_a_documented_key_of_config_yaml(section: str, key: str) -> None:
    text = CONFIG.read_text(encoding="utf-8")
    parsed = yaml.safe_load(text)
    assert key in (parsed.get(section) or {}), f"{section}.{key} is absent from config.yaml"
    line_above = _documented_keys(text).get((section, key), "")
    assert line_above.strip().startswith("#"), f"{section}.{key} has no comment line directly above it"


def test_config_yaml_has_no_keys_the_settings_do_not_know() -> None:
    parsed = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    assert set(parsed) <= set(Settings.model_fields)
    for section, values in parsed.items():
        assert set(values) <= set(Settings.model_fields[section].annotation.model_fields), section


# --- environment overrides --------------------------------------------------------------------

def test_env_override_is_parsed_to_the_field_type() -> None:
    settings = load_settings(CONFIG, env={"QA_RETRIEVAL__TOP_K": "8", "QA_ANSWER__ABSTAIN_THRESHOLD": "0.25",
                                          "QA_SERVER__HOST": "0.0.0.0"})
    assert settings.retrieval.top_k == 8 and isinstance(settings.retrieval.top_k, int)
    assert settings.answer.abstain_threshold == 0.25
    assert settings.server.host == "0.0.0.0"


def test_env_override_wins_over_the_file(tmp_path: Path) -> None:
    path = write_config(tmp_path, "retrieval:\n  top_k: 3\nserver:\n  port: 9000\n")
    settings = load_settings(path, env={"QA_SERVER__PORT": "8080"})
    assert (settings.retrieval.top_k, settings.server.port) == (3, 8080)


def test_unrelated_environment_variables_are_ignored() -> None:
    env = {"PATH": "/bin", "QA_CONFIG_X": "1", "QAX_RETRIEVAL__TOP_K": "9", "QA_RETRIEVAL": "9"}
    assert load_settings(CONFIG, env=env).retrieval.top_k == 5


def test_qa_config_selects_the_file(tmp_path: Path) -> None:
    path = write_config(tmp_path, "retrieval:\n  top_k: 11\n", name="other.yaml")
    assert load_settings(None, env={"QA_CONFIG": str(path)}).retrieval.top_k == 11


def test_env_unknown_section_is_named() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(CONFIG, env={"QA_RETRIVAL__TOP_K": "8"})
    assert "QA_RETRIVAL__TOP_K" in str(info.value) and "'retrival'" in str(info.value)


def test_env_unknown_key_is_named() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(CONFIG, env={"QA_RETRIEVAL__TOPK": "8"})
    assert "retrieval.topk" in str(info.value)


def test_env_bad_value_names_the_key() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(CONFIG, env={"QA_RETRIEVAL__TOP_K": "many"})
    assert "retrieval.top_k" in str(info.value) and "many" in str(info.value)


def test_env_numeric_looking_value_for_a_string_setting() -> None:
    settings = load_settings(CONFIG, env={"QA_STORE__COLLECTION": "2024"})
    assert settings.store.collection == "2024"


# --- file errors ------------------------------------------------------------------------------

def test_file_unknown_key_is_named_with_its_section(tmp_path: Path) -> None:
    path = write_config(tmp_path, "retrieval:\n  top_k: 3\n  topk: 4\n")
    with pytest.raises(ConfigError, match=r"retrieval\.topk"):
        load_settings(path, env={})


def test_file_unknown_section_is_named(tmp_path: Path) -> None:
    path = write_config(tmp_path, "retreival:\n  top_k: 3\n")
    with pytest.raises(ConfigError, match="retreival"):
        load_settings(path, env={})


def test_file_bad_value_names_the_key(tmp_path: Path) -> None:
    path = write_config(tmp_path, "server:\n  port: 70000\n")
    with pytest.raises(ConfigError, match=r"server\.port"):
        load_settings(path, env={})


@pytest.mark.parametrize(("size", "overlap"), [(300, 300), (300, 500)])
def test_overlap_not_below_size_is_an_error(tmp_path: Path, size: int, overlap: int) -> None:
    path = write_config(tmp_path, f"chunking:\n  size: {size}\n  overlap: {overlap}\n")
    with pytest.raises(ConfigError, match="overlap"):
        load_settings(path, env={})


def test_overlap_from_env_is_checked_against_the_file_size() -> None:
    with pytest.raises(ConfigError, match="overlap"):
        load_settings(CONFIG, env={"QA_CHUNKING__OVERLAP": "1000"})


def test_named_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.yaml", env={})
    with pytest.raises(ConfigError, match="not found"):
        load_settings(None, env={"QA_CONFIG": str(tmp_path / "nope.yaml")})


def test_invalid_yaml_and_non_mapping_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(write_config(tmp_path, "retrieval: [unclosed\n"), env={})
    with pytest.raises(ConfigError, match="mapping"):
        load_settings(write_config(tmp_path, "- a\n- b\n"), env={})


def test_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path, "# nothing set\n"), env={})
    assert without_data(settings) == without_data(Settings())


def test_section_with_every_key_commented_out_gives_its_defaults(tmp_path: Path) -> None:
    path = write_config(tmp_path, "retrieval:\n  # top_k: 3\n")
    assert load_settings(path, env={}).retrieval.top_k == 5


# --- paths ------------------------------------------------------------------------------------

def test_relative_data_dir_resolves_against_the_config_folder(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    config_dir = tmp_path / "conf"
    config_dir.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    path = write_config(config_dir, "data:\n  dir: sub/index\n")
    assert load_settings(path, env={}).data.dir == (config_dir / "sub" / "index").resolve()
    # Also when the file is named by a relative path.
    assert load_settings("../conf/config.yaml", env={}).data.dir == (config_dir / "sub" / "index").resolve()


def test_absolute_and_home_data_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    absolute = tmp_path / "abs-index"
    assert load_settings(CONFIG, env={"QA_DATA__DIR": str(absolute)}).data.dir == absolute
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert load_settings(CONFIG, env={"QA_DATA__DIR": "~/idx"}).data.dir == tmp_path / "home" / "idx"


# --- store: embedded or a Chroma server -------------------------------------------------------

def test_store_server_keys_from_the_file(tmp_path: Path) -> None:
    path = write_config(tmp_path, "store:\n  mode: server\n  host: chroma.internal\n  port: 8443\n  ssl: true\n"
                                  "  headers: {Authorization: Bearer abc}\n"
                                  "  records_url: postgresql://qa@db/qa\n")
    store = load_settings(path, env={}).store
    assert (store.mode, store.host, store.port, store.ssl) == ("server", "chroma.internal", 8443, True)
    assert store.headers == {"Authorization": "Bearer abc"}
    assert store.records_url == "postgresql://qa@db/qa"
    defaults = load_settings(CONFIG, env={}).store
    assert (defaults.mode, defaults.headers, defaults.records_url) == ("embedded", {}, None)


def test_store_headers_from_the_environment_as_a_yaml_mapping() -> None:
    env = {"QA_STORE__HEADERS": "{Authorization: Bearer s3cret, X-Chroma-Token: 'tok: 1'}",
           "QA_STORE__MODE": "server", "QA_STORE__PORT": "9000",
           "QA_STORE__RECORDS_URL": "postgresql://qa:p%40ss@db:5432/qa"}
    store = load_settings(CONFIG, env=env).store
    assert store.headers == {"Authorization": "Bearer s3cret", "X-Chroma-Token": "tok: 1"}
    assert (store.mode, store.port) == ("server", 9000)
    assert store.records_url == "postgresql://qa:p%40ss@db:5432/qa"  # kept verbatim, not parsed as YAML


@pytest.mark.parametrize(("value", "fragment"), [
    ("Bearer s3cret", "store.headers"),  # not a mapping
    ("{X-Version: 2}", "store.headers.X-Version"),  # values are strings
    ("{Bad Name: s3cret}", "not an HTTP header name"),
])
def test_store_headers_must_be_a_mapping_of_strings_and_are_never_echoed(value: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(CONFIG, env={"QA_STORE__HEADERS": value})
    assert fragment in str(info.value) and "s3cret" not in str(info.value)


def test_a_mapping_is_still_refused_for_other_keys() -> None:
    with pytest.raises(ConfigError, match=r"retrieval\.top_k"):
        load_settings(CONFIG, env={"QA_RETRIEVAL__TOP_K": "{a: 1}"})


@pytest.mark.parametrize(("key", "value", "fragment"), [
    ("PORT", "0", "store.port"),
    ("PORT", "65536", "store.port"),
    ("MODE", "cloud", "store.mode"),
    ("HOST", "http://chroma:8000", "bare host name"),
    ("SSL", "maybe", "store.ssl"),
])
def test_store_bad_values_name_the_key(key: str, value: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        load_settings(CONFIG, env={f"QA_STORE__{key}": value})


def test_store_records_url_must_be_a_sqlalchemy_url_and_is_never_echoed() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(CONFIG, env={"QA_STORE__RECORDS_URL": "db with s3cret password"})
    assert "store.records_url" in str(info.value) and "SQLAlchemy URL" in str(info.value)
    assert "s3cret" not in str(info.value)

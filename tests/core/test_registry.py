import hashlib
from pathlib import Path

import pytest

from nlpsuite.data import registry
from nlpsuite.errors import NlpsuiteError


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(registry.DATA_DIR_ENV, str(tmp_path))
    return tmp_path


def test_data_dir_follows_env(data_dir):
    assert registry.data_dir() == data_dir


def test_present_files_resolve_without_download(data_dir, monkeypatch):
    folder = data_dir / "ner" / "conll2003"
    folder.mkdir(parents=True)
    for name in ("train.txt", "valid.txt", "test.txt"):
        (folder / name).write_text("EU\tB-ORG\n\n")
    monkeypatch.setattr(registry, "_fetch", lambda *a: pytest.fail("must not download"))
    assert registry.get("conll2003") == folder
    assert registry.resolve("conll2003") == folder


def test_single_file_dataset(data_dir):
    path = data_dir / "poetry" / "tinyshakespeare" / "input.txt"
    path.parent.mkdir(parents=True)
    path.write_text("First Citizen:\n")
    assert registry.get("tinyshakespeare") == path


def test_missing_and_unfetchable_names_folder_and_variable(data_dir, monkeypatch):
    def refuse(*args):
        raise OSError("network unreachable")

    monkeypatch.setattr(registry, "_fetch", refuse)
    with pytest.raises(NlpsuiteError) as info:
        registry.get("sst2")
    message = str(info.value)
    assert str(data_dir / "sentiment" / "sst2") in message
    assert registry.DATA_DIR_ENV in message


def test_fetch_from_origin_checks_hash(data_dir, tmp_path_factory, monkeypatch):
    origin = tmp_path_factory.mktemp("origin")
    content = b"To be, or not to be\n"
    (origin / "input.txt").write_bytes(content)
    digest = hashlib.sha256(content).hexdigest()
    dataset = registry.Dataset("toy", "poetry/toy/input.txt", {"input.txt": ("input.txt", digest)},
                               origin.as_uri() + "/")
    monkeypatch.setitem(registry.DATASETS, "toy", dataset)
    path = registry.get("toy")
    assert path.read_bytes() == content
    assert path == data_dir / "poetry" / "toy" / "input.txt"


def test_fetch_rejects_wrong_hash(data_dir, tmp_path_factory, monkeypatch):
    origin = tmp_path_factory.mktemp("origin")
    (origin / "input.txt").write_bytes(b"tampered")
    dataset = registry.Dataset("toy", "poetry/toy/input.txt", {"input.txt": ("input.txt", "0" * 64)},
                               origin.as_uri() + "/")
    monkeypatch.setitem(registry.DATASETS, "toy", dataset)
    with pytest.raises(NlpsuiteError, match="could not be downloaded"):
        registry.get("toy")


def test_unknown_name_lists_known(data_dir):
    with pytest.raises(NlpsuiteError, match="conll2003"):
        registry.resolve("no-such-dataset")


def test_plain_path_passes_through(tmp_path):
    file = tmp_path / "mine.tsv"
    file.write_text("text\tlabel\n")
    assert registry.resolve(str(file)) == file
    with pytest.raises(NlpsuiteError, match="not found"):
        registry.resolve(str(tmp_path / "missing.tsv"))


MANIFEST = Path(__file__).resolve().parents[1] / "fixtures" / "registry" / "SHA256SUMS"


def test_registry_paths_and_hashes_match_the_shared_data_manifest():
    """Every file the registry knows sits at the path, with the SHA-256, that the shared data folder's
    own ``SHA256SUMS`` lists. The manifest (hashes and paths, no data) is a committed fixture, so this
    runs in CI without the data."""
    listed = {}
    for line in MANIFEST.read_text(encoding="utf-8").splitlines():
        digest, path = line.split(None, 1)
        listed[path.strip()] = digest
    checked = 0
    for name, dataset in registry.DATASETS.items():
        for local, (_, digest) in dataset.files.items():
            # A dataset named by a file keeps its fetched files beside it; one named by a folder inside it.
            is_file = Path(dataset.path).suffix and Path(dataset.path).name == local
            path = dataset.path if is_file else f"{dataset.path}/{local}"
            assert path in listed, f"{name}: {path} is not in the shared data"
            if digest is not None:
                assert listed[path] == digest, f"{name}: {path} has another SHA-256 in the shared data"
            checked += 1
    assert checked >= 20


def test_manifest_fixture_matches_the_shared_folder_when_present():
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "SHA256SUMS"
    if shared.exists():  # on the project machine: the committed copy is current
        assert shared.read_text(encoding="utf-8") == MANIFEST.read_text(encoding="utf-8")

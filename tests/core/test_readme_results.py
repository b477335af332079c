import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_tables_match_metrics_and_bench_files():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "results_table.py"), "--check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_committed_model_has_metrics_and_card():
    for folder in sorted((ROOT / "saved_models").iterdir()):
        if folder.is_dir() and not folder.name.startswith("."):
            for name in ("config.json", "model.keras", "metrics.json", "MODEL_CARD.md"):
                assert (folder / name).exists(), f"{folder.name} lacks {name}"

"""The tag-validity oracle itself, on sequences judged by hand."""

from __future__ import annotations

from .tag_rules import violation


def test_rules_on_hand_written_sequences():
    assert violation(["B-PER", "I-PER", "O", "B-LOC"], "BIO") is None
    assert violation(["I-PER"], "BIO") is not None
    assert violation(["B-PER", "I-LOC"], "BIO") is not None
    assert violation(["O", "I-PER"], "BIO") is not None
    assert violation(["B-PER", "E-PER", "S-LOC", "O"], "BIOES") is None
    assert violation(["B-PER"], "BIOES") is not None
    assert violation(["B-PER", "I-PER"], "BIOES") is not None
    assert violation(["B-PER", "O"], "BIOES") is not None
    assert violation(["E-PER"], "BIOES") is not None
    assert violation(["B-PER", "E-LOC"], "BIOES") is not None
    assert violation(["B-ORG", "M-ORG", "E-ORG", "S-NAME"], "BMES") is None
    assert violation(["B-ORG", "I-ORG", "E-ORG"], "BMES") is not None
    assert violation(["M-ORG"], "BMES") is not None

"""Secret values are replaced by ****** in text and in JSON-like data."""

from __future__ import annotations

from headway.masking import MASK, Masker


def test_longest_secret_first_and_nested_values() -> None:
    masker = Masker(["hunter2!", "hunter2!-long", "abc"])
    assert masker.text("a hunter2!-long and hunter2! but abc") == f"a {MASK} and {MASK} but abc"
    data = {"k": ["x hunter2! y", 3, {"deep": "hunter2!"}], "n": None}
    assert masker.value(data) == {"k": [f"x {MASK} y", 3, {"deep": MASK}], "n": None}


def test_no_secrets_leaves_everything_as_it_is() -> None:
    masker = Masker()
    value = {"a": "b"}
    assert masker.value(value) is value
    assert masker.with_secrets(["tiny"]).text("a tiny b") == f"a {MASK} b"
    assert masker.with_secrets(["no"]) is masker


def test_regex_characters_in_secrets_are_literal() -> None:
    assert Masker(["a.b*c"]).text("a.b*c axbbc") == f"{MASK} axbbc"

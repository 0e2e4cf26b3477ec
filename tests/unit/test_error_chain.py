"""What a failure is reported as: the cause Python would print, our own message first; an
unreadable token file is our error, naming the file."""

from __future__ import annotations

import json

import pytest

from ledgerlink.auth.tokens import TokenFileUnreadable, TokenStore
from ledgerlink.errors import ConfigurationError, exception_chain, find_in_chain
from pipelines.extract import ExtractFailed, extract_failure, root_cause


class StepFailed(Exception):
    """Stands in for dlt's wrappers (PipelineStepFailed, ResourceExtractionError)."""


def wrapped(inner: BaseException) -> StepFailed:
    try:
        try:
            raise inner
        except BaseException as exc:
            raise StepFailed("pipe failed") from exc
    except StepFailed as outer:
        return outer


def suppressed_context() -> ConfigurationError:
    """A `raise ... from None` while a StopIteration (a generator's end) was being handled:
    the shape that made extract report `StopIteration: 19`."""
    try:
        try:
            next(iter([]))
        except StopIteration:
            try:
                json.loads("{")
            except ValueError:
                raise ConfigurationError("INFOR_IONAPI_FILE x is not readable JSON") from None
    except ConfigurationError as exc:
        return exc
    raise AssertionError("unreachable")


def test_a_suppressed_context_is_not_followed():
    ours = suppressed_context()
    chain = list(exception_chain(wrapped(ours)))
    assert [type(e) for e in chain] == [StepFailed, ConfigurationError]
    assert root_cause(wrapped(ours)) == "INFOR_IONAPI_FILE x is not readable JSON"


def test_without_our_error_the_innermost_cause_is_named():
    assert root_cause(wrapped(KeyError("rows"))) == "KeyError: 'rows'"


def test_extract_raises_our_error_itself_and_ctrl_c_as_ctrl_c():
    ours = suppressed_context()
    assert extract_failure("infor", wrapped(ours)) is ours
    interrupt = KeyboardInterrupt()
    assert extract_failure("infor", wrapped(interrupt)) is interrupt
    other = extract_failure("infor", wrapped(ZeroDivisionError("division by zero")))
    assert isinstance(other, ExtractFailed)
    assert str(other) == "extract infor failed: ZeroDivisionError: division by zero"


def test_a_cycle_in_the_chain_ends():
    first, second = ValueError("a"), ValueError("b")
    first.__context__, second.__context__ = second, first
    assert list(exception_chain(first)) == [first, second]
    assert find_in_chain(first, KeyError) is None


@pytest.mark.parametrize("text", ["", "garbage", "[]", '{"foo": 1}'])
def test_token_file_problems_are_ours(tmp_path, text):
    path = tmp_path / "tokens.json"
    path.write_text(text)
    with pytest.raises(TokenFileUnreadable) as caught:
        TokenStore(path).load()
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_a_token_path_that_is_a_folder_says_so(tmp_path):
    with pytest.raises(TokenFileUnreadable, match="is a folder, not a file"):
        TokenStore(tmp_path).load()

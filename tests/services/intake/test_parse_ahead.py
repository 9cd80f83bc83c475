"""The parsing worker: each parse within a time and a memory limit; a dead worker is noticed."""
import resource

from helpdesk.domain.mail.parse import ParsedEmail
from helpdesk.services.intake.parse_ahead import Unparsed, ahead_parser
from tests.fixtures.mail import make_mail
from tests.fixtures.poison import parse_poisoned_within_limits

GOOD = make_mail("ann@customer.example", "Export fails")
BAD = make_mail("ann@customer.example", "Bad", "POISON")
MB = 1024 * 1024


def parse_in_worker(effect: str, memory_mb: int = 0, seconds: float = 2):
    with ahead_parser(1, 10 * MB, seconds, memory_mb) as parser:
        parsing = parser.pool.submit(parse_poisoned_within_limits, effect,
                                     {1: GOOD, 2: BAD, 3: GOOD}, 10 * MB, seconds)
        parsing.messages = 3
        return parser.result(parsing), parser.working


def test_the_parsing_worker_has_the_memory_limit():
    with ahead_parser(1, 10 * MB, 2, 700) as parser:
        soft, _ = parser.pool.submit(resource.getrlimit, resource.RLIMIT_AS).result()
    assert soft == 700 * MB


def test_a_parse_over_the_memory_limit_fails_that_message_only():
    parsed, working = parse_in_worker("huge", memory_mb=700, seconds=60)
    assert isinstance(parsed[1], ParsedEmail) and isinstance(parsed[3], ParsedEmail)
    assert parsed[2] == Unparsed("MemoryError: ")
    assert working


def test_a_parse_that_does_not_end_fails_that_message_only():
    # Long enough that the good messages beside it parse in time on a loaded machine.
    parsed, working = parse_in_worker("endless", seconds=3)
    assert isinstance(parsed[1], ParsedEmail) and isinstance(parsed[3], ParsedEmail)
    assert parsed[2] == Unparsed("ParseTimeout: parsing took longer than 3 s")
    assert working


def test_a_worker_that_dies_leaves_the_batch_to_the_ingester_and_parses_no_more():
    parsed, working = parse_in_worker("killed")
    assert parsed is None and not working

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.business_id import (
    BusinessIdError,
    check_digit,
    is_valid_business_id,
    normalise_business_id,
)

bodies = st.text(alphabet="0123456789", min_size=7, max_size=7)


def test_nokia_business_id_is_valid():
    # 0*7 + 2*9 + 0*10 + 1*5 + 2*8 + 5*4 + 6*2 = 71; 71 % 11 = 5; 11 - 5 = 6
    assert check_digit("0201256") == 6
    assert normalise_business_id("0201256-6") == "0201256-6"
    assert is_valid_business_id("0201256-6")


def test_remainder_zero_gives_check_digit_zero():
    assert check_digit("0000000") == 0
    # 1*7 + 0 ... + 2*2 = 11 -> remainder 0
    assert check_digit("1000002") == 0


def test_remainder_one_has_no_check_digit():
    # 7*1 + 9*0 + 10*0 + 5*1 = 12 -> remainder 1
    assert check_digit("1001000") is None


def test_surrounding_whitespace_is_stripped():
    assert normalise_business_id("  0201256-6\n") == "0201256-6"


def test_six_digit_old_id_gets_a_leading_zero():
    assert normalise_business_id("201256-6") == "0201256-6"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "0201256",
        "02012566",
        "0201256 -6",
        "0201 256-6",
        "0201256\u20136",  # en dash
        "02012566-6",  # eight digits
        "12345-6",  # five digits
        "0201256-66",
        "O201256-6",  # letter O
        "\u0660201256-6",  # Arabic-Indic zero
        "0201256-6-",
    ],
)
def test_malformed_ids_are_format_errors(value):
    with pytest.raises(BusinessIdError) as excinfo:
        normalise_business_id(value)
    assert excinfo.value.reason == "format"
    assert "format" in str(excinfo.value)
    assert not is_valid_business_id(value)


def test_non_text_is_a_format_error():
    with pytest.raises(BusinessIdError) as excinfo:
        normalise_business_id(2012566)  # type: ignore[arg-type]
    assert excinfo.value.reason == "format"


def test_wrong_check_digit_names_the_expected_digit():
    with pytest.raises(BusinessIdError) as excinfo:
        normalise_business_id("0201256-5")
    error = excinfo.value
    assert error.reason == "check_digit"
    assert error.expected == 6
    assert "expected 6" in str(error)
    assert "check digit" in str(error)


def test_body_without_any_valid_check_digit_is_refused_for_every_digit():
    for digit in range(10):
        with pytest.raises(BusinessIdError) as excinfo:
            normalise_business_id(f"1001000-{digit}")
        assert excinfo.value.reason == "impossible_body"
        assert excinfo.value.expected is None


def test_business_id_error_is_a_value_error():
    assert issubclass(BusinessIdError, ValueError)


@pytest.mark.parametrize("body", ["020125", "02012566", "020125a", ""])
def test_check_digit_needs_exactly_seven_digits(body):
    with pytest.raises(BusinessIdError):
        check_digit(body)


@given(bodies)
def test_every_body_accepts_exactly_its_check_digit(body):
    expected = check_digit(body)
    for digit in range(10):
        candidate = f"{body}-{digit}"
        if digit == expected:
            assert normalise_business_id(candidate) == candidate
            assert is_valid_business_id(candidate)
        else:
            assert not is_valid_business_id(candidate)


@given(bodies)
def test_check_digit_matches_the_weighted_sum(body):
    total = sum(w * int(d) for w, d in zip((7, 9, 10, 5, 8, 4, 2), body, strict=True))
    result = check_digit(body)
    if total % 11 == 1:
        assert result is None
    else:
        assert result is not None
        assert (total + result) % 11 == 0


@given(st.text(alphabet="0123456789", min_size=6, max_size=6))
def test_six_digit_form_equals_the_zero_padded_form(body):
    for digit in range(10):
        short, long = f"{body}-{digit}", f"0{body}-{digit}"
        assert is_valid_business_id(short) == is_valid_business_id(long)
        if is_valid_business_id(long):
            assert normalise_business_id(short) == long

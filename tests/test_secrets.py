"""Secrets: `${VAR}` references resolved from the environment, and masked in all text written."""

import threading

import pytest

from okrkit.secrets import MASK, MissingSecretError, Redactor, references, resolve

# --- references ----------------------------------------------------------------------------


def test_references_lists_names_in_order_once_each():
    settings = {
        "url": "https://api.example/${HOST_PATH}?key=${API_KEY}",
        "headers": {"X-Token": "${TOKEN}", "X-Again": "${API_KEY}"},
        "params": ["${ZED}", ("${TOKEN}", "${ALPHA}"), 5, None],
    }
    assert references(settings) == ["HOST_PATH", "API_KEY", "TOKEN", "ZED", "ALPHA"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("no references", []),
        ("$${ESCAPED}", []),
        ("$${ESCAPED} ${REAL}", ["REAL"]),
        ("${_under_score1}", ["_under_score1"]),
        ("${1BAD} ${BAD-NAME} ${} $VAR {VAR}", []),
        (42, []),
        (None, []),
        ({"${KEY_IN_A_KEY}": "v"}, []),  # only values are settings
    ],
)
def test_references_of_single_values(value, expected):
    assert references(value) == expected


# --- resolve -------------------------------------------------------------------------------


def test_resolve_replaces_references_in_nested_dicts_and_lists():
    redactor = Redactor()
    settings = {
        "url": "https://api.example/v1?key=${API_KEY}",
        "headers": {"Authorization": "Bearer ${TOKEN}"},
        "params": ["${USER_NAME}", ("a", "${USER_NAME}-2"), 7, 1.5, True, None],
        "plain": "untouched",
    }
    environ = {"API_KEY": "AIzaKEY123", "TOKEN": "tok-456789", "USER_NAME": "carol", "OTHER": "x"}
    assert resolve(settings, environ, redactor) == {
        "url": "https://api.example/v1?key=AIzaKEY123",
        "headers": {"Authorization": "Bearer tok-456789"},
        "params": ["carol", ["a", "carol-2"], 7, 1.5, True, None],
        "plain": "untouched",
    }
    assert redactor._secrets == {"AIzaKEY123", "tok-456789", "carol"}
    assert redactor.redact("AIzaKEY123 tok-456789 carol x") == "*** *** *** x"


def test_resolve_does_not_change_its_input():
    settings = {"a": ["${A_VAR}"]}
    resolve(settings, {"A_VAR": "value"}, Redactor())
    assert settings == {"a": ["${A_VAR}"]}


def test_resolve_of_data_without_references_returns_it_and_registers_nothing():
    redactor = Redactor()
    assert resolve("plain text", {}, redactor) == "plain text"
    assert resolve(12, {}, redactor) == 12
    assert redactor._secrets == set()


def test_an_escaped_reference_stays_literal_and_is_not_required():
    redactor = Redactor()
    value = resolve({"template": "$${NOT_SET} and ${SET_ONE}"}, {"SET_ONE": "abcd"}, redactor)
    assert value == {"template": "${NOT_SET} and abcd"}
    assert redactor._secrets == {"abcd"}


def test_a_secret_value_is_inserted_as_is_not_expanded_again():
    value = resolve("${OUTER}", {"OUTER": "${INNER}", "INNER": "nope"}, Redactor())
    assert value == "${INNER}"


def test_a_secret_value_containing_dollar_dollar_brace_is_kept_and_masked():
    redactor = Redactor()
    value = resolve("pw=${PASSWORD}", {"PASSWORD": "ab$${cd}ef"}, redactor)
    assert value == "pw=ab$${cd}ef"
    assert redactor.redact(value) == "pw=***"


def test_a_short_value_is_substituted_but_not_masked():
    redactor = Redactor()
    assert resolve("[${SHORT}]", {"SHORT": "abc"}, redactor) == "[abc]"
    assert redactor._secrets == set()


def test_a_missing_variable_is_named():
    with pytest.raises(MissingSecretError) as caught:
        resolve({"key": "${API_KEY}"}, {}, Redactor())
    assert caught.value.names == ["API_KEY"]
    assert str(caught.value) == (
        "environment variable API_KEY is not set: export it before the refresh runs"
    )
    assert isinstance(caught.value, LookupError)


def test_an_empty_variable_counts_as_missing_and_says_so():
    # CI systems pass a secret nobody defined as an empty value
    with pytest.raises(MissingSecretError) as caught:
        resolve(
            {"a": "${API_KEY}", "b": "${TOKEN}", "c": "${SET}"},
            {"API_KEY": " ", "SET": "x"},
            Redactor(),
        )
    assert caught.value.names == ["API_KEY", "TOKEN"]
    assert caught.value.empty == ["API_KEY"]
    assert str(caught.value) == (
        "environment variable TOKEN is not set; environment variable API_KEY is set but empty: "
        "export them before the refresh runs"
    )


def test_every_missing_variable_is_named_in_order():
    settings = {"a": "${FIRST}", "b": ["${PRESENT}", "${SECOND}", "${FIRST}"], "c": "${THIRD}"}
    redactor = Redactor()
    with pytest.raises(MissingSecretError) as caught:
        resolve(settings, {"PRESENT": "here-it-is"}, redactor)
    assert caught.value.names == ["FIRST", "SECOND", "THIRD"]
    assert str(caught.value) == (
        "environment variables FIRST, SECOND, THIRD are not set: export them before the "
        "refresh runs"
    )
    # nothing is read (and so nothing registered) when anything is missing
    assert redactor._secrets == set()


# --- Redactor: known secrets ---------------------------------------------------------------


def test_a_registered_secret_is_masked_everywhere_in_a_text():
    redactor = Redactor()
    redactor.add("hunter22")
    assert redactor.redact("pw hunter22, again hunter22!") == "pw ***, again ***!"
    assert MASK == "***"


def test_a_secret_with_regex_characters_is_masked_literally():
    redactor = Redactor()
    redactor.add("a.b*c+d")
    assert redactor.redact("a.b*c+d axbbbcd") == "*** axbbbcd"


def test_the_longest_secret_is_masked_first_when_one_contains_another():
    for order in (("abcd", "abcdefgh"), ("abcdefgh", "abcd")):
        redactor = Redactor()
        for secret in order:
            redactor.add(secret)
        assert redactor.redact("[abcdefgh] [abcd]") == "[***] [***]"


@pytest.mark.parametrize("secret", ["", "a", "ab", "abc"])
def test_a_secret_shorter_than_four_characters_is_not_masked(secret):
    redactor = Redactor()
    redactor.add(secret)
    assert redactor._secrets == set()
    assert redactor._pattern is None
    assert redactor.redact("abc 1 abcabc") == "abc 1 abcabc"


def test_a_four_character_secret_is_masked():
    redactor = Redactor()
    redactor.add("1234")
    assert redactor.redact("1234567") == "***567"


def test_adding_the_same_secret_twice_keeps_one():
    redactor = Redactor()
    redactor.add("secret-1")
    pattern = redactor._pattern
    redactor.add("secret-1")
    assert redactor._secrets == {"secret-1"}
    assert redactor._pattern is pattern


def test_secrets_given_to_the_initialiser_are_masked():
    redactor = Redactor(secrets={"s3cr3t-value"})
    assert redactor.redact("s3cr3t-value") == "***"


def test_the_repr_of_a_redactor_does_not_show_its_secrets():
    redactor = Redactor()
    redactor.add("s3cr3t-value")
    assert "s3cr3t-value" not in repr(redactor)


# --- Redactor: credentials whatever their value --------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://h/x?key=AIzaSy123", "https://h/x?key=***"),
        ("https://h/x?part=1&token=abc&page=2", "https://h/x?part=1&token=***&page=2"),
        ("https://h/x?access_token=abc#frag", "https://h/x?access_token=***#frag"),
        ("https://h/x?user=a&password=pa55", "https://h/x?user=a&password=***"),
        ("https://h/x?KEY=AbC&Access_Token=z", "https://h/x?KEY=***&Access_Token=***"),
        ("https://h/x?page=1;sig=abc", "https://h/x?page=1;sig=***"),
        (
            "https://h/x?apikey=1&api-key=2&client_secret=3",
            "https://h/x?apikey=***&api-key=***&client_secret=***",
        ),
        ("'https://h/x?key=abc' failed", "'https://h/x?key=***' failed"),
        ('"https://h/x?key=abc"', '"https://h/x?key=***"'),
        ("GET /x?credential=a&credentials=b", "GET /x?credential=***&credentials=***"),
        # parameters that only look like secrets are left alone
        ("https://h/x?monkey=1&keys=2&page=3", "https://h/x?monkey=1&keys=2&page=3"),
        ("key=value in prose", "key=value in prose"),
        ("https://h/x?key=", "https://h/x?key="),
    ],
)
def test_credentials_in_query_strings_are_masked(text, expected):
    assert Redactor().redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://bob:hunter2@db.example/x", "https://bob:***@db.example/x"),
        ("postgresql://app:pw@db:5432/okr", "postgresql://app:***@db:5432/okr"),
        (
            "connect to mysql+pymysql://root:r00t@localhost",
            "connect to mysql+pymysql://root:***@localhost",
        ),
        # no password, or no user-info at all: nothing to mask
        ("https://bob@db.example/x", "https://bob@db.example/x"),
        ("https://db.example:5432/x", "https://db.example:5432/x"),
    ],
)
def test_passwords_in_urls_are_masked(text, expected):
    assert Redactor().redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer eyJhbGciOi.J9.x-y_z", "Authorization: ***"),
        ("Authorization: Basic Ym9iOmh1bnRlcjI=", "Authorization: ***"),
        ("{'Authorization': 'Token 0123456789abcdef'}", "{'Authorization': '***'}"),
        # fewer than 8 characters is not a credential: words after "Token" in prose stay
        ("Token expired", "Token expired"),
        ("Bearer abc", "Bearer abc"),
    ],
)
def test_authorization_header_values_are_masked(text, expected):
    assert Redactor().redact(text) == expected


def test_known_secrets_and_patterns_are_masked_together():
    redactor = Redactor()
    redactor.add("my-known-secret")
    text = "GET https://u:pw@h/x?token=t0k failed: my-known-secret, Bearer abcdefghijk1"
    assert redactor.redact(text) == "GET https://u:***@h/x?token=*** failed: ***, Bearer ***"


# --- redact_data ---------------------------------------------------------------------------


def test_redact_data_walks_mappings_and_lists():
    redactor = Redactor()
    redactor.add("s3cr3t")
    data = {
        "url": "https://h/?key=abc",
        "nested": {"list": ["s3cr3t", 1, {"deep": "x s3cr3t"}], "tuple": ("s3cr3t", None)},
        "number": 3.5,
        "flag": True,
    }
    assert redactor.redact_data(data) == {
        "url": "https://h/?key=***",
        "nested": {"list": ["***", 1, {"deep": "x ***"}], "tuple": ["***", None]},
        "number": 3.5,
        "flag": True,
    }
    assert data["nested"]["list"][0] == "s3cr3t"  # the input is not changed


@pytest.mark.parametrize("value", [None, 0, 1.5, True, b"s3cr3t"])
def test_redact_data_leaves_what_is_not_text(value):
    redactor = Redactor()
    redactor.add("s3cr3t")
    assert redactor.redact_data(value) == value


def test_redact_data_masks_mapping_keys_too():
    redactor = Redactor()
    redactor.add("s3cr3t")
    assert redactor.redact_data({"s3cr3t": 1, "https://h/?key=abc": 2}) == {
        "***": 1,
        "https://h/?key=***": 2,
    }


# --- threads -------------------------------------------------------------------------------


def test_secrets_can_be_added_from_several_threads_while_redacting():
    redactor = Redactor()
    secrets = [f"secret-{thread}-{index:03d}" for thread in range(8) for index in range(15)]
    errors: list[BaseException] = []
    done = threading.Event()
    start = threading.Barrier(8 + 4)

    def add(thread: int) -> None:
        try:
            start.wait()
            for index in range(15):
                redactor.add(f"secret-{thread}-{index:03d}")
        except BaseException as error:  # noqa: BLE001  # collected for the assertion below
            errors.append(error)

    def redact() -> None:
        try:
            start.wait()
            while not done.is_set():
                redactor.redact(" ".join(secrets[::7]))
                redactor.redact_data({"a": secrets[:5]})
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    adders = [threading.Thread(target=add, args=(thread,)) for thread in range(8)]
    readers = [threading.Thread(target=redact) for _ in range(4)]
    for thread in adders + readers:
        thread.start()
    for thread in adders:
        thread.join()
    done.set()
    for thread in readers:
        thread.join()
    assert errors == []
    assert redactor._secrets == set(secrets)
    assert redactor.redact(" ".join(secrets)) == " ".join([MASK] * len(secrets))


@pytest.mark.parametrize(
    "text",
    [
        "Basic information about the plan",
        "GET https://h/v1/token answered HTTP 500",
        "the Token is",
    ],
)
def test_prose_after_an_auth_word_is_left_alone(text):
    assert Redactor().redact(text) == text


def test_wire_forms_of_a_secret_are_masked():
    redactor = Redactor()
    redactor.add("AbC+dEf/GhI=jKl9\n")
    assert redactor.redact("key=AbC%2BdEf%2FGhI%3DjKl9 and AbC+dEf/GhI=jKl9 end") == (
        "key=*** and *** end"
    )
